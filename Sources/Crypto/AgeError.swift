/// Why an age file could not be read. The cases follow the classes of the age test
/// vectors (C2SP CCTV), so a caller, or a test, can tell a forged MAC from a malformed
/// header, a wrong key, or a damaged payload.
public enum AgeError: Error, Equatable, CustomStringConvertible {
    /// The header is malformed, or a stanza for one of our identities is. ("header failure")
    case header(String)
    /// The header parsed and a file key was found, but its MAC does not match. ("HMAC failure")
    case headerMAC
    /// No identity could unwrap any stanza. `tried` names the identities, not their secrets.
    case noMatchingIdentity(tried: [String])
    /// The payload is truncated, forged, or has data after its last chunk. ("payload failure")
    case payload(String)
    /// The ASCII armor is malformed. ("armor failure")
    case armor(String)
    /// A request we cannot carry out (e.g. scrypt mixed with other recipients).
    case usage(String)

    public var description: String {
        switch self {
        case let .header(why): return "malformed age header: \(why)"
        case .headerMAC: return "age header MAC does not match: the header was modified or the key is wrong"
        case let .noMatchingIdentity(tried):
            return tried.isEmpty ? "no identity of a type this file's recipients use was given"
                : "no identity matched any of the file's recipients (tried \(tried.joined(separator: ", ")))"
        case let .payload(why): return "age payload failure: \(why)"
        case let .armor(why): return "malformed age armor: \(why)"
        case let .usage(why): return why
        }
    }
}
