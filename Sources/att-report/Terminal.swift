#if canImport(Glibc)
import Glibc
#endif
import Crypto

/// Passphrases: from --passphrase-file, then ATT_REPORT_PASSPHRASE, then a prompt on the
/// controlling terminal with echo off. They travel as SecureBytes, zeroed after use.
enum Passphrase {
    static let environmentVariable = "ATT_REPORT_PASSPHRASE"
    static let fileOption = Option(["--passphrase-file"], value: "FILE",
                                   help: "read the passphrase from the first line of FILE (for scripts)")

    /// An existing passphrase (to unlock a key or decrypt a file).
    static func read(_ args: ParsedArguments, prompt: String) throws -> SecureBytes {
        if let p = try fromScript(args) { return p }
        return try promptTerminal(prompt)
    }

    /// A new passphrase (to protect a key or encrypt a file): asked twice on a terminal.
    static func new(_ args: ParsedArguments, prompt: String) throws -> SecureBytes {
        if let p = try fromScript(args) { return p }
        let first = try promptTerminal(prompt)
        let second = try promptTerminal("Confirm passphrase: ")
        guard first.constantTimeEquals(second) else { throw Failure("the passphrases do not match") }
        return first
    }

    static func fromScript(_ args: ParsedArguments) throws -> SecureBytes? {
        if let path = args.value("--passphrase-file") {
            var bytes = try readSmallFile(path, limit: 64 * 1024)
            defer { secureZero(&bytes) }
            var end = bytes.firstIndex(of: 0x0A) ?? bytes.count
            if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
            var line = Array(bytes[0..<end])
            guard !line.isEmpty else { throw Failure("\(path): the passphrase is empty") }
            return SecureBytes(consuming: &line)
        }
        if let env = getenv(environmentVariable) {
            let length = strlen(env)
            guard length > 0 else { throw Failure("\(environmentVariable) is set but empty") }
            var bytes = Array(UnsafeRawBufferPointer(start: env, count: length))
            return SecureBytes(consuming: &bytes)
        }
        return nil
    }

    /// Reads a line from /dev/tty with echo off.
    static func promptTerminal(_ prompt: String) throws -> SecureBytes {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw Failure("a passphrase is needed but there is no terminal: set \(environmentVariable) or use --passphrase-file")
        }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var old = termios()
        let isTTY = tcgetattr(fd, &old) == 0
        if isTTY {
            var noEcho = old
            noEcho.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(fd, TCSAFLUSH, &noEcho)
        }
        defer {
            if isTTY { _ = tcsetattr(fd, TCSAFLUSH, &old) }
            _ = write(fd, "\n", 1)
        }
        let buffer = SecureBytes(count: 1024)
        var length = 0
        try buffer.withUnsafeMutableBytes { b in
            while length < b.count {
                var c: UInt8 = 0
                let n = Glibc.read(fd, &c, 1)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 || c == 0x0A { break }
                if c != 0x0D { b[length] = c; length += 1 }
            }
            if length == b.count { throw Failure("the passphrase is longer than 1023 bytes") }
        }
        guard length > 0 else { throw Failure("the passphrase is empty") }
        return buffer.slice(0..<length)
    }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}
