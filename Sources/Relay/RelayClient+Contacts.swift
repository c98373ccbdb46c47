import Crypto
import Vault

/// Points of contact (docs/FORMATS.md §7.1, §7.3, §7.4) and the small envelopes of
/// assistance metadata (§9): every request signed as the client's party.
extension RelayClient {
    /// `GET /v1/contacts`: the parties whose document the relay holds, with the SHA-256 the
    /// relay says it has. Nothing here is trusted: each document is checked against the
    /// directory by the caller.
    public func contactsList() throws -> [(party: PartyCode, sha256: String)] {
        let target = "/v1/contacts"
        let body = try http.get(baseURL + target, headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                                limit: 1 << 20).body
        var out: [(PartyCode, String)] = []
        guard body.isEmpty || body.last == 0x0A else { throw HTTPClientError.io("the relay's contacts list does not end with LF") }
        for line in body.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            let parts = String(decoding: line, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let party = try? PartyCode(String(parts[0])), parts[1].utf8.count == 64,
                  parts[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw HTTPClientError.io("the relay's contacts list has a malformed line")
            }
            out.append((party, String(parts[1])))
        }
        return out
    }

    /// `GET /v1/contacts/<party>`: the document as the relay serves it (at most 64 KiB).
    public func contactsDocument(_ party: PartyCode) throws -> [UInt8] {
        let target = "/v1/contacts/\(party)"
        return try http.get(baseURL + target, headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                            limit: ContactsDocument.maxSize).body
    }

    /// `PUT /v1/contacts/<party>` (204).
    public func uploadContacts(_ party: PartyCode, document: [UInt8]) throws {
        let target = "/v1/contacts/\(party)"
        let headers = try authorization(method: "PUT", target: target, bodySHA256: SHA256.hash(document))
        _ = try http.put(baseURL + target, headers: headers, body: MemorySource(document), length: Int64(document.count), limit: 4096)
    }

    /// `GET /v1/envelopes` with filters, every page: the envelopes the caller may see.
    public func list(type: ReportType? = nil, level: DisclosureLevel? = nil, from: PartyCode? = nil, pageSize: Int = 1000) throws -> [Listing] {
        var filters = ""
        if let from { filters += "&from=\(from)" }
        if let level { filters += "&level=\(level.rawValue)" }
        if let type { filters += "&type=\(type.rawValue)" }
        var out: [Listing] = []
        var since: UInt64 = 0
        while true {
            let target = "/v1/envelopes?since=\(since)&limit=\(pageSize)" + filters
            let body = try http.get(baseURL + target,
                                    headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                                    limit: 64 << 20).body
            var count = 0
            for line in body.split(separator: 0x0A) {
                count += 1
                let text = String(decoding: line, as: UTF8.self)
                guard let space = text.firstIndex(of: " "), let index = UInt64(text[..<space]), index >= since else {
                    throw HTTPClientError.io("the relay's envelope list has a malformed line")
                }
                out.append(Listing(index: index, trustedComment: String(text[text.index(after: space)...])))
                since = index + 1
            }
            if count < pageSize { return out }
        }
    }

    /// A small envelope into memory: its sealed file (at most `limit` bytes) and outer signature.
    public func fetchSmall(id: String, limit: Int) throws -> (sealed: [UInt8], signature: [UInt8]) {
        guard Manifest.isValidID(id) else { throw HTTPClientError.io("\"\(HTTPClient.printable(id, limit: 80))\" is not an envelope id") }
        let signature = try envelopeSignature(id: id)
        let target = "/v1/envelopes/\(id)"
        let sealed = try http.get(baseURL + target, headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                                  limit: limit).body
        return (sealed, signature)
    }
}
