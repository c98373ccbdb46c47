import Crypto
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// A client of a relay (docs/FORMATS.md §7): every request to an envelope route is signed
/// with `RequestAuth` as `party` with `key`. The relay's name, which signed requests bind
/// to, is learned from the submissions log's key (`<relay name>/submissions`).
public final class RelayClient {
    /// The base URL without a trailing `/`.
    public let baseURL: String
    public let party: PartyCode?
    private let key: MinisignSecretKey?
    let http: HTTPClient
    private var cachedSubmissionsKey: NoteVerifierKey?

    public static let submissionsSuffix = "/submissions"
    /// Longest outer signature file (§7.3).
    public static let maxSignatureSize = 16_384

    /// Plain http:// is refused unless to a loopback address or `allowPlainHTTP` (for a
    /// relay behind something else that protects the connection). By default both come from
    /// the environment: `ATT_REPORT_CA_FILE` (a PEM file of CAs to trust for https://) and
    /// `ATT_REPORT_ALLOW_HTTP=1`.
    public init(url: String, party: PartyCode?, key: MinisignSecretKey?,
                caFile: String? = getenv("ATT_REPORT_CA_FILE").map { String(cString: $0) },
                allowPlainHTTP: Bool = getenv("ATT_REPORT_ALLOW_HTTP").map { String(cString: $0) == "1" } ?? false) throws(HTTPClientError) {
        var u = url
        while u.hasSuffix("/") { u.removeLast() }
        guard HTTPClient.isHTTPURL(u) else { throw .badURL(url) }
        guard allowPlainHTTP || !HTTPClient.isPlainHTTPOffLoopback(u) else { throw .plainHTTP(url) }
        guard let hostStart = u.range(of: "://")?.upperBound, !u[hostStart...].contains("/"),
              !u[hostStart...].contains("?"), !u[hostStart...].contains("#") else {
            throw .badURL(url)
        }
        baseURL = u; self.party = party; self.key = key
        http = try HTTPClient()
        http.caFile = caFile
    }

