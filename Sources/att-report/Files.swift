import Crypto
import Foundation

/// Where a command reads and writes: a path, or standard input/output for none or "-".
enum Files {
    static func input(_ path: String?) throws -> ByteSource {
        guard let path, path != "-" else { return FileSource.standardInput() }
        return try FileSource(path: path)
    }

    /// An output that appears only when `commit` is called (files), or streams (stdout).
    struct Output {
        let sink: ByteSink
        let commit: () throws -> Void
    }

    static func output(_ path: String?, mode: mode_t? = nil, overwrite: Bool = true) throws -> Output {
        guard let path, path != "-" else { return Output(sink: FileSink.standardOutput(), commit: {}) }
        let file = try AtomicFileSink(path: path, mode: mode, overwrite: overwrite)
        return Output(sink: file, commit: { try file.commit() })
    }

    static func stdoutIsTerminal() -> Bool { Passphrase.isTerminal(1) }

    /// RFC 3339 time in UTC, as written in key files.
    static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
