/// Plain Ed25519 (RFC 8032) over arbitrary bytes with a minisign key pair: for protocols
/// that sign their own domain-separated messages (the relay's request authentication,
/// docs/FORMATS.md §7.2), not minisign files. A message signed here MUST begin with a
/// context string of its own, so that it can never be read as a minisign or note message.
extension MinisignSecretKey {
    /// The 64-byte Ed25519 signature of `message`.
    public func signRaw(_ message: [UInt8]) throws -> [UInt8] {
        try secretKey.withUnsafeBytes { sk in try message.withUnsafeBytes { try Sodium.ed25519Sign($0, secretKey: sk) } }
    }
}

extension MinisignPublicKey {
    /// Whether `signature` (64 bytes) is this key's Ed25519 signature of `message`
    /// (libsodium's `crypto_sign_verify_detached`: small-order keys and non-canonical
    /// encodings are refused).
    public func verifyRaw(_ signature: [UInt8], message: [UInt8]) -> Bool {
        signature.withUnsafeBytes { s in message.withUnsafeBytes { m in publicKey.withUnsafeBytes { Sodium.ed25519Verify(s, message: m, publicKey: $0) } } }
    }
}
