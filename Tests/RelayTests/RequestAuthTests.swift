import Crypto
import Dispatch
import Relay
import Testing
import Vault

/// Signed requests (docs/FORMATS.md §7.2) and the nonce cache behind replay protection.
@Suite("request authentication")
struct RequestAuthTests {
    struct Directory: KeyDirectory { let parties: [PartyCode: Party] }

    /// 2026-01-01T00:00:00Z: the relay's clock in these tests.
    static let now: Int64 = 1_767_225_600
    static let day: Int64 = 86_400
    static let relay = "att-relay.example"

    let fra = try! PartyCode("FRA"), nga = try! PartyCode("NGA"), sec = try! PartyCode("SEC")
    let main: MinisignSecretKey, second: MinisignSecretKey, revoked: MinisignSecretKey, expired: MinisignSecretKey
    let future: MinisignSecretKey, lateRevoked: MinisignSecretKey, ngaKey: MinisignSecretKey, secKey: MinisignSecretKey
    let directory: Directory

    init() throws {
        func gen() throws -> MinisignSecretKey { try MinisignSecretKey.generate() }
        main = try gen(); second = try gen(); revoked = try gen(); expired = try gen()
        future = try gen(); lateRevoked = try gen(); ngaKey = try gen(); secKey = try gen()
        func key(_ label: String, _ k: MinisignSecretKey, created: Int64 = RequestAuthTests.now - 30 * RequestAuthTests.day, expires: Int64? = nil,
                 revoked: Int64? = nil) throws -> PartyKey {
            try PartyKey(label: label, signingKey: k.publicKey, recipient: AgeX25519Identity.generate().recipient,
                         created: UTCTime(seconds: created), expires: expires.map(UTCTime.init(seconds:)),
                         revoked: revoked.map(UTCTime.init(seconds:)))
        }
        let now = Self.now
        let fraKeys = [
            try key("main", main), try key("second", second),
            try key("revoked", revoked, revoked: now - 3600),
            try key("expired", expired, expires: now - 10),
            try key("future", future, created: now + 3600),
            // Valid at a request time of now − 200, revoked by the relay's clock.
            try key("late-revoked", lateRevoked, revoked: now - 100),
        ]
        directory = Directory(parties: [
            fra: Party(code: fra, name: "France", role: .stateParty, entryIntoForce: nil, keys: fraKeys),
            nga: Party(code: nga, name: "Nigeria", role: .stateParty, entryIntoForce: nil, keys: [try key("main", ngaKey)]),
            sec: Party(code: sec, name: "Secretariat", role: .secretariat, entryIntoForce: nil, keys: [try key("main", secKey)]),
        ])
    }

    static let body = Array("sealed bytes".utf8)
    static let bodyHash = SHA256.hash(body)

    func sign(_ key: MinisignSecretKey? = nil, party: PartyCode? = nil, method: String = "POST",
              target: String = "/v1/envelopes", bodySHA256: [UInt8] = bodyHash, time: Int64 = now,
              nonce: [UInt8] = randomBytes(16), relay: String = relay) throws -> String {
        try RequestAuth.sign(relay: relay, method: method, target: target, bodySHA256: bodySHA256,
                             party: party ?? fra, key: key ?? main, time: time, nonce: nonce)
    }

    func verify(_ header: String, method: String = "POST", target: String = "/v1/envelopes",
                bodySHA256: [UInt8] = bodyHash, now: Int64 = now,
                verifier: RequestVerifier = RequestVerifier(relay: relay)) throws(HTTPError) -> AuthenticatedCaller {
        try verifier.verify(authorization: header, method: method, target: target, bodySHA256: bodySHA256,
                            directory: directory, now: now)
    }

    // MARK: Round trip and format

    @Test func roundTrip() throws {
        let h = try sign()
        let caller = try verify(h)
        #expect(caller.party == fra && caller.role == .stateParty && caller.keyID == main.publicKey.keyIDString)
        #expect(caller.key.label == "main" && caller.time == Self.now)
        let s = try verify(try sign(secKey, party: sec, method: "GET", target: "/v1/contacts/FRA",
                                    bodySHA256: RequestAuth.emptyBodySHA256), method: "GET", target: "/v1/contacts/FRA",
                           bodySHA256: SHA256.hash([UInt8]()))
        #expect(s.party == sec && s.role == .secretariat)
    }

