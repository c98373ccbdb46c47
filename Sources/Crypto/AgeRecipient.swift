/// Something a file key can be wrapped to: one or more header stanzas.
public protocol AgeRecipient {
    /// A short, non-secret label for messages ("age1…", "scrypt passphrase").
    var label: String { get }
    /// True for recipients that must be alone in a header (scrypt).
    var mustBeAlone: Bool { get }
    func wrap(fileKey: SecureBytes) throws -> [AgeStanza]
}

/// Something that can unwrap a file key from a header's stanzas.
public protocol AgeIdentity {
    /// A short, non-secret label for messages ("X25519 age1…", "passphrase").
    var label: String { get }
    /// The stanza type this identity unwraps ("X25519", "scrypt").
    var stanzaType: String { get }
    /// Returns the file key, or nil when no stanza is for this identity. Throws
    /// `AgeError.header` when a stanza of this identity's type is malformed.
    func unwrap(stanzas: [AgeStanza]) throws -> SecureBytes?
}

/// The file key is 16 random bytes; wrapping it gives a 32-byte body (key and tag).
enum AgeFileKey {
    static let length = 16

    static func generate() -> SecureBytes { SecureBytes.random(count: length) }

    /// ChaCha20-Poly1305 with a zero nonce under a single-use wrap key.
    static func wrap(_ fileKey: SecureBytes, wrapKey: SecureBytes) throws -> [UInt8] {
        var body = [UInt8](repeating: 0, count: length + 16)
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        try body.withUnsafeMutableBytes { b in
            fileKey.withUnsafeBytes { b.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: length) }
            try zeroNonce.withUnsafeBytes { n in
                try wrapKey.withUnsafeBytes { k in try Sodium.chachaSealInPlace(b.baseAddress!, count: length, nonce: n, key: k) }
            }
        }
        return body
    }

    /// Returns nil when the tag does not verify (the stanza is not for this key).
    static func unwrap(_ body: [UInt8], wrapKey: SecureBytes) throws -> SecureBytes? {
        precondition(body.count == length + 16)
        let work = SecureBytes(copying: body)
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        let ok = try work.withUnsafeMutableBytes { b in
            try zeroNonce.withUnsafeBytes { n in
                try wrapKey.withUnsafeBytes { k in try Sodium.chachaOpenInPlace(b.baseAddress!, count: b.count, nonce: n, key: k) }
            }
        }
        return ok ? work.slice(0..<length) : nil
    }
}
