import Foundation
import Relay
import Testing
import Vault

/// `GET /v1/openapi.yaml` (docs/FORMATS.md §7) describes exactly what `Router` routes: its
/// paths, methods, parameters, security and request bodies are read back out of the YAML
/// text with a small line-based reader (no YAML library) and checked against the router.
@Suite("OpenAPI")
struct OpenAPITests {
    // MARK: - A line-based reader for the document's own layout

    struct Parameter: Equatable {
        var name = ""
        var location = ""
        var required = false
    }

    struct Operation {
        let path: String
        let method: String
        var operationID = ""
        /// The items of `security:`, or nil when the operation has no `security:` key.
        var security: [String]?
        var parameters: [Parameter] = []
        var refs: [String] = []
        var hasBody = false
        var bodyMaxLength: Int?
    }

    struct Document {
        var operations: [Operation] = []
        var componentParameters: [String: Parameter] = [:]
        var securitySchemes: [String: [String: String]] = [:]
        var topLevelKeys: [String] = []

        /// The operation's parameters with `$ref`s resolved.
        func parameters(_ op: Operation) -> [Parameter] {
            op.parameters + op.refs.compactMap { componentParameters[$0] }
        }
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func indent(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }

    static func parse(_ text: String) -> Document {
        var doc = Document()
        var section = ""
        var subsection = ""
        var path: String?
        var op: Operation?
        var opBlock = ""  // the operation's key at indent 6 being read
        var param: Parameter?
        var componentName: String?
        var schemeName: String?

        func flushParam() {
            if let p = param { op?.parameters.append(p) }
            param = nil
        }
        func flushOp() {
            flushParam()
            if let o = op { doc.operations.append(o) }
            op = nil
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let ind = indent(raw)
            if ind == 0 {
                flushOp()
                section = String(line.split(separator: ":")[0])
                doc.topLevelKeys.append(section)
                continue
            }
            if section == "paths" {
                switch ind {
                case 2:
                    flushOp()
                    path = String(line.dropLast())
                case 4:
                    flushOp()
                    let m = String(line.dropLast())
                    if let path, methods.contains(m) { op = Operation(path: path, method: m.uppercased()) }
                case 6:
                    flushParam()
                    opBlock = String(line.split(separator: ":")[0])
                    if line.hasPrefix("operationId: ") { op?.operationID = String(line.dropFirst("operationId: ".count)) }
                    if opBlock == "security" { op?.security = line == "security: []" ? [] : [] }
                    if opBlock == "requestBody" { op?.hasBody = true }
                default:
                    if opBlock == "security", ind == 8, line.hasPrefix("- ") {
                        op?.security?.append(String(line.dropFirst(2)))
                    } else if opBlock == "parameters", ind == 8, line.hasPrefix("- $ref: ") {
                        flushParam()
                        let ref = line.dropFirst("- $ref: ".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                        op?.refs.append(String(ref.split(separator: "/").last!))
                    } else if opBlock == "parameters", ind == 8, line.hasPrefix("- name: ") {
                        flushParam()
                        param = Parameter(name: String(line.dropFirst("- name: ".count)))
                    } else if opBlock == "parameters", ind == 10 {
                        if line.hasPrefix("in: ") { param?.location = String(line.dropFirst(4)) }
                        if line == "required: true" { param?.required = true }
                    } else if opBlock == "requestBody", let r = line.range(of: "maxLength: ") {
                        op?.bodyMaxLength = Int(line[r.upperBound...].prefix { $0.isNumber })
                    }
                }
            } else if section == "components" {
                if ind == 2 { subsection = String(line.dropLast()); continue }
                if subsection == "parameters" {
                    if ind == 4 { componentName = String(line.dropLast()); doc.componentParameters[componentName!] = Parameter() }
                    guard ind == 6, let name = componentName else { continue }
                    if line.hasPrefix("name: ") { doc.componentParameters[name]?.name = String(line.dropFirst(6)) }
                    if line.hasPrefix("in: ") { doc.componentParameters[name]?.location = String(line.dropFirst(4)) }
                    if line == "required: true" { doc.componentParameters[name]?.required = true }
                } else if subsection == "securitySchemes" {
                    if ind == 4 { schemeName = String(line.dropLast()); doc.securitySchemes[schemeName!] = [:] }
                    guard ind == 6, let name = schemeName, let colon = line.firstIndex(of: ":") else { continue }
                    doc.securitySchemes[name]?[String(line[..<colon])] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                }
            }
        }
        flushOp()
        return doc
    }

    static let document = parse(OpenAPI.document)

    // MARK: - Samples

    static let id = "00041061050R3GG28A1C60T3GF"
    static let hash = String(repeating: "ab", count: 32)

    /// Valid values for path parameters.
    static let pathSamples = ["log": "submissions", "level": "1", "index": "x001/234.p/5", "id": id, "party": "FRA"]

    /// Valid values for query parameters, by `path?name`, then by name.
    static let querySamples = [
        "year": "2025", "party": "FRA", "type": "assistance-request", "from": "FRA", "to": "NGA", "level": "states-parties",
        "since": "10", "limit": "1000", "/v1/directory/statements?from": "42", "/v1/directory/statements?limit": "1",
        "size": "7", "index": "6", "hash": hash, "old": "1", "new": "2",
    ]

    static func querySample(_ path: String, _ name: String) -> String {
        querySamples["\(path)?\(name)"] ?? querySamples[name] ?? "1"
    }

    /// A concrete request target for an operation, with `extra` query parameters besides
    /// the required ones.
    static func target(_ op: Operation, extra: [String] = []) -> String {
        var path = op.path
        for (name, value) in pathSamples { path = path.replacingOccurrences(of: "{\(name)}", with: value) }
        var names = document.parameters(op).filter { $0.location == "query" && $0.required }.map(\.name)
        // Inclusion proofs need exactly one of index and hash.
        if op.operationID == "inclusionProof", !extra.contains("index"), !extra.contains("hash") { names.append("index") }
        names += extra.filter { !names.contains($0) }
        guard !names.isEmpty else { return path }
        return path + "?" + names.map { "\($0)=\(querySample(op.path, $0))" }.joined(separator: "&")
    }

    /// The operation id the document gives each route; exhaustive, so a new `Route` case
    /// does not compile until it is named here.
    static func operationID(_ route: Route) -> String {
        switch route {
        case .site(.index): return "siteIndex"
        case .site(.status): return "siteStatus"
        case .site(.verify): return "siteVerify"
        case .site(.stylesheet): return "siteStylesheet"
        case .site(.report): return "siteReport"
        case .openAPI: return "openAPI"
        case .health: return "health"
        case .checkpoint: return "checkpoint"
        case .tile: return "tile"
        case .entryBundle: return "entryBundle"
        case .inclusionProof: return "inclusionProof"
        case .consistencyProof: return "consistencyProof"
        case .logKey: return "logKey"
        case .submitEnvelope: return "submitEnvelope"
        case .listEnvelopes: return "listEnvelopes"
        case .envelope: return "envelope"
        case .envelopeSignature: return "envelopeSignature"
        case .envelopeReceipt: return "envelopeReceipt"
        case .envelopeReport: return "envelopeReport"
        case .statements: return "statements"
        case .submitStatement: return "submitStatement"
        case .contacts: return "contacts"
        case .partyContacts: return "partyContacts"
        case .uploadContacts: return "uploadContacts"
        }
    }

    /// Concrete requests covering every `Route` case (as in RouterTests.everyRoute).
    static let requests: [(String, String)] = [
        ("GET", "/"), ("HEAD", "/"), ("GET", "/?year=2025&party=FRA&type=annual"), ("GET", "/status"), ("GET", "/verify"),
        ("GET", "/style.css"), ("GET", "/healthz"), ("GET", "/v1/openapi.yaml"),
        ("GET", "/v1/logs/submissions/checkpoint"), ("GET", "/v1/logs/directory/checkpoint"), ("GET", "/v1/logs/directory/key"),
        ("GET", "/v1/logs/submissions/tile/0/000"), ("GET", "/v1/logs/submissions/tile/1/x001/x234/067"),
        ("GET", "/v1/logs/submissions/tile/0/x001/234.p/5"), ("GET", "/v1/logs/directory/tile/63/999.p/255"),
        ("GET", "/v1/logs/directory/tile/entries/000"), ("GET", "/v1/logs/directory/tile/entries/x005/000.p/1"),
        ("GET", "/v1/logs/submissions/proof/inclusion?index=0&size=1"),
        ("GET", "/v1/logs/directory/proof/inclusion?hash=\(hash)&size=7"),
        ("GET", "/v1/logs/directory/proof/consistency?old=1&new=2"),
        ("POST", "/v1/envelopes"), ("GET", "/v1/envelopes"),
        ("GET", "/v1/envelopes?from=FRA&to=NGA&type=initial&year=2024&level=selected&since=10&limit=1000"),
        ("GET", "/v1/envelopes/\(id)"), ("HEAD", "/v1/envelopes/\(id)"), ("GET", "/v1/envelopes/\(id)/signature"),
        ("GET", "/v1/envelopes/\(id)/receipt"), ("GET", "/v1/envelopes/\(id)/report"), ("GET", "/reports/\(id)"), ("GET", "/v1/directory/statements"),
        ("GET", "/v1/directory/statements?from=42&limit=1"), ("POST", "/v1/directory/statements"),
        ("GET", "/v1/contacts"), ("GET", "/v1/contacts/NGA"), ("PUT", "/v1/contacts/NGA"),
    ]

    /// Whether a concrete path matches a template: `{x}` is one segment, except a final
    /// `{index}` (a tlog-tiles index), which is one or more.
    static func matches(_ template: String, _ path: String) -> Bool {
        let t = template.split(separator: "/", omittingEmptySubsequences: false)
        let p = path.split(separator: "/", omittingEmptySubsequences: false)
        if t.last == "{index}" {
            guard p.count >= t.count else { return false }
        } else {
            guard p.count == t.count else { return false }
        }
        for (a, b) in zip(t, p) where !(a.hasPrefix("{") && a.hasSuffix("}")) && a != b { return false }
        return true
    }

    // MARK: - Tests

    @Test func documentShape() throws {
        let doc = Self.document
        #expect(OpenAPI.document.hasPrefix("openapi: 3.0.3\n"))
        #expect(doc.topLevelKeys == ["openapi", "info", "paths", "components"], "no document-wide security")
        #expect(doc.operations.count == 24)
        #expect(Set(doc.operations.map(\.operationID)).count == doc.operations.count, "operation ids are unique")
        #expect(doc.operations.allSatisfy { !$0.operationID.isEmpty })
        #expect(doc.securitySchemes["attEd25519"] == ["type": "apiKey", "in": "header", "name": "Authorization",
                                                       "description": ">-"])
        #expect(OpenAPI.document.contains("ATT-Ed25519 party=<party>,key=<key id>,time=<time>,nonce=<nonce>,sig=<sig>")
            || OpenAPI.document.contains("ATT-Ed25519\n"))
        #expect(!OpenAPI.document.contains("\t"))
    }

    @Test func pathParametersAreDeclared() {
        for op in Self.document.operations {
            let declared = Self.document.parameters(op).filter { $0.location == "path" }
            #expect(declared.allSatisfy { $0.required }, "\(op.method) \(op.path)")
            let inTemplate = op.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            #expect(declared.map(\.name).sorted() == inTemplate.sorted(), "\(op.method) \(op.path)")
            #expect(Self.document.parameters(op).allSatisfy { $0.location == "path" || $0.location == "query" })
        }
    }

    /// Every operation of the document, made concrete, routes to its own route.
    @Test func everyOperationRoutes() throws {
        for op in Self.document.operations {
            let target = Self.target(op)
            let route = try Router.route(method: op.method, target: target)
            #expect(Self.operationID(route) == op.operationID, "\(op.method) \(target)")
            if op.method == "GET" {
                #expect(try Router.route(method: "HEAD", target: target) == route, "HEAD \(target)")
            }
        }
    }

    /// Every query parameter the document lists is one the route takes; one it does not
    /// list is refused.
    @Test func queryParameters() throws {
        for op in Self.document.operations {
            let params = Self.document.parameters(op).filter { $0.location == "query" }
            for p in params {
                var extra = [p.name]
                if op.operationID == "inclusionProof", p.name == "hash" { extra = ["hash"] }
                let target = Self.target(op, extra: extra)
                let route = try Router.route(method: op.method, target: target)
                #expect(Self.operationID(route) == op.operationID, "\(op.method) \(target)")
            }
            if op.operationID == "inclusionProof" { continue }
            let unknown = Self.target(op) + (params.contains { $0.required } ? "&" : "?") + "undocumented=1"
            #expect(throws: HTTPError.self, "\(op.method) \(unknown)") { try Router.route(method: op.method, target: unknown) }
        }
        // Leaving out a required parameter is refused.
        for op in Self.document.operations {
            for p in Self.document.parameters(op) where p.location == "query" && p.required {
                let target = Self.target(op).replacingOccurrences(of: "\(p.name)=\(Self.querySample(op.path, p.name))", with: "")
                    .replacingOccurrences(of: "?&", with: "?").replacingOccurrences(of: "&&", with: "&")
                let trimmed = target.hasSuffix("&") || target.hasSuffix("?") ? String(target.dropLast()) : target
                #expect(throws: HTTPError.badRequest(.missingParameter), "\(trimmed)") {
                    try Router.route(method: op.method, target: trimmed)
                }
            }
        }
    }

    /// Every route the router knows is in the document, under its path template and method.
    @Test func everyRouteIsDocumented() throws {
        var seen = Set<String>()
        for (method, target) in Self.requests {
            let route = try Router.route(method: method, target: target)
            seen.insert(Self.operationID(route))
            let path = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
            let m = method == "HEAD" ? "GET" : method
            let ops = Self.document.operations.filter { $0.method == m && Self.matches($0.path, path) }
            #expect(ops.map(\.operationID).contains(Self.operationID(route)), "\(method) \(target)")
            // …and so is every query parameter it was given.
            if let query = target.split(separator: "?", maxSplits: 1).dropFirst().first,
               let op = ops.first(where: { $0.operationID == Self.operationID(route) }) {
                let documented = Set(Self.document.parameters(op).filter { $0.location == "query" }.map(\.name))
                for pair in query.split(separator: "&") {
                    let name = String(pair.split(separator: "=")[0])
                    #expect(documented.contains(name), "\(name) in \(method) \(target)")
                }
            }
            // Literal segments win over templates: /tile/entries/… is not also a hash tile.
            #expect(ops.count == 1 || ops.contains { !$0.path.contains("{level}") }, "\(method) \(target)")
        }
        #expect(seen == Set(Self.document.operations.map(\.operationID)))
    }

    /// The document's security and request bodies are the router's.
    @Test func securityAndBodies() throws {
        for op in Self.document.operations {
            let route = try Router.route(method: op.method, target: Self.target(op))
            let label = "\(op.method) \(op.path)"
            switch route.authentication {
            case .none: #expect(op.security == nil, "\(label)")
            case .optional: #expect(op.security == ["{}", "attEd25519: []"], "\(label)")
            case .required: #expect(op.security == ["attEd25519: []"], "\(label)")
            }
            let limit = route.maxBodySize()
            #expect(op.hasBody == (limit > 0), "\(label)")
            if limit > 0 { #expect(op.bodyMaxLength == limit, "\(label)") }
        }
    }

    /// A method the document does not list for a path is 405.
    @Test func undocumentedMethodsAreRefused() {
        let byPath = Dictionary(grouping: Self.document.operations, by: \.path)
        for (_, ops) in byPath {
            let listed = Set(ops.map(\.method))
            for m in ["GET", "POST", "PUT", "DELETE", "PATCH"] where !listed.contains(m) {
                let target = Self.target(ops[0])
                #expect(throws: HTTPError.self, "\(m) \(target)") { try Router.route(method: m, target: target) }
            }
        }
    }

    /// The relay serves the document.
    @Test func served() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try RelayConfig(dataDirectory: dir)
        let server = RelayServer(config: config, logs: try config.openLogs())
        for method in ["GET", "HEAD"] {
            guard case let .respond(response) = try server.handle(HTTPRequestHead(method: method, path: "/v1/openapi.yaml")) else {
                Issue.record("not answered at once"); continue
            }
            #expect(response.status == 200)
            #expect(response.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/yaml" })
            guard case let .bytes(body) = response.body else { Issue.record("not bytes"); continue }
            #expect(body == Array(OpenAPI.document.utf8))
        }
    }
}
