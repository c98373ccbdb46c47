#!/usr/bin/env python3
"""att-report side by side with age and minisign (`make bench`).

Encrypts and decrypts one file (512 MiB by default) to 116 recipients, file to file,
with att-report and with age in the same run, and signs and verifies it with att-report
and with minisign. Each pair is run interleaved (A, B, A, B, ...) after one untimed
warm-up of each, so both tools see the same warm page cache and the same background
load; the table shows the medians, their ratio (att-report / peer), throughput and each
tool's own peak RSS.

The "envelope" section builds a key directory of 116 parties with the att-report
command line (1 Secretariat + 115 States Parties, codes AAA, AAB, ...: keygen
--unencrypted, statement enrol, countersign, append; the setup is timed on its own and
kept out of the comparison), then compares `att-report seal --level states-parties
--include-secretariat` (the same 116 recipient keys) with `age -e -R` alone on the same
file, and `att-report open` with `age -d -i` by the same State's identity. seal and open
do more than age (two signatures over the whole file, the container, the directory
checks); the issue's target for seal is at most 1.2 times age encrypt; open's ratio is
shown without a target.

`--only tools|envelope|all` runs one section or both (default all, as `make bench` does).

Targets (from the issue): every tools ratio at or below 1.0, seal / age encrypt at or
below 1.2, att-report's peak memory under 64 MiB. The bench reports; it does not gate:
it exits 0 when targets are missed, and non-zero only when a command fails or an output
is wrong.

Before every timed run the script calls sync(2), so no run pays for writeback that an
earlier one left behind; a second sync right after the run is timed separately and shown
as "flush": age leaves its output's writeback to the kernel, while att-report fsyncs its
output before it exits, inside its own time. Page-cache writes on a VM can be noisy; use
a larger --repeat when the runs of one command disagree.

Python 3 standard library only.

How a child is measured. Wall time is time.perf_counter around the child. Peak memory
is the child's ru_maxrss from os.wait4. On Linux a process's ru_maxrss also counts the
memory image it replaced at exec, so a child spawned straight from this (~15 MiB)
Python process can never report less than Python's own peak. To measure each tool
alone, this script makes itself a child subreaper (prctl) and starts the tool from a
short-lived /bin/sh, which forks it and exits: the tool is reparented here and
os.wait4 on the tool's own pid gives its rusage, with only the shell's ~1 MiB as a
floor. The floor is measured (with /bin/true) and printed. Where prctl is unavailable
the tool is spawned directly and the (higher) floor is printed instead.
"""

import argparse
import ctypes
import ctypes.util
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

MiB = 1 << 20
RSS_TARGET_MIB = 64.0
RATIO_TARGET = 1.0
ENVELOPE_RATIO_TARGET = 1.2   # seal / age encrypt (the target for envelopes)
SECRETARIAT = "SEC"


# Everything the bench writes in its work directory (besides the directories below).
OUR_FILES = ("plain.bin", "att.age", "age.age", "out.bin", "cross.bin", "recipients.txt",
             "att.pub", "att.key", "mini.pub", "mini.key", "att.minisig", "mini.minisig",
             "env.att", "env.att.minisig", "env-age.age", "env-recipients.txt", "env-cross.tar",
             ".bench-stdout", ".bench-stderr")
# ... and these directories: keys/ (tools), env-home/ (envelope: keystore and directory).
OUR_DIRS = ("keys", "env-home")


class BenchError(Exception):
    """A command failed or produced the wrong output: the bench exits non-zero."""


# ---------------------------------------------------------------------------------------
# Running and measuring one command
# ---------------------------------------------------------------------------------------

_SUBREAPER = False


def _enable_subreaper():
    """Makes orphaned descendants our children, so we can wait4 on a grandchild."""
    global _SUBREAPER
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
            _SUBREAPER = True
    except (OSError, AttributeError):
        pass
    return _SUBREAPER


# The shell forks the command in the background, with its output to the given files,
# prints its pid on its own standard output (a pipe to us) and exits at once.
_LAUNCHER = 'o=$1 e=$2; shift 2; "$@" </dev/null >"$o" 2>"$e" & echo $!'


