import Crypto
import Vault

/// Reading a relay's logs as any tlog client does (docs/FORMATS.md §3.12, §7.1): keys,
/// checkpoints, consistency proofs and entries (from entry bundles). None of it is signed.
extension RelayClient {
    /// The log's verifier key as the relay serves it; its name must be `<relay>/<log>`.
    public func logKey(_ log: LogName) throws -> NoteVerifierKey {
        let r = try http.get(baseURL + "/v1/logs/\(log.rawValue)/key", limit: 4096)
        var text = String(decoding: r.body, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        let key = try NoteVerifierKey(parsing: text)
        let suffix = "/" + log.rawValue
        guard key.name.hasSuffix(suffix), key.name.count > suffix.count else {
            throw HTTPClientError.io("the relay's \(log.rawValue) key is named \"\(HTTPClient.printable(key.name, limit: 100))\", not <relay>\(suffix)")
        }
        return key
    }

    /// The log's latest signed checkpoint, or nil when the log is empty (404).
    public func logCheckpoint(_ log: LogName) throws -> [UInt8]? {
        do {
            return try http.get(baseURL + "/v1/logs/\(log.rawValue)/checkpoint", limit: SignedNote.maxSize).body
        } catch {
            if case .status(404, _) = error { return nil }
            throw error
        }
    }

    /// The consistency proof from size `old` to `new` (1 ≤ old ≤ new), one base64 hash per line.
    public func consistencyProof(_ log: LogName, old: UInt64, new: UInt64) throws -> [Merkle.Hash] {
        let body = try http.get(baseURL + "/v1/logs/\(log.rawValue)/proof/consistency?old=\(old)&new=\(new)",
                                limit: 128 * 64).body
        var out: [Merkle.Hash] = []
        for line in body.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            guard let h = Base64.decode(String(decoding: line, as: UTF8.self), padded: true), h.count == 32 else {
                throw HTTPClientError.io("the relay's consistency proof has a malformed line")
            }
            out.append(h)
        }
        guard body.isEmpty || body.last == 0x0A else { throw HTTPClientError.io("the relay's consistency proof does not end with LF") }
        return out
    }

    /// The first `size` entries of the log, read from its entry bundles (256 entries each,
    /// the last one partial).
    public func entries(_ log: LogName, size: UInt64) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var bundle: UInt64 = 0
        while UInt64(out.count) < size {
            let width = Int(min(256, size - bundle * 256))
            let path = "/v1/logs/\(log.rawValue)/tile/entries/" + LogStore.tilePath(index: bundle, width: width)
            let body = try http.get(baseURL + path, limit: width * (2 + 65_535)).body
            guard let entries = Self.parseBundle(body), entries.count == width else {
                throw HTTPClientError.io("entry bundle \(bundle) of the \(log.rawValue) log is not \(width) entries")
            }
            out += entries
            bundle += 1
        }
        return out
    }

    /// An entry bundle: each entry a big-endian uint16 length and its bytes; nil if truncated.
    static func parseBundle(_ body: [UInt8]) -> [[UInt8]]? {
        var entries: [[UInt8]] = []
        var i = 0
        while i < body.count {
            guard i + 2 <= body.count else { return nil }
            let length = Int(body[i]) << 8 | Int(body[i + 1])
            guard i + 2 + length <= body.count else { return nil }
            entries.append(Array(body[(i + 2)..<(i + 2 + length)]))
            i += 2 + length
        }
        return entries
    }

    /// The outer signature file of envelope `id` (signed if the client has a key).
    public func envelopeSignature(id: String) throws -> [UInt8] {
        guard Manifest.isValidID(id) else { throw HTTPClientError.io("\"\(HTTPClient.printable(id, limit: 80))\" is not an envelope id") }
        let target = "/v1/envelopes/\(id)/signature"
        return try http.get(baseURL + target, headers: try authorization(method: "GET", target: target, bodySHA256: RequestAuth.emptyBodySHA256),
                            limit: Self.maxSignatureSize).body
    }
}