    @Test func headerFormat() throws {
        let nonce = [UInt8](0..<16)
        let h = try sign(nonce: nonce)
        let prefix = "ATT-Ed25519 party=FRA,key=\(main.publicKey.keyIDString),time=1767225600,nonce=000102030405060708090a0b0c0d0e0f,sig="
        #expect(h.hasPrefix(prefix))
        #expect(h.utf8.count == prefix.utf8.count + 88)
        let c = try RequestAuth.Credentials(parsing: h)
        #expect(c.headerValue == h)
        #expect(c.party == fra && c.time == Self.now && c.nonce == nonce && c.signature.count == 64)
    }

    @Test func signedMessage() {
        let m = RequestAuth.message(relay: "att-relay.example", method: "GET", target: "/v1/envelopes?from=FRA&limit=5",
                                    bodySHA256: RequestAuth.emptyBodySHA256, party: fra, keyID: "E7620F1842B4E81F",
                                    time: 1_767_225_600, nonce: [UInt8](repeating: 0xA5, count: 16))
        let expected = """
            att-report/request/v1
            att-relay.example
            GET
            /v1/envelopes?from=FRA&limit=5
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            FRA
            E7620F1842B4E81F
            1767225600
            a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5

            """
        #expect(String(decoding: m, as: UTF8.self) == expected)
    }

    /// The worked example of §7.2.5: a key from a fixed seed (32 bytes 0x42) signs a fixed
    /// request; Ed25519 is deterministic, so the header is always the same. Checked
    /// independently with Python's `cryptography` (Ed25519PrivateKey.from_private_bytes).
    @Test func workedExample() throws {
        let key = try MinisignSecretKey.fromSeed(SecureBytes(copying: [UInt8](repeating: 0x42, count: 32)),
                                                 keyID: [0x1F, 0xE8, 0xB4, 0x42, 0x18, 0x0F, 0x62, 0xE7])
        #expect(key.publicKey.keyIDString == "E7620F1842B4E81F")
        let h = try RequestAuth.sign(relay: "att-relay.example", method: "GET", target: "/v1/envelopes?from=FRA&limit=5",
                                     bodySHA256: RequestAuth.emptyBodySHA256, party: fra, key: key, time: 1_767_225_600,
                                     nonce: [UInt8](repeating: 0xA5, count: 16))
        #expect(h == Self.workedExampleHeader)
        #expect(key.publicKey.base64 == Self.workedExamplePublicKey)
        let pk = try MinisignPublicKey(base64: Self.workedExamplePublicKey)
        let d = Directory(parties: [fra: Party(code: fra, name: "France", role: .stateParty, entryIntoForce: nil, keys: [
            try PartyKey(label: "example", signingKey: pk, recipient: AgeX25519Identity.generate().recipient,
                         created: UTCTime(seconds: 0)),
        ])])
        let caller = try RequestVerifier(relay: "att-relay.example").verify(
            authorization: h, method: "GET", target: "/v1/envelopes?from=FRA&limit=5",
            bodySHA256: RequestAuth.emptyBodySHA256, directory: d, now: 1_767_225_600 + 17)
        #expect(caller.keyID == "E7620F1842B4E81F")
    }

    static let workedExamplePublicKey = "RWQf6LRCGA9i5yFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS"
    static let workedExampleHeader = "ATT-Ed25519 party=FRA,key=E7620F1842B4E81F,time=1767225600,nonce=a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5,"
        + "sig=hNtW30fYwBYRXHn6UfkMtJh0onoMhsw9ZLwktzheLl++hWM//jZ/rYE2RYbb56KYw4A7vR9Op8M9jxbL49czCQ=="

    @Test func schemeIsCaseInsensitive() throws {
        let h = try sign()
        #expect(try verify("att-ed25519" + h.dropFirst(RequestAuth.scheme.count)).party == fra)
    }

    // MARK: Tampering

