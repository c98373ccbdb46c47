import Crypto
import Vault

/// Request authentication (docs/FORMATS.md §7.2): a request is signed with one of the
/// caller's directory keys, the same Ed25519 key it signs reports with. The signature
/// covers the relay's name, the method, the request target as sent, the SHA-256 of the
/// body, the party, the key, a time and a nonce. No passwords, no bearer tokens.
///
///     Authorization: ATT-Ed25519 party=FRA,key=E7620F1842B4E81F,time=1767225600,nonce=<32 hex>,sig=<base64>
public enum RequestAuth {
    public static let scheme = "ATT-Ed25519"
    /// The first line of the signed message (domain separation: no minisign, note or
    /// statement message can begin with it).
    public static let context = "att-report/request/v1"
    /// Accepted distance, in seconds, between the request's time and the relay's clock.
    public static let defaultWindow: Int64 = 300
    public static let nonceLength = 16
    /// Longest Authorization header value read.
    public static let maxHeaderLength = 512

    /// The parsed `Authorization` header value.
    public struct Credentials: Equatable, Sendable {
        public let party: PartyCode
        /// 16 upper-case hex digits (the minisign key id, §5.1).
        public let keyID: String
        /// POSIX seconds.
        public let time: Int64
        public let nonce: [UInt8]
        public let signature: [UInt8]

        public init(party: PartyCode, keyID: String, time: Int64, nonce: [UInt8], signature: [UInt8]) {
            precondition(Manifest.isValidKeyID(keyID) && time >= 0 && nonce.count == RequestAuth.nonceLength && signature.count == 64)
            self.party = party; self.keyID = keyID; self.time = time; self.nonce = nonce; self.signature = signature
        }

        /// Strict: the scheme (case-insensitive, RFC 9110 §11.1), one SP, then exactly
        /// `party=`, `key=`, `time=`, `nonce=`, `sig=` in this order, separated by `,`
        /// with no white space, each value written exactly as `headerValue` writes it.
        public init(parsing header: String) throws(HTTPError) {
            let b = Array(header.utf8)
            guard b.count <= RequestAuth.maxHeaderLength else { throw .unauthenticated(.malformed) }
            let schemeEnd = b.firstIndex(of: 0x20) ?? b.count
            guard String(decoding: b[..<schemeEnd], as: UTF8.self).lowercased() == RequestAuth.scheme.lowercased() else {
                throw .unauthenticated(.unsupportedScheme)
            }
            guard schemeEnd < b.count else { throw .unauthenticated(.malformed) }
            let fields = b[(schemeEnd + 1)...].split(separator: 0x2C, omittingEmptySubsequences: false)
            let names = ["party", "key", "time", "nonce", "sig"]
            guard fields.count == names.count else { throw .unauthenticated(.malformed) }
            var values: [String] = []
            for (field, name) in zip(fields, names) {
                let prefix = Array((name + "=").utf8)
                guard field.starts(with: prefix) else { throw .unauthenticated(.malformed) }
                values.append(String(decoding: field.dropFirst(prefix.count), as: UTF8.self))
            }
            guard let party = try? PartyCode(values[0]),
                  Manifest.isValidKeyID(values[1]),
                  let time = Router.decimal(values[2]),
                  let nonce = RequestAuth.lowerHex(values[3]), nonce.count == RequestAuth.nonceLength,
                  values[4].utf8.count == 88, let sig = Base64.decode(values[4], padded: true), sig.count == 64 else {
                throw .unauthenticated(.malformed)
            }
            self.init(party: party, keyID: values[1], time: Int64(time), nonce: nonce, signature: sig)
        }

        /// The header value.
        public var headerValue: String {
            "\(RequestAuth.scheme) party=\(party),key=\(keyID),time=\(time),nonce=\(hexString(nonce)),sig=\(Base64.encode(signature, padded: true))"
        }
    }

