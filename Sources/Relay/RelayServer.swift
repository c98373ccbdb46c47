import Crypto
import Foundation
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// The relay's HTTP handler: routes each request (`Router.route`, docs/FORMATS.md §7.1) and
/// answers it. It serves the logs (RelayServer+Logs.swift), the envelopes
/// (RelayServer+Envelopes.swift), the directory statements (RelayServer+Directory.swift),
/// the points of contact (RelayServer+Contacts.swift), the public site (RelayServer+Site.swift),
/// `/healthz` and `/v1/openapi.yaml` (OpenAPI.swift).
///
/// Signed requests (§7.2) are verified here against the directory replayed from the
/// directory log: at once for routes without a body, and for an upload once its body is
/// in (its SHA-256 is computed while it streams to a temporary file).
public struct RelayServer: HTTPHandler {
    public let config: RelayConfig
    public let logs: RelayLogs
    public let limits: BodyLimits
    public let verifier: RequestVerifier
    let directoryCache = DirectoryCache()
    /// Held while a submitted statement is replayed and appended (RelayServer+Directory.swift).
    let statementSubmissions = NSLock()
    /// The relay's clock, POSIX seconds.
    let now: @Sendable () -> Int64

    public init(config: RelayConfig, logs: RelayLogs, limits: BodyLimits = BodyLimits(),
                now: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) {
        self.config = config
        self.logs = logs
        self.limits = limits
        self.now = now
        // Requests signed before the relay started are stale: their nonces were not kept.
        self.verifier = RequestVerifier(relay: config.name, notBefore: now())
    }

    public func handle(_ head: HTTPRequestHead) throws -> HTTPRequestDisposition {
        do {
            let route = try Router.route(method: head.method, target: head.target)
            if route == .submitEnvelope { return try beginEnvelopeUpload(head) }
            if route == .submitStatement { return beginStatementSubmission() }
            if case .uploadContacts(let party) = route { return try beginContactsUpload(head, party: party) }
            var caller: AuthenticatedCaller?
            if route.authentication != .none {
                caller = try verifier.authenticate(route: route, method: head.method, target: head.target,
                                                   headers: head.headers, bodySHA256: RequestAuth.emptyBodySHA256,
                                                   directory: try currentDirectory(), now: now())
            }
            return .respond(try respond(route, caller: caller))
        } catch let error as HTTPError {
            return .respond(Self.errorResponse(error))
        }
    }

    /// The answer to a routed request without a body. `HEAD` routes as `GET`;
    /// libmicrohttpd leaves out the body of a `HEAD` answer itself.
    func respond(_ route: Route, caller: AuthenticatedCaller?) throws -> HTTPResponse {
        switch route {
        case .health:
            return Self.text("ok\n", cache: "no-store")
        case .openAPI:
            return Self.bytes(Array(OpenAPI.document.utf8), contentType: OpenAPI.contentType, cache: Self.revalidate)
        case .checkpoint, .logKey, .tile, .entryBundle, .inclusionProof, .consistencyProof:
            return try respondLog(route)
        case .listEnvelopes, .envelope, .envelopeSignature, .envelopeReceipt:
            return try respondEnvelope(route, caller: caller)
        case .envelopeReport(let id):
            return try respondPublicReport(id: id)
        case .site(let page):
            return try respondSite(page)
        case let .statements(from, limit):
            return try respondStatements(from: from, limit: limit)
        case .contacts, .partyContacts:
            return try respondContacts(route, caller: caller)
        case .submitEnvelope, .submitStatement, .uploadContacts:
            // Routes with a body are answered by their body sinks (`handle`).
            throw HTTPError.notFound
        }
    }

    /// The directory as the directory log has it now (replayed, §5.4); replayed again only
    /// when the log has grown.
    func currentDirectory() throws -> DirectoryState {
        try directoryCache.state(of: logs.directory)
    }

    /// An error as §7.5 has it: one `text/plain` line and `Cache-Control: no-store`.
    static func errorResponse(_ error: HTTPError) -> HTTPResponse {
        let r = HTTPErrorResponse(for: error)
        return HTTPResponse(status: r.status, headers: r.headers.map { ($0.name, $0.value) }, body: .bytes(r.body))
    }

    static func text(_ text: String, cache: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", cache)],
                     body: .bytes(Array(text.utf8)))
    }

    static func bytes(_ bytes: [UInt8], contentType: String, cache: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", contentType), ("Cache-Control", cache)], body: .bytes(bytes))
    }
}

/// The replayed directory, kept for the directory log's size it was replayed from.
final class DirectoryCache: @unchecked Sendable {
    // @unchecked: `cached` is only touched under `lock`.
    private let lock = NSLock()
    private var cached: (size: UInt64, state: DirectoryState)?

    func state(of log: LogStore) throws -> DirectoryState {
        try lock.withLock {
            let size = log.size
            if let cached, cached.size == size { return cached.state }
            var entries: [[UInt8]] = []
            entries.reserveCapacity(Int(size))
            for i in 0..<size { entries.append(try log.entry(at: i)) }
            let state = DirectoryState(replaying: entries)
            cached = (size, state)
            return state
        }
    }
}
