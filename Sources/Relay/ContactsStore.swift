import Crypto
import Foundation
import Vault

/// The points-of-contact documents the relay holds (docs/FORMATS.md §5.2, §7.3): one file per
/// party, `<data>/contacts/<PARTY>.txt`, replaced atomically (temporary file, fsync, rename).
/// A document is only ever stored when its SHA-256 is the party's `contacts-sha256` in the
/// directory, and only served while it still is: a party that changes its statement and has
/// not uploaded the new document has none to serve.
public struct ContactsStore: Sendable {
    public let directory: String
    /// The largest document accepted (§7.1).
    public static let maxSize = 65_536

    public init(directory: String) { self.directory = directory }

    func path(_ party: PartyCode) -> String { "\(directory)/\(party.rawValue).txt" }

    /// The held document of `party` if its SHA-256 is `expected`.
    public func document(_ party: PartyCode, expected: String?) throws -> [UInt8]? {
        guard let expected, let data = FileManager.default.contents(atPath: path(party)) else { return nil }
        let bytes = [UInt8](data)
        return hexString(SHA256.hash(bytes)) == expected ? bytes : nil
    }

    /// Stores `bytes` as `party`'s document (the caller checked it against the directory).
    public func store(_ bytes: [UInt8], for party: PartyCode) throws {
        precondition(bytes.count <= Self.maxSize)
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        try AtomicFileSink.write(bytes, to: path(party), mode: 0o600)
    }
}
