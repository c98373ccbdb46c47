import Crypto
import Foundation
import Relay
import Vault

/// What this client pinned about a relay (docs/FORMATS.md §7.7): per relay URL, the folder
/// `$ATT_REPORT_HOME/relays/<host>_<port>/` holding `<log>.vkey` (the log's verifier key,
/// pinned on first use or given out of band) and, once an audit ran, `<log>.checkpoint`.
/// `submit` and `audit` share it, so a relay that later serves another key is refused by both.
enum RelayPins {
    /// The pin folder of a relay URL: its host and port, with anything but `[A-Za-z0-9.-]` as `_`.
    static func folder(home: URL, url: String) -> URL {
        var rest = url
        if let r = rest.range(of: "://") { rest = String(rest[r.upperBound...]) }
        while rest.hasSuffix("/") { rest.removeLast() }
        let name = String(rest.unicodeScalars.map { s -> Character in
            (s.properties.isASCIIHexDigit || ("a"..."z").contains(s) || ("A"..."Z").contains(s) || s == "." || s == "-")
                ? Character(s) : "_"
        })
        return home.appendingPathComponent("relays").appendingPathComponent(name)
    }

    static func keyPath(_ folder: URL, _ log: LogName) -> String { folder.appendingPathComponent("\(log.rawValue).vkey").path }

    /// The pinned key of `log`, if any.
    static func pinnedKey(_ folder: URL, _ log: LogName) throws -> NoteVerifierKey? {
        let path = keyPath(folder, log)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        do { return try NoteVerifierKey(parsing: line) } catch { throw Failure("\(path): \(error)") }
    }

    /// Checks the served key against the pin, or pins it (first use). Returns whether it was
    /// pinned now. A different key is refused: the relay, or someone in the middle, changed it.
    @discardableResult
    static func check(_ served: NoteVerifierKey, log: LogName, folder: URL) throws -> Bool {
        if let pinned = try pinnedKey(folder, log) {
            guard pinned == served else {
                throw Failure("the relay's \(log.rawValue) log key is \(served.encoded), not the pinned \(pinned.encoded) "
                              + "(\(keyPath(folder, log))); refusing: remove the pin only if the change is genuine")
            }
            return false
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFileSink.write(Array((served.encoded + "\n").utf8), to: keyPath(folder, log))
        return true
    }
}