class Result:
    __slots__ = ("wall", "user", "sys", "maxrss_kib", "status", "stdout", "stderr")

    @property
    def cpu(self):
        return self.user + self.sys

    @property
    def rss_mib(self):
        return self.maxrss_kib / 1024.0


def run(cmd, workdir, check=True):
    """Runs `cmd` (a list), stdout and stderr to files, and returns its Result."""
    out_path = os.path.join(workdir, ".bench-stdout")
    err_path = os.path.join(workdir, ".bench-stderr")
    if _SUBREAPER:
        t0 = time.perf_counter()
        # start_new_session: no controlling terminal, so nothing can stop to prompt.
        sh = subprocess.Popen(["/bin/sh", "-c", _LAUNCHER, "sh", out_path, err_path] + list(cmd),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True)
        pid_text, sh_err = sh.communicate()
        if sh.returncode != 0 or not pid_text.strip().isdigit():
            raise BenchError("could not start %s through /bin/sh: %s" % (cmd[0], sh_err.decode(errors="replace")))
        pid = int(pid_text)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter()
    else:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.perf_counter()
            pid = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True).pid
            _, status, ru = os.wait4(pid, 0)
            t1 = time.perf_counter()
    res = Result()
    res.wall = t1 - t0
    res.user = ru.ru_utime
    res.sys = ru.ru_stime
    res.maxrss_kib = ru.ru_maxrss  # KiB on Linux
    res.status = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        res.stdout = f.read(1 << 16)
    with open(err_path, "rb") as f:
        res.stderr = f.read(1 << 16)
    if check and res.status != 0:
        raise BenchError("command failed (exit %d): %s\n%s%s" % (
            res.status, " ".join(cmd), res.stdout.decode(errors="replace"),
            res.stderr.decode(errors="replace")))
    return res


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(4 * MiB)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