    @Test func everySignedPartMatters() throws {
        let h = try sign()
        let stale = HTTPError.unauthenticated(.badSignature)
        #expect(throws: stale) { try verify(h, method: "PUT") }
        #expect(throws: stale) { try verify(h, target: "/v1/envelopes?x=1") }
        #expect(throws: stale) { try verify(h, target: "/v1/envelopes/") }
        #expect(throws: stale) { try verify(h, bodySHA256: SHA256.hash(Self.body + [0])) }
        #expect(throws: stale) { try verify(h, bodySHA256: RequestAuth.emptyBodySHA256) }
        #expect(throws: stale) { try verify(h, verifier: RequestVerifier(relay: "other-relay.example")) }
        // A signature for HEAD does not serve GET.
        let head = try sign(method: "HEAD", target: "/v1/envelopes", bodySHA256: RequestAuth.emptyBodySHA256)
        #expect(throws: stale) { try verify(head, method: "GET", bodySHA256: RequestAuth.emptyBodySHA256) }
    }

    @Test func everyHeaderFieldMatters() throws {
        let c = try RequestAuth.Credentials(parsing: try sign())
        func with(party: PartyCode? = nil, keyID: String? = nil, time: Int64? = nil, nonce: [UInt8]? = nil,
                  signature: [UInt8]? = nil) -> String {
            RequestAuth.Credentials(party: party ?? c.party, keyID: keyID ?? c.keyID, time: time ?? c.time,
                                    nonce: nonce ?? c.nonce, signature: signature ?? c.signature).headerValue
        }
        var nonce = c.nonce; nonce[15] ^= 1
        var sig = c.signature; sig[0] ^= 0x80
        var sig2 = c.signature; sig2[63] ^= 0x01
        #expect(throws: HTTPError.unauthenticated(.badSignature)) { try verify(with(time: c.time - 1)) }
        #expect(throws: HTTPError.unauthenticated(.badSignature)) { try verify(with(nonce: nonce)) }
        #expect(throws: HTTPError.unauthenticated(.badSignature)) { try verify(with(signature: sig)) }
        #expect(throws: HTTPError.unauthenticated(.badSignature)) { try verify(with(signature: sig2)) }
        // Another valid key of the same party did not sign it.
        #expect(throws: HTTPError.unauthenticated(.badSignature)) { try verify(with(keyID: second.publicKey.keyIDString)) }
        // The key is FRA's, not NGA's.
        #expect(throws: HTTPError.unauthenticated(.unknownKey)) { try verify(with(party: nga)) }
        // Signed as NGA with FRA's key: NGA has no such key.
        #expect(throws: HTTPError.unauthenticated(.unknownKey)) { try verify(try sign(main, party: nga)) }
        // The untampered header still verifies (nothing above used its nonce up).
        #expect(try verify(with()).party == fra)
    }

    // MARK: Time and replay

