import Crypto
import Foundation

/// A directory kept on disk, offline: the signed statements in log order, one file each
/// (`000001.statement`, …). The relay's directory log carries the same entries (issue 5).
public struct LocalDirectory: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// `$ATT_REPORT_HOME/directory`.
    public static func `default`(home: URL) -> LocalDirectory { LocalDirectory(url: home.appendingPathComponent("directory")) }

    /// The entries, in order.
    public func entries() throws -> [[UInt8]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(".statement") }.sorted()
        for (i, name) in names.enumerated() where name != LocalDirectory.name(i + 1) {
            throw VaultError.invalid(what: "directory entry name (expected \(LocalDirectory.name(i + 1)))", value: name)
        }
        return try names.map { try readSmallFile(url.appendingPathComponent($0).path, limit: Statement.maxSize) }
    }

    static func name(_ n: Int) -> String { String(format: "%06d.statement", n) }

    /// The directory as replayed from its entries.
    public func state() throws -> DirectoryState { DirectoryState(replaying: try entries()) }

    /// Appends a signed statement, but only if the replay accepts it; returns the outcome.
    @discardableResult
    public func append(_ entry: [UInt8]) throws -> StatementOutcome {
        var state = try state()
        let outcome = state.apply(entry)
        guard outcome.isAccepted else { return outcome }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let next = try entries().count + 1
        try AtomicFileSink.write(entry, to: url.appendingPathComponent(LocalDirectory.name(next)).path, overwrite: false)
        return outcome
    }
}
