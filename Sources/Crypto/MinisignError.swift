/// Why a minisign key or signature was refused.
public enum MinisignError: Error, Equatable, CustomStringConvertible {
    case malformedPublicKey(String)
    case malformedSecretKey(String)
    case malformedSignature(String)
    case unsupportedAlgorithm(String)
    case passphraseRequired
    case wrongPassphrase
    case keyIDMismatch(signature: String, publicKey: String)
    case legacySignatureRefused
    case invalidSignature
    case invalidGlobalSignature
    case invalidComment(String)

    public var description: String {
        switch self {
        case let .malformedPublicKey(w): return "malformed minisign public key: \(w)"
        case let .malformedSecretKey(w): return "malformed minisign secret key: \(w)"
        case let .malformedSignature(w): return "malformed minisign signature: \(w)"
        case let .unsupportedAlgorithm(w): return "unsupported minisign algorithm: \(w)"
        case .passphraseRequired: return "the minisign secret key is encrypted and no passphrase was given"
        case .wrongPassphrase: return "wrong passphrase for the minisign secret key (checksum mismatch)"
        case let .keyIDMismatch(s, p): return "signature key id \(s) does not match public key id \(p)"
        case .legacySignatureRefused: return "legacy (non-prehashed) signature refused; allow it explicitly to verify"
        case .invalidSignature: return "signature verification failed: the file does not match the signature"
        case .invalidGlobalSignature: return "trusted comment verification failed: the comment was modified"
        case let .invalidComment(w): return "invalid comment: \(w)"
        }
    }
}