    @Test func timeWindow() throws {
        let w = RequestAuth.defaultWindow
        for skew in [-w, -w + 1, -1, 0, 1, w - 1, w] {
            #expect(try verify(try sign(time: Self.now + skew)).party == fra, "skew \(skew)")
        }
        for skew in [-w - 1, w + 1, -10 * w, 10 * w] {
            #expect(throws: HTTPError.unauthenticated(.staleTime), "skew \(skew)") { try verify(try sign(time: Self.now + skew)) }
        }
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(try sign(time: 0)) }
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(try sign(time: Int64.max)) }
        // A narrower window.
        let strict = RequestVerifier(relay: Self.relay, window: 5)
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(try sign(time: Self.now - 6), verifier: strict) }
        #expect(try verify(try sign(time: Self.now - 5), verifier: strict).party == fra)
        // A relay that started at now − 10 kept no nonces from before: older requests are stale.
        let restarted = RequestVerifier(relay: Self.relay, notBefore: Self.now - 10)
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(try sign(time: Self.now - 11), verifier: restarted) }
        #expect(try verify(try sign(time: Self.now - 10), verifier: restarted).party == fra)
        // Clocks at the ends of the range do not overflow.
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(try sign(time: Self.now), now: Int64.max) }
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(try sign(time: Self.now), now: Int64.min) }
    }

    @Test func replayedNonceIsRefused() throws {
        let verifier = RequestVerifier(relay: Self.relay)
        let h = try sign()
        #expect(try verify(h, verifier: verifier).party == fra)
        #expect(throws: HTTPError.unauthenticated(.replayedNonce)) { try verify(h, verifier: verifier) }
        #expect(throws: HTTPError.unauthenticated(.replayedNonce)) { try verify(h, now: Self.now + 300, verifier: verifier) }
        // Same nonce, re-signed at another time, with the same key: still a replay.
        let c = try RequestAuth.Credentials(parsing: h)
        #expect(throws: HTTPError.unauthenticated(.replayedNonce)) { try verify(try sign(time: Self.now + 1, nonce: c.nonce), verifier: verifier) }
        // Nonces are per key: another key may happen to use the same bytes.
        #expect(try verify(try sign(second, nonce: c.nonce), verifier: verifier).keyID == second.publicKey.keyIDString)
        // Once the request could no longer be accepted, it is stale rather than replayed.
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(h, now: Self.now + 301, verifier: verifier) }
        // Verifiers sharing one cache share the replay protection.
        let other = RequestVerifier(relay: Self.relay, nonces: verifier.nonces)
        #expect(throws: HTTPError.unauthenticated(.replayedNonce)) { try verify(h, verifier: other) }
    }

    @Test func refusedRequestsUseUpNoNonce() throws {
        let verifier = RequestVerifier(relay: Self.relay)
        let h = try sign()
        #expect(throws: HTTPError.unauthenticated(.badSignature)) { try verify(h, bodySHA256: RequestAuth.emptyBodySHA256, verifier: verifier) }
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { try verify(h, now: Self.now + 1000, verifier: verifier) }
        #expect(verifier.nonces.count == 0)
        #expect(try verify(h, verifier: verifier).party == fra)
        #expect(verifier.nonces.count == 1)
    }

    @Test func fullNonceCacheIsUnavailable() throws {
        let verifier = RequestVerifier(relay: Self.relay, nonces: NonceCache(capacity: 2))
        _ = try verify(try sign(), verifier: verifier)
        _ = try verify(try sign(), verifier: verifier)
        #expect(throws: HTTPError.unavailable(retryAfter: 1)) { try verify(try sign(), verifier: verifier) }
        // After the window the old nonces expire and room comes back.
        #expect(try verify(try sign(time: Self.now + 301), now: Self.now + 301, verifier: verifier).party == fra)
    }

    // MARK: Keys

    @Test func keyValidity() throws {
        #expect(throws: HTTPError.unauthenticated(.keyRevoked)) { try verify(try sign(revoked)) }
        #expect(throws: HTTPError.unauthenticated(.keyExpired)) { try verify(try sign(expired)) }
        #expect(throws: HTTPError.unauthenticated(.keyNotYetValid)) { try verify(try sign(future)) }
        // Valid at the request's time, revoked by the relay's clock.
        #expect(throws: HTTPError.unauthenticated(.keyRevoked)) { try verify(try sign(lateRevoked, time: Self.now - 200)) }
        // Revoked keys stay refused even when the signature and everything else are right:
        // the same key was fine before its revocation.
        #expect(try verify(try sign(revoked, time: Self.now - 3700), now: Self.now - 3700).party == fra)
        // Expired exactly at the expiry time.
        #expect(throws: HTTPError.unauthenticated(.keyExpired)) { try verify(try sign(expired, time: Self.now - 10), now: Self.now - 10) }
        #expect(try verify(try sign(expired, time: Self.now - 11), now: Self.now - 11).party == fra)
    }

    @Test func unknownPartyOrKey() throws {
        let stranger = try MinisignSecretKey.generate()
        #expect(throws: HTTPError.unauthenticated(.unknownParty)) { try verify(try sign(stranger, party: try PartyCode("ZZZ"))) }
        #expect(throws: HTTPError.unauthenticated(.unknownParty)) { try verify(try sign(main, party: try PartyCode("DEU"))) }
        #expect(throws: HTTPError.unauthenticated(.unknownKey)) { try verify(try sign(stranger)) }
        #expect(throws: HTTPError.unauthenticated(.unknownKey)) { try verify(try sign(secKey)) }
    }

    // MARK: Malformed headers

    @Test func malformedHeaders() throws {
        let h = try sign()
        let c = try RequestAuth.Credentials(parsing: h)
        let k = c.keyID, n = hexString(c.nonce), s = Base64.encode(c.signature, padded: true)
        let body = "party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(s)"
        let malformed = [
            "ATT-Ed25519", "ATT-Ed25519 ", "ATT-Ed25519  " + body, "ATT-Ed25519 " + body + ",",
            "ATT-Ed25519 " + body + " ", "ATT-Ed25519 " + body + ",extra=1",
            "ATT-Ed25519 party=FRA, key=\(k),time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 key=\(k),party=FRA,time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n)",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(s),sig=\(s)",
            "ATT-Ed25519 Party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=\"FRA\",key=\(k),time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=fra,key=\(k),time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k.lowercased()),time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k.dropLast()),time=\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=0\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=-\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=+\(Self.now),nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=9223372036854775808,nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=,nonce=\(n),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n.uppercased()),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n.dropLast(2)),sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n)00,sig=\(s)",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(s.dropLast())",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(s.dropLast(2))",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(Base64.encode(c.signature.dropLast(), padded: true))",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(Base64.encode(c.signature, padded: false))",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(String(s.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }))",
            "ATT-Ed25519 party=FRA,key=\(k),time=\(Self.now),nonce=\(n),sig=\(String(repeating: "A", count: 85))B==",
            "ATT-Ed25519 " + body + String(repeating: "A", count: 400),
        ]
        for m in malformed where m != h {
            #expect(throws: HTTPError.unauthenticated(.malformed), "\(m)") { try verify(m) }
        }
        for m in ["Bearer abc", "Basic Zm9vOmJhcg==", "", " ATT-Ed25519 " + body, "ATT-Ed25519x " + body, "Signature " + body,
                  "ATT-Ed25519\t" + body] {
            #expect(throws: HTTPError.unauthenticated(.unsupportedScheme), "\(m)") { try verify(m) }
        }
    }

    // MARK: Route requirements

    @Test func routeRequirements() throws {
        let verifier = RequestVerifier(relay: Self.relay)
        let empty = RequestAuth.emptyBodySHA256
        func auth(_ route: Route, _ method: String, _ target: String, _ headers: [(name: String, value: String)],
                  body: [UInt8] = RequestAuth.emptyBodySHA256) throws(HTTPError) -> AuthenticatedCaller? {
            try verifier.authenticate(route: route, method: method, target: target, headers: headers, bodySHA256: body,
                                      directory: directory, now: Self.now)
        }
        let garbage = [(name: "Authorization", value: "Bearer x")]
        // Public: the header is not even read.
        #expect(try auth(.checkpoint(.submissions), "GET", "/v1/logs/submissions/checkpoint", garbage) == nil)
        // Optional: anonymous is fine, a header must verify.
        let list = Route.listEnvelopes(EnvelopeFilter())
        #expect(try auth(list, "GET", "/v1/envelopes", []) == nil)
        #expect(throws: HTTPError.unauthenticated(.unsupportedScheme)) { try auth(list, "GET", "/v1/envelopes", garbage) }
        let signed = try sign(method: "GET", target: "/v1/envelopes", bodySHA256: empty)
        #expect(try auth(list, "GET", "/v1/envelopes", [("AUTHORIZATION", signed)])?.party == fra)
        // Required.
        #expect(throws: HTTPError.unauthenticated(.missing)) { try auth(.contacts, "GET", "/v1/contacts", [("Accept", "*/*")]) }
        let c = try sign(secKey, party: sec, method: "GET", target: "/v1/contacts", bodySHA256: empty)
        #expect(try auth(.contacts, "GET", "/v1/contacts", [("authorization", c)])?.party == sec)
        let c2 = try sign(secKey, party: sec, method: "GET", target: "/v1/contacts", bodySHA256: empty)
        #expect(throws: HTTPError.unauthenticated(.multipleHeaders)) {
            try auth(.contacts, "GET", "/v1/contacts", [("Authorization", c2), ("authorization", c2)])
        }
        let up = try sign(method: "POST", target: "/v1/envelopes")
        #expect(try auth(.submitEnvelope, "POST", "/v1/envelopes", [("Authorization", up)], body: Self.bodyHash)?.party == fra)
    }
}

