import Crypto
import Vault

/// The relay's two transparency logs (docs/FORMATS.md §3.12), as named in URLs.
public enum LogName: String, Sendable, Hashable, CaseIterable {
    case submissions, directory
}

/// Pages of the public site (plain HTML, no JavaScript).
public enum SitePage: Equatable, Sendable {
    /// `GET /`: the public reports, optionally narrowed by year, State and type.
    case index(PublicReportFilter)
    /// `GET /status`: which States Parties submitted which year's reports (metadata only).
    case status
    /// `GET /verify`: the current checkpoints and how to verify them.
    case verify
    /// `GET /style.css`.
    case stylesheet
    /// `GET /reports/<id>`: a public structured report, as tables.
    case report(id: String)
}

public struct PublicReportFilter: Equatable, Sendable {
    public var year: Int?
    public var party: PartyCode?
    public var type: ReportType?
    public init(year: Int? = nil, party: PartyCode? = nil, type: ReportType? = nil) {
        self.year = year; self.party = party; self.type = type
    }
}

/// Filters of `GET /v1/envelopes`. The relay lists only what the caller may see.
public struct EnvelopeFilter: Equatable, Sendable {
    public static let defaultLimit = 100
    public static let maxLimit = 1000
    public var from: PartyCode?
    public var to: PartyCode?
    public var type: ReportType?
    public var year: Int?
    public var level: DisclosureLevel?
    /// Only envelopes at this submissions-log index or later.
    public var since: UInt64
    public var limit: Int
    public init(from: PartyCode? = nil, to: PartyCode? = nil, type: ReportType? = nil, year: Int? = nil,
                level: DisclosureLevel? = nil, since: UInt64 = 0, limit: Int = EnvelopeFilter.defaultLimit) {
        self.from = from; self.to = to; self.type = type; self.year = year; self.level = level
        self.since = since; self.limit = limit
    }
}

/// Which leaf an inclusion proof is for: by index, or by leaf hash (`SHA-256(0x00 || entry)`).
public enum InclusionQuery: Equatable, Sendable {
    case index(UInt64, size: UInt64)
    case leafHash([UInt8], size: UInt64)
}

/// Whether a route needs a signed request (§7.2).
public enum AuthRequirement: Equatable, Sendable {
    /// Public: an Authorization header, if any, is ignored.
    case none
    /// Anonymous callers see public data; a signed request (which MUST then verify) sees
    /// what its party may see.
    case optional
    /// Unsigned requests get 401.
    case required
}

/// The body limits of the routes that take a body; every other route takes none.
public struct BodyLimits: Equatable, Sendable {
    /// `POST /v1/envelopes`: outer signature and sealed file together. Configurable.
    public var envelopeUpload: Int
    /// `POST /v1/directory/statements`: one signed statement (§5.2).
    public var statement: Int
    /// `PUT /v1/contacts/<PARTY>`: one contacts document.
    public var contacts: Int

    public static let defaultEnvelopeUpload = 256 << 20
    public static let statementLimit = 16_384
    public static let contactsLimit = 65_536

    public init(envelopeUpload: Int = BodyLimits.defaultEnvelopeUpload, statement: Int = BodyLimits.statementLimit,
                contacts: Int = BodyLimits.contactsLimit) {
        self.envelopeUpload = envelopeUpload; self.statement = statement; self.contacts = contacts
    }
}

