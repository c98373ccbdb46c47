import Crypto

/// Why a sealed envelope could not be made, opened or verified (docs/FORMATS.md §6).
///
/// The checks of §6.4 each have their own case, so a caller (or a test) can tell a forged
/// outer signature from a re-signed one, a revoked key from an expired one, or a damaged
/// container from a tampered recipient list. Every description says what failed and where.
/// I/O failures of the caller's sources and sinks are not wrapped: they come through as
/// the `IOError` (or other error) the source or sink threw.
public enum EnvelopeError: Error, Equatable, CustomStringConvertible {
    // §6.4 check 1: the outer signature.
    /// No key in the directory has the outer signature's key id.
    case unknownSigner(keyID: String)
    /// The outer signature is not a prehashed signature, or it does not verify over the
    /// sealed file and its trusted comment.
    case outerSignatureInvalid(String)

    // §6.4 check 2: the outer trusted comment.
    /// A manifest (the outer trusted comment, or a field given to `seal`) breaks §6.1.
    case malformedManifest(String)
    /// The outer trusted comment's `sealed-size=` is not the length of the sealed file.
    case sealedSizeMismatch(declared: UInt64, actual: UInt64)
    /// A signature was made by a key other than the one the manifest names (`from=` and
    /// `key=`): the outer signature (check 2), or the inner one (check 7).
    case signerMismatch(String)

    // §6.4 check 3: the signing key at the manifest's time.
    case signingKeyRevoked(party: PartyCode, keyID: String, revoked: UTCTime, at: UTCTime)
    case signingKeyExpired(party: PartyCode, keyID: String, expires: UTCTime, at: UTCTime)
    case signingKeyNotYetValid(party: PartyCode, keyID: String, created: UTCTime, at: UTCTime)

    // §6.4 check 4: the reader.
    /// None of the reader's identities belongs to a party of `to=`, or none opens the
    /// sealed file's age header.
    case notARecipient(String)
    /// The age file is malformed, its header MAC is wrong, or its payload is damaged.
    case decryptionFailed(AgeError)

    // §6.4 checks 5–7: the container.
    /// The container is not exactly the ustar archive of §6.2.
    case malformedContainer(String)
    /// The container's recipient key list does not hash to `keys=`, or does not list
    /// exactly the parties of `to=`.
    case recipientListMismatch(String)
    /// The inner signature is malformed, by an unknown key, or does not verify over the report.
    case innerSignatureInvalid(String)
    /// The inner signature's trusted comment, or the first line of `manifest.txt`, is not
    /// the outer manifest line.
    case manifestMismatch(String)

    // Sealing.
    /// The report source gave a different number of bytes than `reportSize` said.
    case reportSizeMismatch(declared: UInt64, actual: String)
    /// `seal` was asked for something §6 does not allow (wrong key, recipients that do not
    /// fit the level, a report too large for ustar, …).
    case invalidSealRequest(String)

    /// The case's name, stable for scripts and tests (`"signerMismatch"`, …).
    public var name: String {
        switch self {
        case .unknownSigner: return "unknownSigner"
        case .outerSignatureInvalid: return "outerSignatureInvalid"
        case .malformedManifest: return "malformedManifest"
        case .sealedSizeMismatch: return "sealedSizeMismatch"
        case .signerMismatch: return "signerMismatch"
        case .signingKeyRevoked: return "signingKeyRevoked"
        case .signingKeyExpired: return "signingKeyExpired"
        case .signingKeyNotYetValid: return "signingKeyNotYetValid"
        case .notARecipient: return "notARecipient"
        case .decryptionFailed: return "decryptionFailed"
        case .malformedContainer: return "malformedContainer"
        case .recipientListMismatch: return "recipientListMismatch"
        case .innerSignatureInvalid: return "innerSignatureInvalid"
        case .manifestMismatch: return "manifestMismatch"
        case .reportSizeMismatch: return "reportSizeMismatch"
        case .invalidSealRequest: return "invalidSealRequest"
        }
    }

    public var description: String {
        switch self {
        case let .unknownSigner(id):
            return "outer signature: key \(id) is not a key of any party in the directory"
        case let .outerSignatureInvalid(why):
            return "outer signature: \(why)"
        case let .malformedManifest(why):
            return "manifest: \(why)"
        case let .sealedSizeMismatch(declared, actual):
            return "outer signature: the trusted comment says sealed-size=\(declared), but the sealed file is \(actual) bytes"
        case let .signerMismatch(why):
            return "signer mismatch: \(why)"
        case let .signingKeyRevoked(p, id, r, t):
            return "signing key \(p)/\(id) was revoked at \(r), not later than the manifest time \(t)"
        case let .signingKeyExpired(p, id, e, t):
            return "signing key \(p)/\(id) expired at \(e), not later than the manifest time \(t)"
        case let .signingKeyNotYetValid(p, id, c, t):
            return "signing key \(p)/\(id) was created at \(c), after the manifest time \(t)"
        case let .notARecipient(why):
            return "not a recipient: \(why)"
        case let .decryptionFailed(e):
            return "sealed file: \(e.description)"
        case let .malformedContainer(why):
            return "container: \(why)"
        case let .recipientListMismatch(why):
            return "recipient list (manifest.txt): \(why)"
        case let .innerSignatureInvalid(why):
            return "inner signature: \(why)"
        case let .manifestMismatch(why):
            return "manifest mismatch: \(why)"
        case let .reportSizeMismatch(declared, actual):
            return "report: expected \(declared) bytes (its size when sealing began), but the input gave \(actual)"
        case let .invalidSealRequest(why):
            return "cannot seal: \(why)"
        }
    }
}