@Suite("nonce cache")
struct NonceCacheTests {
    static func key(_ i: Int, keyID: UInt8 = 1) -> NonceCache.Key {
        var n = [UInt8](repeating: 0, count: 16)
        for b in 0..<8 { n[15 - b] = UInt8(truncatingIfNeeded: i >> (8 * b)) }
        return NonceCache.Key(nonce: n, keyID: [UInt8](repeating: keyID, count: 8))
    }

    @Test func freshThenReplayedThenExpired() {
        let cache = NonceCache(capacity: 10)
        #expect(cache.insert(Self.key(1), expires: 100, now: 0) == .fresh)
        #expect(cache.insert(Self.key(1), expires: 100, now: 50) == .replayed)
        #expect(cache.insert(Self.key(1), expires: 200, now: 100) == .replayed)  // live through its expiry second
        #expect(cache.contains(Self.key(1), now: 100))
        #expect(!cache.contains(Self.key(1), now: 101))
        #expect(cache.insert(Self.key(1), expires: 200, now: 101) == .fresh)
        #expect(cache.insert(Self.key(1, keyID: 2), expires: 200, now: 101) == .fresh)  // scoped by key
        #expect(cache.count == 2)
        cache.purge(now: 201)
        #expect(cache.count == 0)
    }

    @Test func deadOnArrivalIsNotStored() {
        let cache = NonceCache(capacity: 1)
        #expect(cache.insert(Self.key(1), expires: 10, now: 11) == .fresh)
        #expect(cache.count == 0)
        #expect(cache.insert(Self.key(2), expires: 20, now: 11) == .fresh)
    }

