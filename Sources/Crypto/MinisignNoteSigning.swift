/// A minisign key as a C2SP note signer (docs/FORMATS.md §5.3): a party key signs
/// directory statements with the same Ed25519 key it signs reports with.
extension MinisignSecretKey {
    /// A type 0x01 (Ed25519) note signer under `name`, holding this key's Ed25519 seed
    /// (a copy in `SecureBytes`). Its verifier key is the note key for `name` and this
    /// key's Ed25519 public key.
    public func noteSigner(name: String) throws(NoteError) -> NoteSignerKey {
        // libsodium's 64-byte secret key is seed || public key.
        try NoteSignerKey(name: name, type: .ed25519, seed: secretKey.slice(0..<32))
    }
}

extension MinisignPublicKey {
    /// The type 0x01 (Ed25519) note verifier key for `name` and this Ed25519 public key.
    public func noteVerifier(name: String) throws(NoteError) -> NoteVerifierKey {
        try NoteVerifierKey(name: name, type: .ed25519, publicKey: publicKey)
    }
}