/// Every endpoint of the relay (docs/FORMATS.md §7.1). `HEAD` routes as `GET`.
public enum Route: Equatable, Sendable {
    case site(SitePage)
    /// `GET /v1/openapi.yaml`.
    case openAPI
    /// `GET /healthz`.
    case health
    /// `GET /v1/logs/<log>/checkpoint`: the latest signed checkpoint.
    case checkpoint(LogName)
    /// `GET /v1/logs/<log>/tile/<L>/<N>[.p/<W>]`: `width` is 256 for a full tile.
    case tile(LogName, level: Int, index: UInt64, width: Int)
    /// `GET /v1/logs/<log>/tile/entries/<N>[.p/<W>]`.
    case entryBundle(LogName, index: UInt64, width: Int)
    /// `GET /v1/logs/<log>/proof/inclusion?index=&size=` or `?hash=&size=`.
    case inclusionProof(LogName, InclusionQuery)
    /// `GET /v1/logs/<log>/proof/consistency?old=&new=`.
    case consistencyProof(LogName, old: UInt64, new: UInt64)
    /// `GET /v1/logs/<log>/key`: the log's note verifier key.
    case logKey(LogName)
    /// `POST /v1/envelopes`.
    case submitEnvelope
    /// `GET /v1/envelopes?…`.
    case listEnvelopes(EnvelopeFilter)
    /// `GET /v1/envelopes/<id>`: the sealed file.
    case envelope(id: String)
    /// `GET /v1/envelopes/<id>/signature`: the outer signature file.
    case envelopeSignature(id: String)
    /// `GET /v1/envelopes/<id>/receipt`: the tlog proof of the outer signature.
    case envelopeReceipt(id: String)
    /// `GET /v1/envelopes/<id>/report`: the report of a `public` envelope, unpacked.
    case envelopeReport(id: String)
    /// `GET /v1/directory/statements?from=&limit=`.
    case statements(from: UInt64, limit: Int)
    /// `POST /v1/directory/statements`.
    case submitStatement
    /// `GET /v1/contacts`: every party's contacts document.
    case contacts
    /// `GET /v1/contacts/<PARTY>`.
    case partyContacts(PartyCode)
    /// `PUT /v1/contacts/<PARTY>`.
    case uploadContacts(PartyCode)

    public var authentication: AuthRequirement {
        switch self {
        case .site, .openAPI, .health, .checkpoint, .tile, .entryBundle, .inclusionProof, .consistencyProof, .logKey,
             .statements, .submitStatement:
            return .none
        case .listEnvelopes, .envelope, .envelopeSignature, .envelopeReceipt, .envelopeReport:
            return .optional
        case .submitEnvelope, .contacts, .partyContacts, .uploadContacts:
            return .required
        }
    }

    /// The largest body this route accepts, in bytes; 0 for routes that take none.
    public func maxBodySize(_ limits: BodyLimits = BodyLimits()) -> Int {
        switch self {
        case .submitEnvelope: return limits.envelopeUpload
        case .submitStatement: return limits.statement
        case .uploadContacts: return limits.contacts
        default: return 0
        }
    }
}

/// Routing as a pure function of the method and the request target as sent
/// (docs/FORMATS.md §7.1). Nothing is percent-decoded: no URL of the relay needs an escape,
/// so a `%` anywhere is refused, and the bytes routed are the bytes signed (§7.2).
public enum Router {
    /// Longest request target (path, `?`, query) accepted; longer is 414.
    public static let maxTargetLength = 2048
    static let defaultStatementsLimit = 100
    static let maxStatementsLimit = 1000
    /// Decimal parameters are at most 2^63 − 1 (the store's integers).
    static let maxDecimal = UInt64(Int64.max)
    /// Largest tile index: 256·(N + 1) stays within 2^63 − 1.
    static let maxTileIndex = UInt64(Int64.max) / 256 - 1

    static let get = ["GET", "HEAD"]
    static let getPost = ["GET", "HEAD", "POST"]
    static let getPut = ["GET", "HEAD", "PUT"]