    /// The signed message:
    ///
    ///     att-report/request/v1 LF relay LF method LF target LF body-sha256-hex LF
    ///     party LF key-id LF time LF nonce-hex LF
    public static func message(relay: String, method: String, target: String, bodySHA256: [UInt8],
                               party: PartyCode, keyID: String, time: Int64, nonce: [UInt8]) -> [UInt8] {
        precondition(bodySHA256.count == 32)
        let lines = [context, relay, method, target, hexString(bodySHA256), party.rawValue, keyID, String(time), hexString(nonce)]
        return Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// SHA-256 of the empty body (every GET and HEAD).
    public static let emptyBodySHA256 = SHA256.hash([UInt8]())

    /// Signs a request as `party` with `key`: the Authorization header value.
    public static func sign(relay: String, method: String, target: String, bodySHA256: [UInt8], party: PartyCode,
                            key: MinisignSecretKey, time: Int64,
                            nonce: [UInt8] = randomBytes(RequestAuth.nonceLength)) throws -> String {
        let keyID = key.publicKey.keyIDString
        let msg = message(relay: relay, method: method, target: target, bodySHA256: bodySHA256, party: party,
                          keyID: keyID, time: time, nonce: nonce)
        let sig = try key.signRaw(msg)
        return Credentials(party: party, keyID: keyID, time: time, nonce: nonce, signature: sig).headerValue
    }

    /// ASCII case-insensitive comparison of a header name with `Authorization`.
    static func isAuthorization(_ name: String) -> Bool {
        let a = name.utf8, b = "authorization".utf8
        return a.count == b.count && zip(a, b).allSatisfy { x, y in (x >= 0x41 && x <= 0x5A ? x | 0x20 : x) == y }
    }

    static func lowerHex(_ s: String) -> [UInt8]? { decodeLowerHex(s) }
}

/// Who signed a request that verified.
public struct AuthenticatedCaller: Equatable, Sendable {
    public let party: PartyCode
    /// The party's role in the directory when the request was verified.
    public let role: Role
    public let key: PartyKey
    /// The request's time (POSIX seconds).
    public let time: Int64
    public var keyID: String { key.keyID }
}

/// Verifies signed requests against a directory, with a clock given by the caller and a
/// nonce cache shared by every request the relay serves.
public struct RequestVerifier: Sendable {
    /// The relay's name (`<relay name>` of §3.12), the second line of every signed message.
    public let relay: String
    public let window: Int64
    public let nonces: NonceCache
    /// Requests signed before this time are stale: the relay's start time, since the nonces
    /// of requests before it were not kept (the cache lives in memory).
    public let notBefore: Int64

    public init(relay: String, window: Int64 = RequestAuth.defaultWindow, nonces: NonceCache = NonceCache(),
                notBefore: Int64 = .min) {
        precondition(window >= 0)
        self.relay = relay; self.window = window; self.nonces = nonces; self.notBefore = notBefore
    }

    /// Authenticates a request as its route requires (`Route.authentication`). `headers`
    /// are the request's header fields as received; `target` the request target as sent;
    /// `bodySHA256` the hash of the body as received (computed while streaming it); `now`
    /// the relay's clock in POSIX seconds. Returns nil for an anonymous request where that
    /// is allowed, and ignores any Authorization header on a public route.
    public func authenticate(route: Route, method: String, target: String, headers: [(name: String, value: String)],
                             bodySHA256: [UInt8], directory: KeyDirectory, now: Int64) throws(HTTPError) -> AuthenticatedCaller? {
        let requirement = route.authentication
        if requirement == .none { return nil }
        let values = headers.filter { RequestAuth.isAuthorization($0.name) }.map(\.value)
        guard values.count <= 1 else { throw .unauthenticated(.multipleHeaders) }
        guard let value = values.first else {
            if requirement == .optional { return nil }
            throw .unauthenticated(.missing)
        }
        return try verify(authorization: value, method: method, target: target, bodySHA256: bodySHA256,
                          directory: directory, now: now)
    }

    /// Verifies one Authorization header value. In order: syntax; the time within `window`
    /// of `now` and not before `notBefore`; the party and key in the directory; the key valid at the request's time and
    /// at `now`; the signature; the nonce not seen (it is remembered only once all the rest
    /// holds, so a refused request uses up nothing).
    public func verify(authorization: String, method: String, target: String, bodySHA256: [UInt8],
                       directory: KeyDirectory, now: Int64) throws(HTTPError) -> AuthenticatedCaller {
        let c = try RequestAuth.Credentials(parsing: authorization)
        // |now − time| ≤ window, without overflow (time ≤ 2^63 − 1, now any Int64).
        let (lo, o1) = now.subtractingReportingOverflow(window)
        let (hi, o2) = now.addingReportingOverflow(window)
        guard o1 || c.time >= lo, o2 || c.time <= hi, c.time >= notBefore else { throw .unauthenticated(.staleTime) }
        guard let party = directory.parties[c.party] else { throw .unauthenticated(.unknownParty) }
        guard let key = party.key(id: c.keyID) else { throw .unauthenticated(.unknownKey) }
        for t in [c.time, now] {
            switch key.validity(at: UTCTime(seconds: t)) {
            case .valid: break
            case .revoked: throw .unauthenticated(.keyRevoked)
            case .expired: throw .unauthenticated(.keyExpired)
            case .notYetValid: throw .unauthenticated(.keyNotYetValid)
            }
        }
        let message = RequestAuth.message(relay: relay, method: method, target: target, bodySHA256: bodySHA256,
                                          party: c.party, keyID: c.keyID, time: c.time, nonce: c.nonce)
        guard key.signingKey.verifyRaw(c.signature, message: message) else { throw .unauthenticated(.badSignature) }
        let (expires, o3) = c.time.addingReportingOverflow(window)
        switch nonces.insert(NonceCache.Key(nonce: c.nonce, keyID: key.signingKey.keyID), expires: o3 ? .max : expires, now: now) {
        case .fresh: break
        case .replayed: throw .unauthenticated(.replayedNonce)
        case .full: throw .unavailable(retryAfter: 1)
        }
        return AuthenticatedCaller(party: c.party, role: party.role, key: key, time: c.time)
    }
}
