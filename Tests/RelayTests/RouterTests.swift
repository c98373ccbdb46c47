import Relay
import Testing
import Vault

/// Routing is a pure function of method and request target (docs/FORMATS.md §7.1).
@Suite("router")
struct RouterTests {
    static let id = "00041061050R3GG28A1C60T3GF"
    static let hash = String(repeating: "ab", count: 32)

    func route(_ method: String, _ target: String) throws(HTTPError) -> Route {
        try Router.route(method: method, target: target)
    }

    func expect(_ method: String, _ target: String, _ error: HTTPError,
                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: error, "\(method) \(target)", sourceLocation: sourceLocation) { try route(method, target) }
    }

    // MARK: Every route parses

    @Test("every route", arguments: [
        ("GET", "/", Route.site(.index(PublicReportFilter()))),
        ("HEAD", "/", .site(.index(PublicReportFilter()))),
        ("GET", "/?year=2025&party=FRA&type=annual", .site(.index(PublicReportFilter(year: 2025, party: try! PartyCode("FRA"), type: .annual)))),
        ("GET", "/?type=assistance-request", .site(.index(PublicReportFilter(type: .assistanceRequest)))),
        ("GET", "/status", .site(.status)),
        ("GET", "/verify", .site(.verify)),
        ("GET", "/style.css", .site(.stylesheet)),
        ("GET", "/healthz", .health),
        ("GET", "/v1/openapi.yaml", .openAPI),
        ("GET", "/v1/logs/submissions/checkpoint", .checkpoint(.submissions)),
        ("GET", "/v1/logs/directory/checkpoint", .checkpoint(.directory)),
        ("GET", "/v1/logs/directory/key", .logKey(.directory)),
        ("GET", "/v1/logs/submissions/tile/0/000", .tile(.submissions, level: 0, index: 0, width: 256)),
        ("GET", "/v1/logs/submissions/tile/1/x001/x234/067", .tile(.submissions, level: 1, index: 1_234_067, width: 256)),
        ("GET", "/v1/logs/submissions/tile/0/x001/234.p/5", .tile(.submissions, level: 0, index: 1234, width: 5)),
        ("GET", "/v1/logs/directory/tile/63/999.p/255", .tile(.directory, level: 63, index: 999, width: 255)),
        ("GET", "/v1/logs/directory/tile/entries/000", .entryBundle(.directory, index: 0, width: 256)),
        ("GET", "/v1/logs/directory/tile/entries/x005/000.p/1", .entryBundle(.directory, index: 5000, width: 1)),
        ("GET", "/v1/logs/submissions/tile/entries/x036/x028/x797/x018/x963/966",
         .entryBundle(.submissions, index: 36_028_797_018_963_966, width: 256)),
        ("GET", "/v1/logs/submissions/proof/inclusion?index=0&size=1", .inclusionProof(.submissions, .index(0, size: 1))),
        ("GET", "/v1/logs/submissions/proof/inclusion?size=9223372036854775807&index=9223372036854775806",
         .inclusionProof(.submissions, .index(9_223_372_036_854_775_806, size: 9_223_372_036_854_775_807))),
        ("GET", "/v1/logs/directory/proof/inclusion?hash=\(hash)&size=7",
         .inclusionProof(.directory, .leafHash([UInt8](repeating: 0xab, count: 32), size: 7))),
        ("GET", "/v1/logs/directory/proof/consistency?old=1&new=2", .consistencyProof(.directory, old: 1, new: 2)),
        ("GET", "/v1/logs/directory/proof/consistency?new=5&old=5", .consistencyProof(.directory, old: 5, new: 5)),
        ("POST", "/v1/envelopes", .submitEnvelope),
        ("GET", "/v1/envelopes", .listEnvelopes(EnvelopeFilter())),
        ("GET", "/v1/envelopes?from=FRA&to=NGA&type=initial&year=2024&level=selected&since=10&limit=1000",
         .listEnvelopes(EnvelopeFilter(from: try! PartyCode("FRA"), to: try! PartyCode("NGA"), type: .initial, year: 2024,
                                       level: .selected, since: 10, limit: 1000))),
        ("GET", "/v1/envelopes?level=states-parties", .listEnvelopes(EnvelopeFilter(level: .statesParties))),
        ("GET", "/v1/envelopes?", .listEnvelopes(EnvelopeFilter())),
        ("GET", "/v1/envelopes/\(id)", .envelope(id: id)),
        ("HEAD", "/v1/envelopes/\(id)", .envelope(id: id)),
        ("GET", "/v1/envelopes/\(id)/signature", .envelopeSignature(id: id)),
        ("GET", "/v1/envelopes/\(id)/receipt", .envelopeReceipt(id: id)),
        ("GET", "/v1/envelopes/\(id)/report", .envelopeReport(id: id)),
        ("GET", "/reports/\(id)", .site(.report(id: id))),
        ("GET", "/v1/directory/statements", .statements(from: 0, limit: 100)),
        ("GET", "/v1/directory/statements?from=42&limit=1", .statements(from: 42, limit: 1)),
        ("POST", "/v1/directory/statements", .submitStatement),
        ("GET", "/v1/contacts", .contacts),
        ("GET", "/v1/contacts/NGA", .partyContacts(try! PartyCode("NGA"))),
        ("PUT", "/v1/contacts/NGA", .uploadContacts(try! PartyCode("NGA"))),
    ])
    func everyRoute(method: String, target: String, expected: Route) throws {
        #expect(try route(method, target) == expected)
    }

    @Test func pathAndQuerySeparately() throws {
        #expect(try Router.route(method: "GET", path: "/v1/envelopes", query: "limit=5") == .listEnvelopes(EnvelopeFilter(limit: 5)))
        #expect(try Router.route(method: "GET", path: "/v1/envelopes", query: nil) == .listEnvelopes(EnvelopeFilter()))
        #expect(try Router.route(method: "GET", path: "/v1/envelopes", query: "") == .listEnvelopes(EnvelopeFilter()))
    }

    // MARK: Authentication and body limits

    @Test func authenticationPerRoute() throws {
        let none = ["/", "/status", "/verify", "/style.css", "/healthz", "/v1/openapi.yaml",
                    "/v1/logs/submissions/checkpoint", "/v1/logs/directory/key", "/v1/logs/directory/tile/0/000",
                    "/v1/logs/directory/tile/entries/000", "/v1/logs/directory/proof/inclusion?index=0&size=1",
                    "/v1/logs/directory/proof/consistency?old=1&new=1", "/v1/directory/statements"]
        for t in none { #expect(try route("GET", t).authentication == .none, "\(t)") }
        #expect(try route("POST", "/v1/directory/statements").authentication == .none)
        for t in ["/v1/envelopes", "/v1/envelopes/\(Self.id)", "/v1/envelopes/\(Self.id)/signature", "/v1/envelopes/\(Self.id)/receipt"] {
            #expect(try route("GET", t).authentication == .optional, "\(t)")
        }
        #expect(try route("POST", "/v1/envelopes").authentication == .required)
        #expect(try route("GET", "/v1/contacts").authentication == .required)
        #expect(try route("GET", "/v1/contacts/FRA").authentication == .required)
        #expect(try route("PUT", "/v1/contacts/FRA").authentication == .required)
    }

    @Test func bodyLimits() throws {
        let limits = BodyLimits(envelopeUpload: 1 << 30)
        #expect(try route("POST", "/v1/envelopes").maxBodySize(limits) == 1 << 30)
        #expect(try route("POST", "/v1/envelopes").maxBodySize() == BodyLimits.defaultEnvelopeUpload)
        #expect(try route("POST", "/v1/directory/statements").maxBodySize(limits) == 16_384)
        #expect(try route("PUT", "/v1/contacts/FRA").maxBodySize(limits) == 65_536)
        for t in ["/", "/v1/envelopes", "/v1/envelopes/\(Self.id)", "/v1/contacts", "/v1/logs/directory/checkpoint"] {
            #expect(try route("GET", t).maxBodySize(limits) == 0, "\(t)")
        }
    }

    // MARK: Unknown paths and wrong methods

    @Test("unknown paths are 404", arguments: [
        "/index.html", "/v1", "/v1/", "/v2/envelopes", "/V1/envelopes", "/v1/envelope", "/v1/logs",
        "/v1/logs/submissions", "/v1/logs/other/checkpoint", "/v1/logs/submissions/checkpoint/x",
        "/v1/logs/submissions/proof", "/v1/logs/submissions/proof/other", "/v1/logs/submissions/tile",
        "/v1/logs/submissions/tile/0", "/v1/envelopes/\(id)/manifest", "/v1/envelopes/\(id)/receipt/x",
        "/v1/directory", "/v1/directory/statement", "/v1/contacts/FRA/x", "/healthz/", "/v1/envelopes/",
        "/status/", "/.well-known/security.txt", "/v1/openapi.json",
    ])
    func unknownPaths(target: String) {
        expect("GET", target, .notFound)
        expect("DELETE", target, .notFound)  // the path is checked before the method
    }

    @Test func methodNotAllowedListsAllow() {
        expect("POST", "/", .methodNotAllowed(allow: ["GET", "HEAD"]))
        expect("PUT", "/v1/envelopes", .methodNotAllowed(allow: ["GET", "HEAD", "POST"]))
        expect("DELETE", "/v1/envelopes/\(Self.id)", .methodNotAllowed(allow: ["GET", "HEAD"]))
        expect("POST", "/v1/envelopes/\(Self.id)/receipt", .methodNotAllowed(allow: ["GET", "HEAD"]))
        expect("PUT", "/v1/directory/statements", .methodNotAllowed(allow: ["GET", "HEAD", "POST"]))
        expect("POST", "/v1/contacts", .methodNotAllowed(allow: ["GET", "HEAD"]))
        expect("POST", "/v1/contacts/FRA", .methodNotAllowed(allow: ["GET", "HEAD", "PUT"]))
        expect("POST", "/v1/logs/submissions/checkpoint", .methodNotAllowed(allow: ["GET", "HEAD"]))
        expect("OPTIONS", "/v1/logs/submissions/tile/0/000", .methodNotAllowed(allow: ["GET", "HEAD"]))
        expect("get", "/healthz", .methodNotAllowed(allow: ["GET", "HEAD"]))  // methods are case-sensitive
        // The 405 comes before any parameter check.
        expect("DELETE", "/v1/envelopes/not-an-id", .methodNotAllowed(allow: ["GET", "HEAD"]))
        let e = HTTPError.methodNotAllowed(allow: ["GET", "HEAD", "POST"])
        #expect(e.status == 405)
        #expect(e.headers.map(\.name) == ["Allow"] && e.headers.map(\.value) == ["GET, HEAD, POST"])
    }

    // MARK: Malformed targets

    @Test("malformed paths are 400", arguments: [
        ("", HTTPError.BadRequest.malformedTarget), ("v1/envelopes", .malformedTarget), ("*", .malformedTarget),
        ("http://relay/v1/envelopes", .malformedTarget),
        ("//", .emptySegment), ("//v1/envelopes", .emptySegment), ("/v1//envelopes", .emptySegment),
        ("/v1/envelopes//x", .emptySegment),
        ("/v1/./envelopes", .dotSegment), ("/v1/../v1/envelopes", .dotSegment), ("/..", .dotSegment),
        ("/v1/envelopes/..", .dotSegment), ("/.", .dotSegment),
        ("/v1/%65nvelopes", .percentEncoding), ("/v1/envelopes%2F\(id)", .percentEncoding), ("/%2e%2e/x", .percentEncoding),
        ("/v1/env elopes", .invalidPathCharacter), ("/v1/envelopes;x", .invalidPathCharacter),
        ("/v1/envelopes\\x", .invalidPathCharacter), ("/v1/envélopes", .invalidPathCharacter),
        ("/v1/envelopes\n", .invalidPathCharacter), ("/v1/envelopes#x", .invalidPathCharacter),
        ("/v1/contacts/FRA:1", .invalidPathCharacter), ("/v1/envelopes\u{0}", .invalidPathCharacter),
    ])
    func malformedPaths(path: String, reason: HTTPError.BadRequest) {
        #expect(throws: HTTPError.badRequest(reason), "\(path)") { try Router.route(method: "GET", path: path, query: nil) }
    }

    @Test func malformedPathParameters() {
        for bad in ["8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "00041061050r3gg28a1c60t3gf", "00041061050R3GG28A1C60T3G",
                    "00041061050R3GG28A1C60T3GFF", "00041061050R3GG28A1C60T3GI", "x"] {
            expect("GET", "/v1/envelopes/\(bad)", .badRequest(.malformedSegment))
            expect("GET", "/v1/envelopes/\(bad)/signature", .badRequest(.malformedSegment))
            expect("GET", "/v1/envelopes/\(bad)/receipt", .badRequest(.malformedSegment))
        }
        for bad in ["fra", "FR", "FRAN", "F1A", "_FR"] {
            expect("GET", "/v1/contacts/\(bad)", .badRequest(.malformedSegment))
            expect("PUT", "/v1/contacts/\(bad)", .badRequest(.malformedSegment))
        }
    }

    @Test func malformedTilePaths() {
        let base = "/v1/logs/submissions/tile/"
        for bad in ["0/1", "0/01", "0/0000", "0/x000/001", "0/x001", "0/x01/001", "0/001/x002", "0/001.p",
                    "0/001.p/0", "0/001.p/256", "0/001.p/01", "0/001.p/5/6", "0/001.q/5", "0/X001/002",
                    "00/000", "01/000", "64/000", "-1/000", "a/000", "0/x001/x002", "0/abc",
                    "entries/1", "entries/x000/000", "entries/000.p/300", "entries/000.p", "entries/000/000"] {
            expect("GET", base + bad, .badRequest(.malformedSegment))
        }
        // Well-formed but beyond any tree the store can hold: no such tile.
        expect("GET", base + "0/x036/x028/x797/x018/x963/967", .notFound)
        expect("GET", base + "entries/x999/x999/x999/x999/x999/x999/x999/999", .notFound)
    }

    @Test func malformedQueries() {
        let e = "/v1/envelopes"
        for (q, reason) in [("a", HTTPError.BadRequest.malformedQuery), ("limit", .malformedQuery), ("limit=", .malformedQuery),
                            ("=5", .malformedQuery), ("limit=5&", .malformedQuery), ("&limit=5", .malformedQuery),
                            ("limit=5&&from=FRA", .malformedQuery), ("limit=5=6", .malformedQuery),
                            ("limit=5+6", .malformedQuery), ("from=FRA;to=NGA", .malformedQuery), ("x=a/b", .malformedQuery),
                            ("limit=%35", .percentEncoding), ("from%3DFRA", .percentEncoding),
                            ("limit=5&limit=6", .repeatedParameter), ("from=FRA&from=FRA", .repeatedParameter),
                            ("foo=1", .unknownParameter), ("Limit=5", .unknownParameter), ("index=1", .unknownParameter)] {
            expect("GET", e + "?" + q, .badRequest(reason))
        }
        for q in ["limit=0", "limit=1001", "limit=01", "limit=-1", "limit=1e3", "limit=99999999999999999999",
                  "since=01", "since=9223372036854775808", "since=-0",
                  "from=fra", "from=FR", "to=FRANCE", "type=Annual", "type=report", "level=restricted",
                  "year=999", "year=10000", "year=02024", "year=0999", "year=20x4"] {
            expect("GET", e + "?" + q, .badRequest(.invalidParameter))
        }
        // Routes without parameters refuse any.
        for t in ["/healthz?x=1", "/v1/openapi.yaml?v=2", "/v1/envelopes/\(Self.id)?download=1", "/status?year=2024",
                  "/v1/logs/directory/checkpoint?size=1", "/v1/logs/directory/tile/0/000?x=1", "/v1/contacts?party=FRA"] {
            expect("GET", t, .badRequest(.unexpectedQuery))
        }
        expect("POST", "/v1/envelopes?limit=5", .badRequest(.unexpectedQuery))
        expect("POST", "/v1/directory/statements?from=1", .badRequest(.unexpectedQuery))
        expect("GET", "/?year=2024&level=public", .badRequest(.unknownParameter))
        expect("GET", "/v1/directory/statements?limit=0", .badRequest(.invalidParameter))
        expect("GET", "/v1/directory/statements?limit=1001", .badRequest(.invalidParameter))
        expect("GET", "/v1/directory/statements?from=007", .badRequest(.invalidParameter))
        expect("GET", "/v1/directory/statements?since=1", .badRequest(.unknownParameter))
    }

    @Test func proofQueries() {
        let inc = "/v1/logs/submissions/proof/inclusion?"
        expect("GET", String(inc.dropLast()), .badRequest(.missingParameter))
        expect("GET", inc + "index=0", .badRequest(.missingParameter))
        expect("GET", inc + "size=1", .badRequest(.missingParameter))
        expect("GET", inc + "index=1&size=1", .badRequest(.invalidParameter))       // index < size
        expect("GET", inc + "index=0&size=0", .badRequest(.invalidParameter))
        expect("GET", inc + "index=0&hash=\(Self.hash)&size=1", .badRequest(.invalidParameter))  // one or the other
        expect("GET", inc + "hash=\(Self.hash.uppercased())&size=1", .badRequest(.invalidParameter))
        expect("GET", inc + "hash=\(Self.hash.dropLast(2))&size=1", .badRequest(.invalidParameter))
        expect("GET", inc + "hash=\(Self.hash)00&size=1", .badRequest(.invalidParameter))
        expect("GET", inc + "index=0&size=1&old=1", .badRequest(.unknownParameter))
        expect("GET", inc + "index=00&size=1", .badRequest(.invalidParameter))
        expect("GET", inc + "index=0&size=9223372036854775808", .badRequest(.invalidParameter))
        let con = "/v1/logs/directory/proof/consistency?"
        expect("GET", con + "old=1", .badRequest(.missingParameter))
        expect("GET", con + "new=1", .badRequest(.missingParameter))
        expect("GET", con + "old=0&new=5", .badRequest(.invalidParameter))          // from the empty tree
        expect("GET", con + "old=6&new=5", .badRequest(.invalidParameter))
        expect("GET", con + "old=1&new=05", .badRequest(.invalidParameter))
        expect("GET", con + "old=1&new=2&size=3", .badRequest(.unknownParameter))
    }

    @Test func methodTokenAndTargetLength() {
        expect("", "/", .badRequest(.invalidMethod))
        expect("GE T", "/", .badRequest(.invalidMethod))
        expect("GET\r\n", "/", .badRequest(.invalidMethod))
        expect(String(repeating: "A", count: 33), "/", .badRequest(.invalidMethod))
        let long = "/v1/envelopes?limit=5&" + String(repeating: "x", count: Router.maxTargetLength)
        expect("GET", long, .uriTooLong)
        expect("GET", "/" + String(repeating: "a", count: Router.maxTargetLength), .uriTooLong)
        // Exactly at the limit, it is routed (and here, unknown).
        expect("GET", "/" + String(repeating: "a", count: Router.maxTargetLength - 1), .notFound)
    }

    // MARK: Errors

    @Test func errorStatusesAndHeaders() {
        let cases: [(HTTPError, Int)] = [
            (.badRequest(.malformedQuery), 400), (.unauthenticated(.staleTime), 401), (.forbidden(.contactsRestricted), 403),
            (.notFound, 404), (.methodNotAllowed(allow: ["GET"]), 405), (.conflict(.ciphertextHeldForAnotherSender), 409),
            (.payloadTooLarge(limit: 16_384), 413), (.uriTooLong, 414), (.unprocessable(.outerSignatureInvalid), 422),
            (.tooManyRequests(retryAfter: 2), 429), (.unavailable(retryAfter: nil), 503),
        ]
        for (e, status) in cases {
            #expect(e.status == status)
            #expect(!e.publicMessage.isEmpty && e.publicMessage.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
            #expect(e.reasonPhrase != "Status \(status)")
        }
        #expect(HTTPError.unauthenticated(.badSignature).headers.map(\.name) == ["WWW-Authenticate"])
        #expect(HTTPError.unauthenticated(.badSignature).headers.map(\.value) == ["ATT-Ed25519"])
        #expect(HTTPError.tooManyRequests(retryAfter: 3).headers.map(\.value) == ["3"])
        #expect(HTTPError.unavailable(retryAfter: 1).headers.map(\.name) == ["Retry-After"])
        #expect(HTTPError.unavailable(retryAfter: nil).headers.isEmpty)
        #expect(HTTPError.notFound.headers.isEmpty)
        // Every reason's message is fixed public text.
        for r in HTTPError.AuthFailure.allCases { #expect(HTTPError.unauthenticated(r).publicMessage.hasPrefix("unauthenticated: ")) }
        for r in HTTPError.BadRequest.allCases { #expect(HTTPError.badRequest(r).publicMessage.hasPrefix("bad request: ")) }
    }

    struct Boom: Error { let secret = "/var/lib/att/secret" }

    @Test func errorResponses() {
        let r = HTTPErrorResponse(for: HTTPError.methodNotAllowed(allow: ["GET", "HEAD"]))
        #expect(r.status == 405)
        #expect(r.headers.contains(HTTPErrorResponse.Header(name: "Allow", value: "GET, HEAD")))
        #expect(r.body == Array("method not allowed (allowed: GET, HEAD)\n".utf8))
        let bare = HTTPErrorResponse(for: Boom())
        #expect(bare.status == 500)
        #expect(bare.body.isEmpty)
        #expect(!bare.headers.contains { $0.name == "Allow" || $0.name == "WWW-Authenticate" })
        // A restricted envelope's non-reader and a never-used id get the same bytes.
        #expect(HTTPErrorResponse(for: HTTPError.notFound) == HTTPErrorResponse(for: HTTPError.notFound))
    }
}
