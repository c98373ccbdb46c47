import Crypto
import Foundation
import Vault

/// The points-of-contact endpoints (docs/FORMATS.md §7.1, §7.3, §7.4): readable by
/// `state-party` and `secretariat` parties only; a party's document is uploaded by the party
/// or the Secretariat, and must hash to the party's `contacts-sha256` in the directory.
extension RelayServer {
    var contacts: ContactsStore { ContactsStore(directory: config.dataDirectory.appendingPathComponent("contacts").path) }

    /// 403 for a signatory or an auditor (the list's existence is public; its content is not).
    static func checkMayReadContacts(_ caller: AuthenticatedCaller) throws {
        guard caller.role == .stateParty || caller.role == .secretariat else { throw HTTPError.forbidden(.contactsRestricted) }
    }

    func respondContacts(_ route: Route, caller: AuthenticatedCaller?) throws -> HTTPResponse {
        guard let caller else { throw HTTPError.unauthenticated(.missing) }
        try Self.checkMayReadContacts(caller)
        let directory = try currentDirectory()
        switch route {
        case .contacts:
            var text = ""
            for party in directory.parties.keys.sorted() {
                let expected = directory.parties[party]?.contactsSHA256
                if try contacts.document(party, expected: expected) != nil, let expected { text += "\(party) \(expected)\n" }
            }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "private, no-store")],
                                body: .bytes(Array(text.utf8)))
        case .partyContacts(let party):
            guard let doc = try contacts.document(party, expected: directory.parties[party]?.contactsSHA256) else { throw HTTPError.notFound }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "private, no-store")],
                                body: .bytes(doc))
        default:
            throw HTTPError.notFound
        }
    }

    /// `PUT /v1/contacts/<party>`: an unsigned request is refused at once (401); the body is
    /// collected (at most the route's limit) and checked once complete.
    func beginContactsUpload(_ head: HTTPRequestHead, party: PartyCode) throws -> HTTPRequestDisposition {
        let values = head.headers.filter { RequestAuth.isAuthorization($0.name) }
        guard !values.isEmpty else { throw HTTPError.unauthenticated(.missing) }
        guard values.count == 1 else { throw HTTPError.unauthenticated(.multipleHeaders) }
        let limit = Route.uploadContacts(party).maxBodySize(limits)
        return .readBody(maxBytes: limit) { ContactsUploadSink(server: self, head: head, party: party, limit: limit) }
    }

    /// The body is in: authenticate (401), then who (403: a reader role, and the party itself
    /// or the Secretariat), then the hash (422), then store it: 204.
    func finishContactsUpload(_ head: HTTPRequestHead, party: PartyCode, body: [UInt8], started: Int64) throws -> HTTPResponse {
        let directory = try currentDirectory()
        guard let caller = try verifier.authenticate(route: .uploadContacts(party), method: head.method, target: head.target,
                                                     headers: head.headers, bodySHA256: SHA256.hash(body),
                                                     directory: directory, now: started) else {
            throw HTTPError.unauthenticated(.missing)
        }
        try Self.checkMayReadContacts(caller)
        guard caller.party == party || caller.role == .secretariat else { throw HTTPError.forbidden(.notYourContacts) }
        guard let expected = directory.parties[party]?.contactsSHA256, hexString(SHA256.hash(body)) == expected else {
            throw HTTPError.unprocessable(.contactsMismatch)
        }
        try contacts.store(body, for: party)
        return HTTPResponse(status: 204, headers: [("Cache-Control", "no-store")], body: .bytes([]))
    }
}

/// One contacts upload as it arrives: at most the route's limit (the server cuts off
/// anything longer with 413).
final class ContactsUploadSink: HTTPBodySink {
    let server: RelayServer
    let head: HTTPRequestHead
    let party: PartyCode
    let limit: Int
    /// When the request head arrived: the request time is judged against it.
    let started: Int64
    private var body: [UInt8] = []

    init(server: RelayServer, head: HTTPRequestHead, party: PartyCode, limit: Int) {
        self.server = server; self.head = head; self.party = party; self.limit = limit
        started = server.now()
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard body.count + chunk.count <= limit else { throw HTTPError.payloadTooLarge(limit: limit) }
        body.append(contentsOf: chunk)
    }

    func finish() throws -> HTTPResponse { try server.finishContactsUpload(head, party: party, body: body, started: started) }

    func abort() { body = [] }
}