def make_plaintext(path, size):
    """Writes `size` random bytes (os.urandom, 1 MiB at a time: about 1.5 s for 512 MiB)
    and returns their SHA-256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        remaining = size
        while remaining > 0:
            block = os.urandom(min(MiB, remaining))
            f.write(block)
            h.update(block)
            remaining -= len(block)
    return h.hexdigest()


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def first_line(b):
    s = b.decode(errors="replace").strip()
    return s.splitlines()[0] if s else "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg():
    try:
        return " ".join("%.2f" % x for x in os.getloadavg())
    except OSError:
        return "?"


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        return first_line(p.stdout or p.stderr)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unavailable (%s)" % e


def need(tool):
    path = shutil.which(tool)
    if not path:
        raise BenchError("%s is not installed (scripts/install-deps installs it)" % tool)
    return path


# ---------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------

class Op:
    """One operation measured for both tools."""

    def __init__(self, name, att_cmd, peer_cmd, peer_name, before=None, after=None,
                 ratio_target=RATIO_TARGET, checks=None):
        self.name = name
        self.ratio_target = ratio_target  # None: ratio shown, no target
        self.att_cmd = att_cmd
        self.peer_cmd = peer_cmd
        self.peer_name = peer_name
        self.before = before  # callable(side) run untimed before each run
        self.after = after    # callable(side, result) run untimed after each run (checks)
        self.checks = checks  # callable() run untimed once, after all runs (cross-checks)
        self.att = []
        self.peer = []
        self.peer_flush = []  # time for the peer's deferred writeback (sync after it)
        self.att_flush = []


def measure(op, workdir, repeat):
    sides = (("att", op.att_cmd, op.att, op.att_flush), ("peer", op.peer_cmd, op.peer, op.peer_flush))
    # One untimed warm-up of each: page cache, dynamic loader, CPU frequency.
    for side, cmd, _, _ in sides:
        if op.before:
            op.before(side)
        os.sync()
        res = run(cmd, workdir)
        if op.after:
            op.after(side, res)
    for _ in range(repeat):
        for side, cmd, results, flushes in sides:
            if op.before:
                op.before(side)
            # Start every run with no dirty pages left by the one before it, so nobody
            # pays for the other's writeback.
            os.sync()
            res = run(cmd, workdir)
            t = time.perf_counter()
            os.sync()
            flushes.append(time.perf_counter() - t)
            results.append(res)
            if op.after:
                op.after(side, res)


def fmt_s(x):
    return "%.3f" % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--att-report", required=True, help="path to the att-report binary")
    ap.add_argument("--size-mib", type=int, default=512, help="plaintext size in MiB (default 512)")
    ap.add_argument("--recipients", type=int, default=116,
                    help="number of age recipients, and of parties in the envelope section's directory (default 116)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each command (default 3)")
    ap.add_argument("--workdir", help="where to put the files (default: a new temp dir under /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    ap.add_argument("--only", choices=("all", "tools", "envelope"), default="all",
                    help="tools: att-report vs age/minisign; envelope: seal/open on a directory of "
                         "--recipients parties vs age; all: both (default)")
    args = ap.parse_args()

    if args.size_mib < 1 or args.recipients < 1 or args.repeat < 1:
        ap.error("--size-mib, --recipients and --repeat must be at least 1")
    if args.only in ("all", "envelope") and not 2 <= args.recipients <= 26 ** 3:
        ap.error("the envelope section needs --recipients from 2 to %d (1 Secretariat + States)" % 26 ** 3)
    att = os.path.abspath(args.att_report)
    if not (os.path.isfile(att) and os.access(att, os.X_OK)):
        print("bench: %s is not an executable (build it with `swift build -c release`)" % att,
              file=sys.stderr)
        return 2

    try:
        tools = {t: need(t) for t in ("age", "age-keygen", "minisign")}
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 2

    if args.workdir is None:
        workdir = tempfile.mkdtemp(prefix="att-report-bench-", dir="/tmp")
        created = True
    else:
        workdir = os.path.abspath(args.workdir)
        created = not os.path.exists(workdir)
        os.makedirs(workdir, exist_ok=True)

    size = args.size_mib * MiB
    # plaintext + two ciphertexts + one decrypted output at a time, plus slack. With both
    # sections the tools' ciphertexts are deleted before the envelope section, unless --keep.
    needed = (6 if args.only == "all" and args.keep else 4) * size + 64 * MiB
    free = shutil.disk_usage(workdir).free
    if free < needed:
        print("bench: not enough free disk space in %s: need about %d MiB (%d x %d MiB), have %d MiB;"
              " use --workdir on a bigger disk or a smaller --size-mib"
              % (workdir, needed // MiB, needed // size, args.size_mib, free // MiB), file=sys.stderr)
        if created:
            shutil.rmtree(workdir, ignore_errors=True)
        return 2

    try:
        return bench(args, att, tools, workdir, size)
    except BenchError as e:
        print("\nbench: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print("work directory kept: %s" % workdir)
        elif created:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            # A directory that was there before: remove only what this script put in it.
            for name in OUR_FILES:
                remove(os.path.join(workdir, name))
            for name in OUR_DIRS:
                shutil.rmtree(os.path.join(workdir, name), ignore_errors=True)


def bench(args, att, tools, workdir, size):
    _enable_subreaper()
    p = lambda name: os.path.join(workdir, name)
    sections = ("tools", "envelope") if args.only == "all" else (args.only,)

    print("att-report benchmark: %d MiB file, %d recipients, %d timed run(s) per command, interleaved"
          % (args.size_mib, args.recipients, args.repeat))
    print("  sections   : %s" % ", ".join(sections))
    print("  att-report : %s" % att)
    print("  age        : %s (%s)" % (tool_version([tools["age"], "--version"]), tools["age"]))
    print("  minisign   : %s (%s)" % (tool_version([tools["minisign"], "-v"]), tools["minisign"]))
    print("  CPU        : %s, %d core(s) online (%d usable by this process)"
          % (cpu_model(), os.cpu_count() or 0, len(os.sched_getaffinity(0))))
    print("  kernel     : %s %s; load average at start: %s" % (platform.system(), platform.release(), loadavg()))
    print("  work dir   : %s (%d MiB free)" % (workdir, shutil.disk_usage(workdir).free // MiB))

    # --- inputs shared by both sides -------------------------------------------------
    t = time.perf_counter()
    plain_hash = make_plaintext(p("plain.bin"), size)
    print("  plaintext  : %d bytes written in %.1f s, sha256 %s…" % (size, time.perf_counter() - t, plain_hash[:16]))

    def check_output(path, what):
        got = sha256_file(path)
        if got != plain_hash:
            raise BenchError("%s: decrypted output differs from the plaintext" % what)

    ops = []
    if "tools" in sections:
        ops += tools_ops(args, att, tools, workdir, p, check_output)
    if "envelope" in sections:
        ops += envelope_ops(args, att, tools, workdir, p, check_output, plain_hash)

    floor = run(["/bin/true"], workdir).rss_mib
    print("  RSS floor  : %.1f MiB (what /bin/true reports when started the same way; %s)"
          % (floor, "via /bin/sh + subreaper" if _SUBREAPER else "spawned directly from Python"))
    print()

    for op in ops:
        print("running %-8s (%s vs %s) ..." % (op.name, "att-report", op.peer_name), flush=True)
        measure(op, workdir, args.repeat)
        if op.checks:
            op.checks()

    report(args, ops, size)
    return 0


def tools_ops(args, att, tools, workdir, p, check_output):
    """att-report's age and minisign commands against age and minisign themselves."""
    keydir = p("keys")
    os.makedirs(keydir, exist_ok=True)
    recipients = []
    for i in range(args.recipients):
        idf = os.path.join(keydir, "id-%03d.txt" % i)
        remove(idf)
        run([tools["age-keygen"], "-o", idf], workdir)
        with open(idf) as f:
            m = re.search(r"^# public key: (age1[0-9a-z]+)$", f.read(), re.M)
        if not m:
            raise BenchError("age-keygen wrote no public key line to %s" % idf)
        recipients.append(m.group(1))
    with open(p("recipients.txt"), "w") as f:
        f.write("\n".join(recipients) + "\n")
    # Decrypt with the identity of the LAST stanza: the most unwrapping work for both tools.
    identity = os.path.join(keydir, "id-%03d.txt" % (args.recipients - 1))
    y = run([att, "age", "keygen", "-y", identity], workdir)
    if y.stdout.decode().strip() != recipients[-1]:
        raise BenchError("att-report age keygen -y disagrees with age-keygen on %s" % identity)

    for side, cmd in (("att", [att, "minisign", "keygen", "-p", p("att.pub"), "-s", p("att.key"), "-W"]),
                      ("peer", [tools["minisign"], "-G", "-W", "-f", "-p", p("mini.pub"), "-s", p("mini.key")])):
        if side == "att":
            remove(p("att.pub")); remove(p("att.key"))
        run(cmd, workdir)
    print("  keys       : %d age identities (recipients.txt), decrypting with %s; minisign keys"
          " (unencrypted, -W) for each tool" % (args.recipients, os.path.basename(identity)))

    def before_decrypt(side):
        remove(p("out.bin"))

    def after_decrypt(side, res):
        check_output(p("out.bin"), "att-report decrypt" if side == "att" else "age decrypt")
        remove(p("out.bin"))

    def before_encrypt(side):
        remove(p("att.age") if side == "att" else p("age.age"))

    def after_verify(side, res):
        if res.status != 0:
            raise BenchError("%s verify failed" % side)

    def cross_encrypt():
        # Sanity, untimed: each tool decrypts the other's ciphertext.
        for label, cmd in (("att-report decrypting age's ciphertext",
                            [att, "age", "decrypt", "-i", identity, "-o", p("cross.bin"), p("age.age")]),
                           ("age decrypting att-report's ciphertext",
                            [tools["age"], "-d", "-i", identity, "-o", p("cross.bin"), p("att.age")])):
            remove(p("cross.bin"))
            run(cmd, workdir)
            check_output(p("cross.bin"), label)
            remove(p("cross.bin"))
        print("  cross-check: att-report decrypts age's ciphertext and age decrypts att-report's: outputs match")

    def after_decrypt_op():
        # The ciphertexts are not needed any more; free their space for the envelope section.
        if args.only == "all" and not args.keep:
            remove(p("att.age")); remove(p("age.age"))

    def cross_sign():
        # Sanity, untimed: each tool verifies the other's signature.
        run([att, "minisign", "verify", "-p", p("mini.pub"), "-x", p("mini.minisig"), p("plain.bin")], workdir)
        run([tools["minisign"], "-V", "-p", p("att.pub"), "-x", p("att.minisig"), "-m", p("plain.bin")], workdir)
        print("  cross-check: att-report verifies minisign's signature and minisign verifies att-report's")

    return [
        Op("encrypt", [att, "age", "encrypt", "-R", p("recipients.txt"), "-o", p("att.age"), p("plain.bin")],
           [tools["age"], "-e", "-R", p("recipients.txt"), "-o", p("age.age"), p("plain.bin")], "age",
           before=before_encrypt, checks=cross_encrypt),
        Op("decrypt", [att, "age", "decrypt", "-i", identity, "-o", p("out.bin"), p("att.age")],
           [tools["age"], "-d", "-i", identity, "-o", p("out.bin"), p("age.age")], "age",
           before=before_decrypt, after=after_decrypt, checks=after_decrypt_op),
        Op("sign", [att, "minisign", "sign", "-s", p("att.key"), "-x", p("att.minisig"), p("plain.bin")],
           [tools["minisign"], "-S", "-s", p("mini.key"), "-x", p("mini.minisig"), "-m", p("plain.bin")], "minisign",
           checks=cross_sign),
        Op("verify", [att, "minisign", "verify", "-p", p("att.pub"), "-x", p("att.minisig"), p("plain.bin")],
           [tools["minisign"], "-V", "-p", p("mini.pub"), "-x", p("mini.minisig"), "-m", p("plain.bin")], "minisign",
           after=after_verify),
    ]


