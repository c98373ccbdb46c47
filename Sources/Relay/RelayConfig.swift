import Crypto
import Foundation
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// Why the relay's data directory could not be opened or prepared.
public enum RelayConfigError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case keyFile(path: String, problem: String)
    case directoryMismatch(index: UInt64)
    case directoryRejected(index: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidName(n):
            return "relay name \"\(n)\" is not a host name (letters, digits, '-' and '.', at most 253 bytes)"
        case let .keyFile(path, problem): return "log key \(path): \(problem)"
        case let .directoryMismatch(i):
            return "the directory log's entry \(i) differs from the local directory's statement \(i + 1); refusing to start"
        case let .directoryRejected(i, reason):
            return "the local directory's statement \(i + 1) is rejected by replay (\(reason)); refusing to import it"
        }
    }
}

/// The relay's data directory (docs/FORMATS.md §3.12): the two logs and their signing keys.
///
///     <data>/submissions.db    the submissions log (SQLite, WAL)
///     <data>/directory.db      the directory log
///     <data>/submissions.skey  the submissions log's note signer key, mode 0600
///     <data>/directory.skey    the directory log's note signer key, mode 0600
///     <data>/envelopes/        the envelopes, content-addressed (EnvelopeStore)
///     <data>/envelopes.db      the envelopes' index
///
/// Each log's origin, and its key's name, is `<relay name>/<log>`.
public struct RelayConfig: Sendable {
    public static let defaultName = "att-relay.localhost"

    public let dataDirectory: URL
    /// The relay's host name: the logs' origins start with it, and signed requests name it (§7.2.2).
    public let name: String

    public init(dataDirectory: URL, name: String = RelayConfig.defaultName) throws(RelayConfigError) {
        guard RelayConfig.isValidName(name) else { throw .invalidName(name) }
        self.dataDirectory = dataDirectory
        self.name = name
    }

    static func isValidName(_ name: String) -> Bool {
        let b = name.utf8
        return (1...253).contains(b.count) && b.first != UInt8(ascii: ".") && b.first != UInt8(ascii: "-")
            && b.allSatisfy { Router.isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// `<relay name>/<log>`.
    public func origin(_ log: LogName) -> String { "\(name)/\(log.rawValue)" }

    public func databasePath(_ log: LogName) -> String { dataDirectory.appendingPathComponent("\(log.rawValue).db").path }

    public func keyPath(_ log: LogName) -> String { dataDirectory.appendingPathComponent("\(log.rawValue).skey").path }

    /// Creates the data directory (mode 0700) if it is missing.
    public func prepareDataDirectory() throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// The log's signer key: read from `<log>.skey`, or generated and written there (0600)
    /// the first time. A key file that others may read, or that names another origin (the
    /// relay was renamed), is refused.
    public func signerKey(_ log: LogName) throws -> NoteSignerKey {
        let path = keyPath(log)
        let origin = origin(log)
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw RelayConfigError.keyFile(path: path, problem: "not a regular file") }
            guard st.st_mode & 0o077 == 0 else {
                throw RelayConfigError.keyFile(path: path, problem: "readable by others (chmod 600 it)")
            }
            var bytes = try readSmallFile(path, limit: 4096)
            defer { secureZero(&bytes) }
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            let key: NoteSignerKey
            do { key = try NoteSignerKey(parsingBytes: bytes) } catch {
                throw RelayConfigError.keyFile(path: path, problem: "not a note signer key (\(error))")
            }
            guard key.name == origin else {
                throw RelayConfigError.keyFile(path: path, problem: "the key is for \"\(key.name)\", not \"\(origin)\"")
            }
            return key
        }
        let key = try NoteSignerKey.generate(name: origin)
        var bytes = key.encodedBytes() + [UInt8(ascii: "\n")]
        defer { secureZero(&bytes) }
        try AtomicFileSink.write(bytes, to: path, mode: 0o600, overwrite: false)
        return key
    }

    /// Creates the data directory and keys if needed and opens both logs and the envelope
    /// store (matching any leaf appended just before a crash with its envelope).
    public func openLogs() throws -> RelayLogs {
        try prepareDataDirectory()
        func open(_ log: LogName) throws -> (LogStore, NoteCheckpointSigner) {
            let signer = NoteCheckpointSigner(origin: origin(log), key: try signerKey(log))
            return (try LogStore(path: databasePath(log), signer: signer), signer)
        }
        let (submissions, submissionsSigner) = try open(.submissions)
        let (directory, directorySigner) = try open(.directory)
        let envelopes = try EnvelopeStore(dataDirectory: dataDirectory)
        try envelopes.recover(log: submissions)
        return RelayLogs(submissions: submissions, submissionsKey: submissionsSigner.verifierKey,
                         directory: directory, directoryKey: directorySigner.verifierKey,
                         envelopes: envelopes, submissionCommitter: SubmissionCommitter(store: envelopes, log: submissions))
    }
}

/// The relay's two open logs and their verifier keys.
public struct RelayLogs: Sendable {
    public let submissions: LogStore
    public let submissionsKey: NoteVerifierKey
    public let directory: LogStore
    public let directoryKey: NoteVerifierKey
    /// The envelopes whose leaves are in the submissions log.
    public let envelopes: EnvelopeStore
    /// Group commit of envelopes and their submissions-log leaves: every upload goes through it.
    public let submissionCommitter: SubmissionCommitter

    public func store(_ log: LogName) -> LogStore {
        switch log {
        case .submissions: return submissions
        case .directory: return directory
        }
    }

    public func verifierKey(_ log: LogName) -> NoteVerifierKey {
        switch log {
        case .submissions: return submissionsKey
        case .directory: return directoryKey
        }
    }

    /// Brings the directory log up to the local directory's statements (in order): the
    /// entries both hold must be the same bytes, and the missing ones are appended in one
    /// batch (one signed checkpoint) after replay accepts them. Returns how many were
    /// appended. A log already longer than the local directory is left as it is.
    @discardableResult
    public func importDirectory(_ entries: [[UInt8]]) throws -> Int {
        let held = directory.size
        for i in 0..<min(held, UInt64(entries.count)) where try directory.entry(at: i) != entries[Int(i)] {
            throw RelayConfigError.directoryMismatch(index: i)
        }
        guard UInt64(entries.count) > held else { return 0 }
        let state = DirectoryState(replaying: entries)
        for (i, outcome) in state.outcomes.enumerated() where i >= Int(held) {
            if let r = outcome.rejection { throw RelayConfigError.directoryRejected(index: i, reason: r.description) }
        }
        let missing = Array(entries[Int(held)...])
        try directory.append(missing)
        return missing.count
    }
}
