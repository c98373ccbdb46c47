/// age's native X25519 recipients (`age1…`) and identities (`AGE-SECRET-KEY-1…`).
public struct AgeX25519Recipient: AgeRecipient, Equatable, Hashable, Sendable {
    static let stanzaType = "X25519"
    static let info = "age-encryption.org/v1/X25519"

    public let publicKey: [UInt8]

    public init(publicKey: [UInt8]) throws {
        guard publicKey.count == 32 else { throw AgeError.usage("an X25519 public key is 32 bytes, not \(publicKey.count)") }
        self.publicKey = publicKey
    }

    /// Parses `age1…` (Bech32, lower case only, as age requires).
    public init(parsing text: String) throws {
        guard !text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }),
              let (hrp, data) = try? Bech32.decode(text, limit: nil), hrp == "age", data.count == 32 else {
            throw AgeError.usage("\"\(AgeHeader.printable(text.utf8))\" is not an age X25519 recipient (age1…)")
        }
        publicKey = data
    }

    public var encoded: String { Bech32.encode(hrp: "age", data: publicKey) }
    public var label: String { encoded }
    public var mustBeAlone: Bool { false }

    public func wrap(fileKey: SecureBytes) throws -> [AgeStanza] {
        let ephemeral = SecureBytes.random(count: 32)
        var share = [UInt8](repeating: 0, count: 32)
        try ephemeral.withUnsafeBytes { e in try share.withUnsafeMutableBytes { try Sodium.x25519Base(e, into: $0) } }
        let shared = SecureBytes(count: 32)
        let nonZero = try ephemeral.withUnsafeBytes { e in
            try publicKey.withUnsafeBytes { p in try shared.withUnsafeMutableBytes { try Sodium.x25519(e, p, into: $0) } }
        }
        guard nonZero else { throw AgeError.usage("recipient \(encoded) is a low-order point") }
        let wrapKey = try HKDF.deriveKey(ikm: shared, salt: share + publicKey, info: AgeX25519Recipient.info)
        let body = try AgeFileKey.wrap(fileKey, wrapKey: wrapKey)
        return [AgeStanza(type: AgeX25519Recipient.stanzaType, arguments: [Base64.encode(share, padded: false)], body: body)]
    }
}

public final class AgeX25519Identity: AgeIdentity, @unchecked Sendable {
    // @unchecked: immutable after init; SecureBytes is only read.
    private let secretKey: SecureBytes
    public let recipient: AgeX25519Recipient

    public init(secretKey: SecureBytes) throws {
        guard secretKey.count == 32 else { throw AgeError.usage("an X25519 secret key is 32 bytes") }
        self.secretKey = secretKey
        var pk = [UInt8](repeating: 0, count: 32)
        try secretKey.withUnsafeBytes { s in try pk.withUnsafeMutableBytes { try Sodium.x25519Base(s, into: $0) } }
        recipient = try AgeX25519Recipient(publicKey: pk)
    }

    public static func generate() throws -> AgeX25519Identity { try AgeX25519Identity(secretKey: .random(count: 32)) }

    /// Parses `AGE-SECRET-KEY-1…`.
    public convenience init(parsing text: String) throws {
        var bytes = Array(text.utf8)
        defer { Sodium.memzero(&bytes) }
        try self.init(parsingBytes: bytes)
    }

    /// Parses `AGE-SECRET-KEY-1…` from bytes the caller can zero.
    public convenience init(parsingBytes text: [UInt8]) throws {
        guard !text.contains(where: { $0 >= 0x61 && $0 <= 0x7A }),
              var (hrp, values) = try? Bech32.decodeValues(bytes: text, limit: nil) else {
            throw AgeError.usage("not an age X25519 identity (AGE-SECRET-KEY-1…)")
        }
        defer { Sodium.memzero(&values) }
        guard hrp == "age-secret-key-", var data = Bech32.convertBits(values, from: 5, to: 8, pad: false), data.count == 32 else {
            throw AgeError.usage("not an age X25519 identity (AGE-SECRET-KEY-1…)")
        }
        hrp = ""
        try self.init(secretKey: SecureBytes(consuming: &data))
    }

    /// The identity in its text form, as bytes the caller should zero.
    public func encodedBytes() -> [UInt8] {
        secretKey.withUnsafeBytes { s in
            var bytes = Array(s)
            defer { Sodium.memzero(&bytes) }
            return Bech32.encodeBytes(hrp: "AGE-SECRET-KEY-", data: bytes, uppercase: true)
        }
    }

    /// The identity as a String (which cannot be zeroed; prefer `encodedBytes`).
    public func encoded() -> String { String(decoding: encodedBytes(), as: UTF8.self) }

    public var label: String { "X25519 identity for \(recipient.encoded)" }
    public var stanzaType: String { AgeX25519Recipient.stanzaType }

    public func unwrap(stanzas: [AgeStanza]) throws -> SecureBytes? {
        for stanza in stanzas where stanza.type == AgeX25519Recipient.stanzaType {
            let share = try AgeX25519Identity.validate(stanza)
            let shared = SecureBytes(count: 32)
            let nonZero = try secretKey.withUnsafeBytes { s in
                try share.withUnsafeBytes { p in try shared.withUnsafeMutableBytes { try Sodium.x25519(s, p, into: $0) } }
            }
            guard nonZero else { throw AgeError.header("X25519 share is a low-order point (all-zero shared secret)") }
            let wrapKey = try HKDF.deriveKey(ikm: shared, salt: share + recipient.publicKey, info: AgeX25519Recipient.info)
            if let fileKey = try AgeFileKey.unwrap(stanza.body, wrapKey: wrapKey) { return fileKey }
        }
        return nil
    }

    /// Checks an X25519 stanza's structure and returns its ephemeral share.
    static func validate(_ stanza: AgeStanza) throws -> [UInt8] {
        guard stanza.arguments.count == 1 else { throw AgeError.header("X25519 stanza must have exactly one argument") }
        guard let share = Base64.decode(stanza.arguments[0], padded: false) else {
            throw AgeError.header("X25519 share is not canonical unpadded base64")
        }
        guard share.count == 32 else { throw AgeError.header("X25519 share is \(share.count) bytes, not 32") }
        guard stanza.body.count == AgeFileKey.length + 16 else {
            throw AgeError.header("X25519 stanza body is \(stanza.body.count) bytes, not 32")
        }
        return share
    }
}