def party_codes(count):
    """`count` three-letter codes AAA, AAB, ..., skipping the Secretariat's."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = []
    for a in letters:
        for b in letters:
            for c in letters:
                if len(codes) == count:
                    return codes
                if a + b + c != SECRETARIAT:
                    codes.append(a + b + c)
    return codes


def envelope_ops(args, att, tools, workdir, p, check_output, plain_hash):
    """A directory of args.recipients parties built with the CLI (untimed), then seal and open
    against age encrypt and decrypt to the same recipient keys."""
    home = p("env-home")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    states = party_codes(args.recipients - 1)
    parties = [SECRETARIAT] + states
    pending = os.path.join(home, "pending.statement")
    label = "bench-1"

    # --- the directory: keygen, statement enrol, countersign, append, party by party ----
    t0 = time.perf_counter()
    commands = 0
    append_times = []
    for code in parties:
        is_sec = code == SECRETARIAT
        run([att, "keygen", "--party", code, "--label", label, "--unencrypted", "--home", home], workdir)
        remove(pending)
        run([att, "directory", "statement", "enrol", "--party", code, "--name", "Bench party " + code,
             "--role", "secretariat" if is_sec else "state-party", "--in-force", "-" if is_sec else "2014-12-24",
             "--key", label, "--home", home, "-o", pending], workdir)
        commands += 2
        if not is_sec:
            run([att, "directory", "countersign", "--party", SECRETARIAT, "--home", home, pending], workdir)
            commands += 1
        t = time.perf_counter()
        res = run([att, "directory", "append", "--home", home, pending], workdir)
        append_times.append(time.perf_counter() - t)
        commands += 1
        if not res.stdout.startswith(b"accepted: "):
            raise BenchError("the directory did not accept %s's enrolment: %s" % (code, first_line(res.stdout + res.stderr)))
    setup = time.perf_counter() - t0
    remove(pending)
    shown = run([att, "directory", "show", "--home", home], workdir).stdout
    party_lines = [l for l in shown.decode().splitlines() if l[:1].isupper() and not l.startswith("REFUSED")]
    if len(party_lines) != len(parties) or b"REFUSED" in shown:
        raise BenchError("directory show lists %d parties (expected %d) or refused statements" % (len(party_lines), len(parties)))
    print("  directory  : %d parties (%s + %d States Parties %s..%s) enrolled with the CLI in %.1f s, untimed"
          " (%d commands: keygen --unencrypted, statement enrol, countersign, append; appends %.3f s first,"
          " %.3f s last)" % (len(parties), SECRETARIAT, len(states), states[0], states[-1], setup, commands,
                             append_times[0], append_times[-1]))

    # The same recipient keys for age, in the order the manifest lists them (party code).
    recipients = {}
    for code in parties:
        with open(os.path.join(home, "keys", code, label + ".age.pub")) as f:
            recipients[code] = f.read().strip()
    with open(p("env-recipients.txt"), "w") as f:
        f.write("\n".join(recipients[c] for c in sorted(parties)) + "\n")
    sender, reader = states[0], states[-1]
    identity = os.path.join(home, "keys", reader, label + ".age")
    sender_pub = os.path.join(home, "keys", sender, label + ".minisign.pub")
    print("  envelope   : %s seals (annual 2025, --level states-parties --include-secretariat: %d recipient keys,"
          " env-recipients.txt for age); %s opens with %s"
          % (sender, len(parties), reader, os.path.relpath(identity, workdir)))

    def before_seal(side):
        if side == "att":
            remove(p("env.att")); remove(p("env.att.minisig"))
        else:
            remove(p("env-age.age"))

    def after_seal(side, res):
        if side != "att":
            return
        # seal names its readers (party, key id, recipient) on stderr before sealing.
        announced = sorted(l.split()[3] for l in res.stderr.decode(errors="replace").splitlines()
                           if l.startswith("  ") and len(l.split()) == 4)
        if announced != sorted(recipients.values()):
            raise BenchError("att-report seal announced %d readers, not the %d directory keys" % (len(announced), len(recipients)))
        if not os.path.exists(p("env.att.minisig")):
            raise BenchError("att-report seal wrote no outer signature")

    def before_open(side):
        remove(p("out.bin"))

    def after_open(side, res):
        check_output(p("out.bin"), "att-report open" if side == "att" else "age decrypt")
        remove(p("out.bin"))

    def cross_seal():
        # Sanity, untimed: stock tools read the sealed envelope.
        remove(p("env-cross.tar"))
        run([tools["age"], "-d", "-i", identity, "-o", p("env-cross.tar"), p("env.att")], workdir)
        with tarfile.open(p("env-cross.tar")) as tar:
            names = tar.getnames()
            if names != ["manifest.txt", "plain.bin", "plain.bin.minisig"]:
                raise BenchError("the sealed container holds %s" % names)
            h = hashlib.sha256()
            with tar.extractfile("plain.bin") as f:
                for block in iter(lambda: f.read(4 * MiB), b""):
                    h.update(block)
            if h.hexdigest() != plain_hash:
                raise BenchError("the report in the sealed container differs from the plaintext")
        remove(p("env-cross.tar"))
        run([tools["minisign"], "-V", "-p", sender_pub, "-x", p("env.att.minisig"), "-m", p("env.att")], workdir)
        print("  cross-check: age decrypts the sealed file to its container (report intact) and minisign"
              " verifies the outer signature")

    return [
        Op("seal", [att, "seal", "--party", sender, "--type", "annual", "--year", "2025", "--level", "states-parties",
                    "--include-secretariat", "--home", home, "-o", p("env.att"), p("plain.bin")],
           [tools["age"], "-e", "-R", p("env-recipients.txt"), "-o", p("env-age.age"), p("plain.bin")], "age -e",
           before=before_seal, after=after_seal, checks=cross_seal, ratio_target=ENVELOPE_RATIO_TARGET),
        Op("open", [att, "open", "--party", reader, "--home", home, "-o", p("out.bin"), p("env.att")],
           [tools["age"], "-d", "-i", identity, "-o", p("out.bin"), p("env-age.age")], "age -d",
           before=before_open, after=after_open, ratio_target=None),
    ]


def report(args, ops, size):
    mib = size / MiB
    print()
    print("Results (median of %d interleaved run(s); ratio = att-report time / peer time; "
          "peak RSS = max over runs)" % args.repeat)
    header = ("operation", "peer", "att-report s", "peer s", "ratio", "att MiB/s", "peer MiB/s",
              "att RSS MiB", "peer RSS MiB", "target met?")
    rows = []
    verdict_ratio, verdict_rss = [], []
    for op in ops:
        a = statistics.median(r.wall for r in op.att)
        b = statistics.median(r.wall for r in op.peer)
        ratio = a / b if b > 0 else float("inf")
        a_rss = max(r.rss_mib for r in op.att)
        b_rss = max(r.rss_mib for r in op.peer)
        ok_ratio = op.ratio_target is None or ratio <= op.ratio_target
        ok_rss = a_rss < RSS_TARGET_MIB
        verdict_ratio.append((op, ratio, ok_ratio))
        verdict_rss.append((op.name, a_rss, ok_rss))
        if op.ratio_target == RATIO_TARGET:
            met = "yes" if ok_ratio and ok_rss else "no (%s)" % ", ".join(
                x for x, bad in (("ratio", not ok_ratio), ("memory", not ok_rss)) if bad)
        elif op.ratio_target is None:
            met = "yes (memory; no ratio target)" if ok_rss else "no (memory)"
        else:
            met = "yes (ratio <= %.1f)" % op.ratio_target if ok_ratio and ok_rss else "no (%s)" % ", ".join(
                x for x, bad in (("ratio > %.1f" % op.ratio_target, not ok_ratio), ("memory", not ok_rss)) if bad)
        rows.append((op.name, op.peer_name, fmt_s(a), fmt_s(b), "%.2f" % ratio, "%.0f" % (mib / a),
                     "%.0f" % (mib / b), "%.1f" % a_rss, "%.1f" % b_rss, met))
    notes = []
    for op in ops:
        a_f, b_f = statistics.median(op.att_flush), statistics.median(op.peer_flush)
        if b_f - a_f >= 0.01:
            notes.append("  note: %s: %s leaves ~%.2f s of writeback to the kernel after it exits (not in its time);"
                         " att-report fsyncs its output before exiting (in its time; its own flush: %.2f s)"
                         % (op.name, op.peer_name, b_f, a_f))
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  " + " | ".join(str(c).ljust(w) if i < 2 or i == 9 else str(c).rjust(w)
                                        for i, (c, w) in enumerate(zip(r, widths)))
    print(line(header))
    print("  " + "-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    for n in notes:
        print(n)

    print()
    print("Details (all runs, in order; user/sys = the child's CPU time; flush = a sync right after the run,"
          " i.e. writeback the tool left to the kernel)")
    for op in ops:
        for label, results, flushes in (("att-report", op.att, op.att_flush), (op.peer_name, op.peer, op.peer_flush)):
            print("  %-8s %-10s wall %s s | user %s s | sys %s s | flush %s s | rss %s MiB" % (
                op.name, label,
                " ".join(fmt_s(r.wall) for r in results),
                " ".join(fmt_s(r.user) for r in results),
                " ".join(fmt_s(r.sys) for r in results),
                " ".join(fmt_s(f) for f in flushes),
                " ".join("%.1f" % r.rss_mib for r in results)))
    print("  load average at end: %s" % loadavg())

    print()
    tools_verdicts = [(op.name, r, ok) for op, r, ok in verdict_ratio if op.ratio_target == RATIO_TARGET]
    if tools_verdicts:
        print("Verdict: time ratio <= %.1f: %s" % (RATIO_TARGET, "MET for all operations"
              if all(ok for _, _, ok in tools_verdicts) else
              "MISSED for %s" % ", ".join("%s (%.2f)" % (n, r) for n, r, ok in tools_verdicts if not ok)))
    for op, r, ok in verdict_ratio:
        if op.ratio_target is not None and op.ratio_target != RATIO_TARGET:
            print("Verdict: %s / %s time ratio <= %.1f: %s (%.2f)" % (
                op.name, op.peer_name, op.ratio_target, "MET" if ok else "MISSED", r))
        elif op.ratio_target is None:
            print("Info:    %s / %s time ratio: %.2f (no target)" % (op.name, op.peer_name, r))
    bad = [n for n, _, ok in verdict_rss if not ok]
    print("Verdict: att-report peak memory < %.0f MiB: %s (max %.1f MiB)" % (
        RSS_TARGET_MIB, "MET for all operations" if not bad else
        "MISSED for %s" % ", ".join("%s (%.1f MiB)" % (n, r) for n, r, ok in verdict_rss if not ok),
        max(r for _, r, _ in verdict_rss)))


if __name__ == "__main__":
    sys.exit(main())