    @Test func capacityIsAHardBound() {
        let cache = NonceCache(capacity: 100)
        for i in 0..<100 { #expect(cache.insert(Self.key(i), expires: 1000, now: 0) == .fresh) }
        #expect(cache.insert(Self.key(100), expires: 1000, now: 0) == .full)
        #expect(cache.insert(Self.key(5), expires: 1000, now: 0) == .replayed)  // refusing never forgets
        #expect(cache.count == 100)
        // Nothing was forgotten to make room.
        for i in 0..<100 { #expect(cache.contains(Self.key(i), now: 500)) }
        // Once they expire there is room again.
        #expect(cache.insert(Self.key(100), expires: 2000, now: 1001) == .fresh)
        #expect(cache.count == 1)
    }

    @Test func ringWrapsAroundUnderSteadyLoad() {
        let cache = NonceCache(capacity: 64)
        // 10,000 requests, 10 per second, each live for 5 seconds: about 60 live at a time.
        for i in 0..<10_000 {
            let now = Int64(i / 10)
            #expect(cache.insert(Self.key(i), expires: now + 5, now: now) == .fresh)
            if i >= 3 { #expect(cache.insert(Self.key(i - 3), expires: now + 5, now: now) == .replayed) }
            #expect(cache.count <= 64)
        }
        #expect(cache.contains(Self.key(9_999), now: 999))
        #expect(!cache.contains(Self.key(9_000), now: 999))
    }

    @Test func expiriesOutOfOrder() {
        let cache = NonceCache(capacity: 3)
        #expect(cache.insert(Self.key(1), expires: 1000, now: 0) == .fresh)
        #expect(cache.insert(Self.key(2), expires: 500, now: 0) == .fresh)
        // Key 2 expired but sits behind key 1: it counts as absent all the same.
        #expect(!cache.contains(Self.key(2), now: 600))
        #expect(cache.insert(Self.key(2), expires: 1100, now: 600) == .fresh)
        #expect(cache.insert(Self.key(2), expires: 1100, now: 700) == .replayed)
        #expect(cache.count == 3)
        // When key 1 and the old entry of key 2 go, the new entry of key 2 stays.
        cache.purge(now: 1001)
        #expect(cache.contains(Self.key(2), now: 1001))
        #expect(cache.count == 1)
    }

    @Test func concurrentInsertions() {
        let cache = NonceCache(capacity: 100_000)
        let fresh = Counter()
        // Eight threads insert the same 5,000 keys: each must be fresh exactly once.
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<5_000 {
                let k = Self.key((i * 7 + t * 613) % 5_000)
                if cache.insert(k, expires: 100, now: 0) == .fresh { fresh.increment() }
            }
        }
        #expect(fresh.value == 5_000)
        #expect(cache.count == 5_000)
    }

    final class Counter: @unchecked Sendable {
        private let lock = DispatchSemaphore(value: 1)
        private var n = 0
        func increment() { lock.wait(); n += 1; lock.signal() }
        var value: Int { lock.wait(); defer { lock.signal() }; return n }
    }
}
