import Foundation

/// Small Python helpers used by the live-interop tests. They are written to a test's
/// temporary directory and run with python3.
public enum InteropScripts {
    /// `ptyrun.py TIMEOUT CMD ARGS...`: runs CMD under a new pseudo-terminal (so it is the
    /// child's controlling terminal and /dev/tty works), answers every prompt that mentions
    /// "passphrase" and ends in a colon with $PTY_PASSPHRASE and a newline, and exits with
    /// CMD's exit code (124 on timeout, 128+N if killed by signal N). Everything CMD wrote to
    /// the terminal is copied to standard error, followed by a line
    /// "ptyrun: prompts answered: N". CMD's real output should go to a file (-o).
    public static let ptyRun = #"""
    import os, pty, re, select, signal, sys, time

    timeout = float(sys.argv[1])
    cmd = sys.argv[2:]
    answer = os.environ.get("PTY_PASSPHRASE", "").encode() + b"\n"
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    prompt = re.compile(rb"passphrase[^\r\n]*:\s*$", re.I)
    transcript = b""
    pending = b""
    answered = 0
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stderr.write(transcript.decode("utf-8", "replace"))
            sys.stderr.write("\nptyrun: timeout; prompts answered: %d\n" % answered)
            sys.exit(124)
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        transcript += data
        pending += data
        if prompt.search(pending):
            os.write(fd, answer)
            answered += 1
            pending = b""
    _, status = os.waitpid(pid, 0)
    sys.stderr.write(transcript.decode("utf-8", "replace"))
    sys.stderr.write("\nptyrun: prompts answered: %d\n" % answered)
    if os.WIFEXITED(status):
        sys.exit(os.WEXITSTATUS(status))
    sys.exit(128 + os.WTERMSIG(status))
    """#

    /// `pyrage_tool.py COMMAND ...` around the pyrage module:
    ///   version                                  print pyrage's version
    ///   keygen N                                 print N lines "AGE-SECRET-KEY-… age1…"
    ///   encrypt [--armor] RECIPIENTS_FILE IN OUT  X25519 recipients, one per line (# comments)
    ///   decrypt IDENTITY_FILE IN OUT              identities, one per line (# comments)
    ///   pencrypt [--armor] IN OUT                 passphrase from $PYRAGE_PASSPHRASE
    ///   pdecrypt IN OUT                           passphrase from $PYRAGE_PASSPHRASE
    /// Failures raise (exit 1, traceback on stderr).
    public static let pyrageTool = #"""
    import os, sys
    import pyrage
    from pyrage import passphrase, x25519

    def lines(path):
        with open(path) as f:
            return [l.strip() for l in f if l.strip() and not l.startswith("#")]

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    def write(path, data):
        with open(path, "wb") as f:
            f.write(data)

    args = sys.argv[1:]
    cmd = args.pop(0)
    armored = "--armor" in args
    args = [a for a in args if a != "--armor"]
    if cmd == "version":
        import importlib.metadata
        print(importlib.metadata.version("pyrage"))
    elif cmd == "keygen":
        for _ in range(int(args[0])):
            i = x25519.Identity.generate()
            print(str(i), str(i.to_public()))
    elif cmd == "encrypt":
        recipients = [x25519.Recipient.from_str(l) for l in lines(args[0])]
        write(args[2], pyrage.encrypt(read(args[1]), recipients, armored=armored))
    elif cmd == "decrypt":
        identities = [x25519.Identity.from_str(l) for l in lines(args[0])]
        write(args[2], pyrage.decrypt(read(args[1]), identities))
    elif cmd == "pencrypt":
        write(args[1], passphrase.encrypt(read(args[0]), os.environ["PYRAGE_PASSPHRASE"], armored=armored))
    elif cmd == "pdecrypt":
        write(args[1], passphrase.decrypt(read(args[0]), os.environ["PYRAGE_PASSPHRASE"]))
    else:
        sys.exit("unknown command " + cmd)
    """#

    /// Writes `script` as `name` into `directory` and returns its path.
    public static func install(_ script: String, as name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(script.utf8).write(to: url)
        return url.path
    }
}
