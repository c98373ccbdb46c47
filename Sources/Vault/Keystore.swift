import Crypto
import Foundation

/// Local key storage: `$ATT_REPORT_HOME` (default `~/.att-report`), mode 0700, holding for
/// each party key a minisign secret key (scrypt-encrypted) and an age identity (an armored,
/// passphrase-protected age file), each 0600, plus their public halves.
///
///     keys/<PARTY>/<label>.minisign.key   .minisign.pub
///     keys/<PARTY>/<label>.age            .age.pub
public struct Keystore: Sendable {
    public let home: URL

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case exists(String), missing(String), malformed(String)
        public var description: String {
            switch self {
            case let .exists(p): return "\(p) already exists; refusing to overwrite a key"
            case let .missing(p): return "no key at \(p)"
            case let .malformed(p): return "\(p) is not a key file att-report wrote"
            }
        }
    }

    /// `$ATT_REPORT_HOME`, else `~/.att-report`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let h = environment["ATT_REPORT_HOME"], !h.isEmpty { return URL(fileURLWithPath: h) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".att-report")
    }

    public init(home: URL) { self.home = home }

    func directory(_ party: PartyCode) -> URL { home.appendingPathComponent("keys").appendingPathComponent(party.rawValue) }
    func path(_ party: PartyCode, _ label: String, _ suffix: String) -> String {
        directory(party).appendingPathComponent("\(label).\(suffix)").path
    }

    private func makeDirectories(_ party: PartyCode) throws {
        for url in [home, home.appendingPathComponent("keys"), directory(party)] {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
        }
    }

    /// Generates a key pair for `party` and stores it. With a nil passphrase the secret
    /// halves are stored unencrypted (only for tests and examples).
    public func generate(party: PartyCode, label: String, passphrase: SecureBytes?, created: UTCTime,
                         expires: UTCTime? = nil, scryptWorkFactor: Int = AgeScrypt.defaultWorkFactor,
                         minisignLimits: (ops: UInt64, mem: UInt64) = (Minisign.opslimit, Minisign.memlimit)) throws -> PartyKey {
        guard PartyKey.isValidLabel(label) else { throw VaultError.invalid(what: "key label", value: label) }
        try makeDirectories(party)
        for suffix in ["minisign.key", "minisign.pub", "age", "age.pub"] where FileManager.default.fileExists(atPath: path(party, label, suffix)) {
            throw Error.exists(path(party, label, suffix))
        }
        let signing = try MinisignSecretKey.generate()
        let identity = try AgeX25519Identity.generate()
        let key = try PartyKey(label: label, signingKey: signing.publicKey, recipient: identity.recipient, created: created, expires: expires)

        var secretText = Array(try signing.encodeFile(passphrase: passphrase, opslimit: minisignLimits.ops, memlimit: minisignLimits.mem).utf8)
        defer { secureZero(&secretText) }
        var identityText = AgeKeyFiles.encodeIdentity(identity, created: created.description)
        defer { secureZero(&identityText) }

        // All four files go to temporary files first; nothing appears unless all can.
        let sinks = try [("minisign.key", mode_t(0o600)), ("minisign.pub", 0o644), ("age", 0o600), ("age.pub", 0o644)].map {
            (name: $0.0, sink: try AtomicFileSink(path: path(party, label, $0.0), mode: $0.1, overwrite: false))
        }
        try sinks[0].sink.write(secretText)
        try sinks[1].sink.write(signing.publicKey.encodeFile())
        if let passphrase {
            try Age.encrypt(from: MemorySource(identityText), to: sinks[2].sink, recipients: [AgeScryptRecipient(passphrase: passphrase, workFactor: scryptWorkFactor)], armor: true)
        } else {
            try sinks[2].sink.write(identityText)
        }
        try sinks[3].sink.write(identity.recipient.encoded + "\n")
        var committed: [String] = []
        do {
            for s in sinks { try s.sink.commit(); committed.append(s.sink.path) }
        } catch {
            for p in committed { unlink(p) }
            throw error
        }
        return key
    }

    /// The labels stored for a party.
    public func labels(party: PartyCode) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory(party).path)) ?? []
        return files.filter { $0.hasSuffix(".minisign.key") }.map { String($0.dropLast(".minisign.key".count)) }.sorted()
    }

    /// The parties with keys here.
    public func parties() -> [PartyCode] {
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("keys").path)) ?? []
        return dirs.compactMap { try? PartyCode($0) }.sorted()
    }

    /// Loads the signing key; `passphrase` is asked only if the key is encrypted.
    public func signingKey(party: PartyCode, label: String, passphrase: () throws -> SecureBytes) throws -> MinisignSecretKey {
        let p = path(party, label, "minisign.key")
        guard FileManager.default.fileExists(atPath: p) else { throw Error.missing(p) }
        return try MinisignSecretKey.load(try readSmallFile(p, limit: 4096), passphrase: passphrase)
    }

    /// Loads the age identity; `passphrase` is asked only if it is protected.
    public func identity(party: PartyCode, label: String, passphrase: @escaping () throws -> SecureBytes) throws -> AgeX25519Identity {
        let p = path(party, label, "age")
        guard FileManager.default.fileExists(atPath: p) else { throw Error.missing(p) }
        var bytes = try readSmallFile(p, limit: AgeKeyFiles.maxFileSize)
        defer { secureZero(&bytes) }
        if AgeKeyFiles.isEncrypted(bytes) {
            let plain = MemorySink()
            try Age.decrypt(from: MemorySource(bytes), to: plain, identities: [AgeScryptIdentity(passphrase: passphrase)])
            var text = plain.bytes
            defer { secureZero(&text) }
            guard let id = try AgeKeyFiles.parseIdentities(text, name: p).first else { throw Error.malformed(p) }
            return id
        }
        guard let id = try AgeKeyFiles.parseIdentities(bytes, name: p).first else { throw Error.malformed(p) }
        return id
    }

    /// The public halves, for enrolment statements.
    public func publicKey(party: PartyCode, label: String) throws -> (MinisignPublicKey, AgeX25519Recipient) {
        let pub = try MinisignPublicKey(parsing: try readSmallFile(path(party, label, "minisign.pub"), limit: 4096))
        let text = String(decoding: try readSmallFile(path(party, label, "age.pub"), limit: 4096), as: UTF8.self)
        return (pub, try AgeX25519Recipient(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
