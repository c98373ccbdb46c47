import Crypto
import Foundation

/// The relay's HTTP handler: routes each request (`Router.route`, docs/FORMATS.md §7.1) and
/// answers it. This first slice serves the logs (RelayServer+Logs.swift) and `/healthz`;
/// every other route is 501 for now.
public struct RelayServer: HTTPHandler {
    public let config: RelayConfig
    public let logs: RelayLogs

    public init(config: RelayConfig, logs: RelayLogs) {
        self.config = config
        self.logs = logs
    }

    public func handle(_ head: HTTPRequestHead) throws -> HTTPRequestDisposition {
        do {
            let route = try Router.route(method: head.method, target: head.target)
            return .respond(try respond(route))
        } catch let error as HTTPError {
            return .respond(Self.errorResponse(error))
        }
    }

    /// The answer to a routed request. `HEAD` routes as `GET`; libmicrohttpd leaves out
    /// the body of a `HEAD` answer itself.
    func respond(_ route: Route) throws -> HTTPResponse {
        switch route {
        case .health:
            return Self.text("ok\n", cache: "no-store")
        case .checkpoint, .logKey, .tile, .entryBundle, .inclusionProof, .consistencyProof:
            return try respondLog(route)
        case .site, .openAPI, .submitEnvelope, .listEnvelopes, .envelope, .envelopeSignature, .envelopeReceipt,
             .statements, .submitStatement, .contacts, .partyContacts, .uploadContacts:
            throw HTTPError.notImplemented
        }
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