    /// The submissions log's verifier key, as the relay serves it (trust on first use: the
    /// caller compares its key id with one obtained out of band).
    public func submissionsKey() throws -> NoteVerifierKey {
        if let cachedSubmissionsKey { return cachedSubmissionsKey }
        let r = try http.get(baseURL + "/v1/logs/submissions/key", limit: 4096)
        var text = String(decoding: r.body, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        let key = try NoteVerifierKey(parsing: text)
        guard key.name.hasSuffix(Self.submissionsSuffix), key.name.count > Self.submissionsSuffix.count else {
            throw HTTPClientError.io("the relay's submissions key is named \"\(HTTPClient.printable(key.name, limit: 100))\", not <relay>/submissions")
        }
        cachedSubmissionsKey = key
        return key
    }

    /// The relay's name (`<relay name>` of §3.12).
    public func relayName() throws -> String {
        String(try submissionsKey().name.dropLast(Self.submissionsSuffix.count))
    }

    /// The submissions log's latest signed checkpoint (a signed note).
    public func checkpoint() throws -> [UInt8] {
        try http.get(baseURL + "/v1/logs/submissions/checkpoint", limit: SignedNote.maxSize).body
    }

    /// The Authorization header for one request, or none without a key.
    func authorization(method: String, target: String, bodySHA256: [UInt8]) throws -> [(String, String)] {
        guard let party, let key else { return [] }
        let value = try RequestAuth.sign(relay: try relayName(), method: method, target: target, bodySHA256: bodySHA256,
                                         party: party, key: key, time: Int64(time(nil)))
        return [("Authorization", value)]
    }

    /// Uploads an envelope: the outer signature file followed by the sealed file at
    /// `sealedPath` (streamed, hashed in a first pass). Returns the receipt (a tlog proof).
    public func submit(sealedPath: String, signature: [UInt8], progress: HTTPClient.Progress? = nil) throws -> [UInt8] {
        let hasher = SHA256Hasher()
        hasher.update(signature)
        var sealedSize: Int64 = 0
        do {
            let source = try FileSource(path: sealedPath)
            var chunk = [UInt8](repeating: 0, count: 256 * 1024)
            while true {
                let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                sealedSize += Int64(n)
            }
        }
        let target = "/v1/envelopes"
        let headers = try authorization(method: "POST", target: target, bodySHA256: hasher.finalize())
        let body = ConcatenatedSource(prefix: signature, rest: try FileSource(path: sealedPath))
        let r = try http.post(baseURL + target, headers: headers, body: body, length: Int64(signature.count) + sealedSize,
                              limit: TlogProof.maxSize, progress: progress)
        guard body.rest.count == sealedSize else {
            throw HTTPClientError.io("\(sealedPath) changed while it was being uploaded")
        }
        return r.body
    }

    /// The envelope `id`: its sealed file streamed to `sealed`; returns its outer signature file.
    public func fetch(id: String, sealed: ByteSink) throws -> [UInt8] {
        guard Manifest.isValidID(id) else { throw HTTPClientError.io("\"\(HTTPClient.printable(id, limit: 80))\" is not an envelope id") }
        let sigTarget = "/v1/envelopes/\(id)/signature"
        let signature = try http.get(baseURL + sigTarget,
                                     headers: try authorization(method: "GET", target: sigTarget, bodySHA256: RequestAuth.emptyBodySHA256),
                                     limit: Self.maxSignatureSize).body
        let target = "/v1/envelopes/\(id)"
        try http.get(baseURL + target, headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                     to: sealed)
        return signature
    }

    /// The receipt of envelope `id`.
    public func receipt(id: String) throws -> [UInt8] {
        let target = "/v1/envelopes/\(id)/receipt"
        return try http.get(baseURL + target, headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                            limit: TlogProof.maxSize).body
    }

    // MARK: - The directory (no request signatures: §7.1)

    public static let directorySuffix = "/directory"

    /// The directory log's verifier key as the relay serves it (named `<relay>/directory`).
    public func directoryKey() throws -> NoteVerifierKey { try logKey(.directory) }

    /// The directory log's latest signed checkpoint, or nil when the log is empty (404).
    public func directoryCheckpoint() throws -> [UInt8]? { try logCheckpoint(.directory) }

    /// The directory log's consistency proof from size `old` to `new` (1 ≤ old ≤ new).
    public func directoryConsistencyProof(old: UInt64, new: UInt64) throws -> [Merkle.Hash] {
        try consistencyProof(.directory, old: old, new: new)
    }

    /// Directory log entries `from` … `from + limit − 1` (fewer at the end of the log).
    public func statements(from: UInt64, limit: Int = 1000) throws -> [[UInt8]] {
        let body = try http.get(baseURL + "/v1/directory/statements?from=\(from)&limit=\(limit)",
                                limit: limit * (Statement.maxSize + 2)).body
        var out: [[UInt8]] = []
        var i = 0
        while i < body.count {
            guard i + 2 <= body.count else { throw HTTPClientError.io("the relay's directory statements are truncated") }
            let n = Int(body[i]) << 8 | Int(body[i + 1])
            i += 2
            guard n > 0, i + n <= body.count else { throw HTTPClientError.io("the relay's directory statements are truncated") }
            out.append(Array(body[i..<(i + n)]))
            i += n
        }
        guard out.count <= limit else { throw HTTPClientError.io("the relay sent more directory statements than asked") }
        return out
    }

    /// Submits a signed statement; returns its receipt (a tlog proof of its directory log entry).
    public func submitStatement(_ statement: [UInt8]) throws -> [UInt8] {
        try http.post(baseURL + "/v1/directory/statements", body: MemorySource(statement), length: Int64(statement.count),
                      limit: TlogProof.maxSize).body
    }

    /// One line of `GET /v1/envelopes`.
    public struct Listing: Sendable, Equatable {
        public let index: UInt64
        public let trustedComment: String
        public init(index: UInt64, trustedComment: String) { self.index = index; self.trustedComment = trustedComment }
    }

    /// Every envelope the caller may see, in log order (pages of `pageSize` lines).
    public func list(pageSize: Int) throws -> [Listing] { try list(type: nil, level: nil, from: nil, pageSize: pageSize) }
}

/// `prefix`, then everything `rest` reads.
final class ConcatenatedSource: ByteSource {
    private let prefix: [UInt8]
    private var offset = 0
    let rest: CountingSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix; self.rest = CountingSource(rest)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < prefix.count {
            let n = min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
            }
            offset += n
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// Counts the bytes read through it.
final class CountingSource: ByteSource {
    private let inner: ByteSource
    private(set) var count: Int64 = 0
    init(_ inner: ByteSource) { self.inner = inner }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        count += Int64(n)
        return n
    }
}