    /// Splits an origin-form request target at its first `?` and routes it.
    public static func route(method: String, target: String) throws(HTTPError) -> Route {
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            let path = String(target[..<q])
            let query = String(target[target.utf8.index(after: q)...])
            return try route(method: method, path: path, query: query)
        }
        return try route(method: method, path: target, query: nil)
    }

    /// Routes a request. `path` is the raw path as sent (starting with `/`), `query` the raw
    /// text after `?` (nil when there is no `?`). Checks, in order: method syntax (400),
    /// target length (414), path and query syntax (400), the path names an endpoint (404),
    /// the method is one of the endpoint's (405 with Allow), path parameters and query
    /// parameters (400).
    public static func route(method: String, path: String, query: String?) throws(HTTPError) -> Route {
        guard isToken(method) else { throw .badRequest(.invalidMethod) }
        guard path.utf8.count + (query.map { $0.utf8.count + 1 } ?? 0) <= maxTargetLength else { throw .uriTooLong }
        let segments = try pathSegments(path)
        let params = try QueryParameters(parsing: query)
        guard segments.last != "", let endpoint = endpoint(segments) else { throw .notFound }
        let m = method == "HEAD" ? "GET" : method
        guard endpoint.allow.contains(method) else { throw .methodNotAllowed(allow: endpoint.allow) }
        return try endpoint.build(m, segments, params)
    }

    // MARK: Target syntax

    /// RFC 9110 token, at most 32 bytes.
    static func isToken(_ s: String) -> Bool {
        let b = s.utf8
        return (1...32).contains(b.count) && b.allSatisfy { c in
            isAlnum(c) || "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// RFC 3986 unreserved characters.
    static func isUnreserved(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E }

    /// The segments of an absolute path: `/` is `[]`. A trailing `/` gives a final empty
    /// segment, which names nothing (404); an empty segment elsewhere is 400.
    static func pathSegments(_ path: String) throws(HTTPError) -> [String] {
        let b = Array(path.utf8)
        guard b.first == 0x2F else { throw .badRequest(.malformedTarget) }
        for c in b where !(isUnreserved(c) || c == 0x2F) {
            throw .badRequest(c == 0x25 ? .percentEncoding : .invalidPathCharacter)
        }
        if b.count == 1 { return [] }
        let segments = b.dropFirst().split(separator: 0x2F, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        for s in segments where s == "." || s == ".." { throw .badRequest(.dotSegment) }
        for s in segments.dropLast() where s.isEmpty { throw .badRequest(.emptySegment) }
        return segments
    }

    // MARK: Endpoints

    struct Endpoint {
        let allow: [String]
        let build: (_ method: String, _ segments: [String], _ query: QueryParameters) throws(HTTPError) -> Route
    }

    /// The endpoint a path names, by its shape alone; nil is 404.
    static func endpoint(_ s: [String]) -> Endpoint? {
        func fixed(_ route: Route, _ allow: [String] = get) -> Endpoint {
            Endpoint(allow: allow) { _, _, q throws(HTTPError) in try q.expectNone(); return route }
        }
        switch s.count {
        case 0:
            return Endpoint(allow: get) { _, _, q throws(HTTPError) in .site(.index(try q.publicReportFilter())) }
        case 1:
            switch s[0] {
            case "status": return fixed(.site(.status))
            case "verify": return fixed(.site(.verify))
            case "style.css": return fixed(.site(.stylesheet))
            case "healthz": return fixed(.health)
            default: return nil
            }
        case 2 where s[0] == "reports":
            return Endpoint(allow: get) { _, s, q throws(HTTPError) in try q.expectNone(); return .site(.report(id: try envelopeID(s[1]))) }
        default: break
        }
        guard s[0] == "v1" else { return nil }
        switch s[1] {
        case "openapi.yaml" where s.count == 2:
            return fixed(.openAPI)
        case "logs" where s.count >= 4:
            guard let log = LogName(rawValue: s[2]) else { return nil }
            return logEndpoint(log, Array(s[3...]))
        case "envelopes":
            switch s.count {
            case 2:
                return Endpoint(allow: getPost) { m, _, q throws(HTTPError) in
                    if m == "POST" { try q.expectNone(); return .submitEnvelope }
                    return .listEnvelopes(try q.envelopeFilter())
                }
            case 3:
                return Endpoint(allow: get) { _, s, q throws(HTTPError) in try q.expectNone(); return .envelope(id: try envelopeID(s[2])) }
            case 4 where s[3] == "signature":
                return Endpoint(allow: get) { _, s, q throws(HTTPError) in try q.expectNone(); return .envelopeSignature(id: try envelopeID(s[2])) }
            case 4 where s[3] == "receipt":
                return Endpoint(allow: get) { _, s, q throws(HTTPError) in try q.expectNone(); return .envelopeReceipt(id: try envelopeID(s[2])) }
            case 4 where s[3] == "report":
                return Endpoint(allow: get) { _, s, q throws(HTTPError) in try q.expectNone(); return .envelopeReport(id: try envelopeID(s[2])) }
            default: return nil
            }
        case "directory" where s.count == 3 && s[2] == "statements":
            return Endpoint(allow: getPost) { m, _, q throws(HTTPError) in
                if m == "POST" { try q.expectNone(); return .submitStatement }
                try q.expectOnly(["from", "limit"])
                let from = try q.decimal("from") ?? 0
                let limit = try q.bounded("limit", 1...maxStatementsLimit) ?? defaultStatementsLimit
                return .statements(from: from, limit: limit)
            }
        case "contacts" where s.count == 2:
            return fixed(.contacts)
        case "contacts" where s.count == 3:
            return Endpoint(allow: getPut) { m, s, q throws(HTTPError) in
                try q.expectNone()
                let party = try partyCode(s[2])
                return m == "PUT" ? .uploadContacts(party) : .partyContacts(party)
            }
        default: return nil
        }
    }

    static func logEndpoint(_ log: LogName, _ rest: [String]) -> Endpoint? {
        switch (rest.count, rest[0]) {
        case (1, "checkpoint"):
            return Endpoint(allow: get) { _, _, q throws(HTTPError) in try q.expectNone(); return .checkpoint(log) }
        case (1, "key"):
            return Endpoint(allow: get) { _, _, q throws(HTTPError) in try q.expectNone(); return .logKey(log) }
        case (2, "proof") where rest[1] == "inclusion":
            return Endpoint(allow: get) { _, _, q throws(HTTPError) in .inclusionProof(log, try q.inclusion()) }
        case (2, "proof") where rest[1] == "consistency":
            return Endpoint(allow: get) { _, _, q throws(HTTPError) in
                try q.expectOnly(["old", "new"])
                guard let old = try q.decimal("old"), let new = try q.decimal("new") else { throw .badRequest(.missingParameter) }
                // A proof from the empty tree proves nothing (§3.8).
                guard old >= 1, old <= new else { throw .badRequest(.invalidParameter) }
                return .consistencyProof(log, old: old, new: new)
            }
        case (_, "tile") where rest.count >= 3:
            return Endpoint(allow: get) { _, _, q throws(HTTPError) in
                try q.expectNone()
                if rest[1] == "entries" {
                    let (n, w) = try tileIndex(rest[2...])
                    return .entryBundle(log, index: n, width: w)
                }
                guard let level = decimal(rest[1]), level <= 63 else { throw .badRequest(.malformedSegment) }
                let (n, w) = try tileIndex(rest[2...])
                return .tile(log, level: Int(level), index: n, width: w)
            }
        default: return nil
        }
    }

    // MARK: Path parameters

    static func envelopeID(_ s: String) throws(HTTPError) -> String {
        guard Manifest.isValidID(s) else { throw .badRequest(.malformedSegment) }
        return s
    }

    static func partyCode(_ s: String) throws(HTTPError) -> PartyCode {
        guard let p = try? PartyCode(s) else { throw .badRequest(.malformedSegment) }
        return p
    }

    /// A tlog-tiles index `[x<ddd>/]*<ddd>` and optional `.p/<W>`, W in 1…255; the
    /// encoding MUST be the canonical one (no leading `x000` group).
    static func tileIndex(_ segs: ArraySlice<String>) throws(HTTPError) -> (UInt64, Int) {
        var n: UInt64 = 0
        var first = true
        var i = segs.startIndex
        func three(_ b: ArraySlice<UInt8>) -> UInt64? {
            guard b.count == 3, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return b.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
        }
        func push(_ v: UInt64) throws(HTTPError) {
            let (m, o1) = n.multipliedReportingOverflow(by: 1000)
            let (r, o2) = m.addingReportingOverflow(v)
            guard !o1, !o2, r <= maxTileIndex else { throw .notFound }
            n = r
        }
        while i < segs.endIndex {
            let b = Array(segs[i].utf8)[...]
            if b.first == UInt8(ascii: "x"), let v = three(b.dropFirst()) {
                guard !(first && v == 0) else { throw .badRequest(.malformedSegment) }
                try push(v)
                first = false
                i += 1
                continue
            }
            if let v = three(b) {
                guard i == segs.endIndex - 1 else { throw .badRequest(.malformedSegment) }
                try push(v)
                return (n, 256)
            }
            if b.count == 5, b.suffix(2).elementsEqual(".p".utf8), let v = three(b.prefix(3)) {
                guard i == segs.endIndex - 2, let w = decimal(segs[i + 1]), (1...255).contains(w) else {
                    throw .badRequest(.malformedSegment)
                }
                try push(v)
                return (n, Int(w))
            }
            throw .badRequest(.malformedSegment)
        }
        throw .badRequest(.malformedSegment)
    }

    /// ASCII digits, no sign, no leading zero except `0` itself, at most 2^63 − 1.
    static func decimal<S: StringProtocol>(_ s: S) -> UInt64? {
        let b = s.utf8
        guard (1...19).contains(b.count), b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard b.count == 1 || b.first != 0x30 else { return nil }
        var v: UInt64 = 0
        for c in b { v = v * 10 + UInt64(c - 0x30) }  // 19 digits fit in UInt64
        return v <= maxDecimal ? v : nil
    }
}

/// The query string as `name=value` pairs: `&`-separated, each with exactly one `=`, a
/// non-empty name and value of unreserved characters. An empty query is no parameters.
struct QueryParameters {
    private(set) var pairs: [(name: String, value: String)] = []

    init(parsing query: String?) throws(HTTPError) {
        guard let query, !query.isEmpty else { return }
        for c in query.utf8 where !(Router.isUnreserved(c) || c == 0x3D || c == 0x26) {
            throw .badRequest(c == 0x25 ? .percentEncoding : .malformedQuery)
        }
        var seen = Set<String>()
        for part in query.split(separator: "&", omittingEmptySubsequences: false) {
            let kv = part.split(separator: "=", omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else { throw .badRequest(.malformedQuery) }
            let name = String(kv[0])
            guard seen.insert(name).inserted else { throw .badRequest(.repeatedParameter) }
            pairs.append((name, String(kv[1])))
        }
    }

    func expectNone() throws(HTTPError) {
        guard pairs.isEmpty else { throw .badRequest(.unexpectedQuery) }
    }

    func expectOnly(_ names: Set<String>) throws(HTTPError) {
        for p in pairs where !names.contains(p.name) { throw .badRequest(.unknownParameter) }
    }

    func value(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    func decimal(_ name: String) throws(HTTPError) -> UInt64? {
        guard let v = value(name) else { return nil }
        guard let d = Router.decimal(v) else { throw .badRequest(.invalidParameter) }
        return d
    }

    func bounded(_ name: String, _ range: ClosedRange<Int>) throws(HTTPError) -> Int? {
        guard let d = try decimal(name) else { return nil }
        guard d <= UInt64(range.upperBound), range.contains(Int(d)) else { throw .badRequest(.invalidParameter) }
        return Int(d)
    }

    func year(_ name: String) throws(HTTPError) -> Int? {
        guard let v = value(name) else { return nil }
        guard v.utf8.count == 4, let d = Router.decimal(v), (1000...9999).contains(d) else { throw .badRequest(.invalidParameter) }
        return Int(d)
    }

    func party(_ name: String) throws(HTTPError) -> PartyCode? {
        guard let v = value(name) else { return nil }
        guard let p = try? PartyCode(v) else { throw .badRequest(.invalidParameter) }
        return p
    }

    func reportType(_ name: String) throws(HTTPError) -> ReportType? {
        guard let v = value(name) else { return nil }
        guard let t = ReportType(rawValue: v) else { throw .badRequest(.invalidParameter) }
        return t
    }

    func level(_ name: String) throws(HTTPError) -> DisclosureLevel? {
        guard let v = value(name) else { return nil }
        guard let l = DisclosureLevel(rawValue: v) else { throw .badRequest(.invalidParameter) }
        return l
    }

    func publicReportFilter() throws(HTTPError) -> PublicReportFilter {
        try expectOnly(["year", "party", "type"])
        return PublicReportFilter(year: try year("year"), party: try party("party"), type: try reportType("type"))
    }

    func envelopeFilter() throws(HTTPError) -> EnvelopeFilter {
        try expectOnly(["from", "to", "type", "year", "level", "since", "limit"])
        return EnvelopeFilter(from: try party("from"), to: try party("to"), type: try reportType("type"),
                              year: try year("year"), level: try level("level"), since: try decimal("since") ?? 0,
                              limit: try bounded("limit", 1...EnvelopeFilter.maxLimit) ?? EnvelopeFilter.defaultLimit)
    }

    func inclusion() throws(HTTPError) -> InclusionQuery {
        try expectOnly(["index", "hash", "size"])
        guard let size = try decimal("size") else { throw .badRequest(.missingParameter) }
        switch (try decimal("index"), value("hash")) {
        case let (index?, nil):
            guard index < size else { throw .badRequest(.invalidParameter) }
            return .index(index, size: size)
        case let (nil, hash?):
            guard let h = QueryParameters.lowerHex32(hash) else { throw .badRequest(.invalidParameter) }
            return .leafHash(h, size: size)
        case (nil, nil): throw .badRequest(.missingParameter)
        case (_?, _?): throw .badRequest(.invalidParameter)
        }
    }

    /// 64 lower-case hex digits, as 32 bytes.
    static func lowerHex32(_ s: String) -> [UInt8]? {
        guard s.utf8.count == 64 else { return nil }
        return decodeLowerHex(s)
    }
}
