import Crypto
import Foundation
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// The envelope endpoints (docs/FORMATS.md §7.1, §7.3, §7.4): upload, fetch, list.
extension RelayServer {
    // MARK: - Upload

    /// `POST /v1/envelopes`: an unsigned request is refused at once (401); otherwise the
    /// body streams to a temporary file, hashed on the way, and `finishEnvelopeUpload`
    /// runs once it is complete.
    func beginEnvelopeUpload(_ head: HTTPRequestHead) throws -> HTTPRequestDisposition {
        let values = head.headers.filter { RequestAuth.isAuthorization($0.name) }
        guard !values.isEmpty else { throw HTTPError.unauthenticated(.missing) }
        guard values.count == 1 else { throw HTTPError.unauthenticated(.multipleHeaders) }
        return .readBody(maxBytes: Route.submitEnvelope.maxBodySize(limits)) {
            EnvelopeUploadSink(server: self, head: head)
        }
    }

    /// The body is in: authenticate (401), then the body's shape (422), the sender (403),
    /// the outer signature (422), what is held (409); then store, append the leaf and
    /// answer with the receipt.
    func finishEnvelopeUpload(_ upload: EnvelopeUploadSink) throws -> HTTPResponse {
        let head = upload.head
        let directory = try currentDirectory()
        // The request time is judged against when its head arrived, so a long upload is not stale.
        guard let caller = try verifier.authenticate(route: .submitEnvelope, method: head.method, target: head.target,
                                                     headers: head.headers, bodySHA256: upload.bodySHA256,
                                                     directory: directory, now: upload.started) else {
            throw HTTPError.unauthenticated(.missing)
        }
        if let failure = upload.failure { throw failure }
        guard let signature = upload.signature, let declared = upload.declaredManifest, let sealed = upload.staged else {
            throw HTTPError.unprocessable(.malformedEnvelope)
        }
        guard upload.sealedCount == declared.declaredSealedSize else { throw HTTPError.unprocessable(.sealedSizeMismatch) }
        guard declared.manifest.from == caller.party else { throw HTTPError.forbidden(.notTheSender) }

        let verified: Envelope.Verified
        do {
            verified = try Envelope.verify(sealedBLAKE2b512: upload.sealedBLAKE2b512, sealedSize: upload.sealedCount,
                                           signature: signature, directory: directory)
        } catch let e as EnvelopeError {
            throw Self.unprocessable(e)
        }
        let m = verified.manifest
        guard m.from == caller.party else { throw HTTPError.forbidden(.notTheSender) }
        if m.level == .public {
            try checkPublicEnvelopeOpens(path: sealed.linkPath, signature: signature, directory: directory)
        }

        let envelope = StoredEnvelope(
            id: m.id, sender: m.from, level: m.level, type: m.type, year: m.year, recipients: m.to,
            supersedes: m.supersedes, sealedSHA256: upload.sealedSHA256, sealedSize: verified.sealedSize,
            signature: upload.signatureBytes, logIndex: nil, checkpointSize: nil, received: now())
        switch try Self.storing({ try logs.envelopes.claim(envelope) }) {
        case .held(let held):
            return try receiptResponse(held, status: 200)
        case .claimed:
            let receipt: LogAppender.Receipt
            do {
                receipt = try Self.storing {
                    try logs.submissionCommitter.submit(EnvelopeStore.Pending(envelope: envelope, sealed: sealed))
                }
            } catch {
                logs.envelopes.release(ids: [envelope.id])
                throw error
            }
            let proof = try logs.submissions.receipt(index: receipt.index, checkpoint: receipt.checkpoint)
            return HTTPResponse(status: 201, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                       ("Cache-Control", "no-store"),
                                                       ("Location", "/v1/envelopes/\(envelope.id)")],
                                body: .bytes(proof.encoded))
        }
    }

    /// Runs a step that writes to the data folder: a full disk (or quota) is 503, the
    /// relay cannot take the upload now (§7.5), and nothing of it is kept.
    static func storing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e where isOutOfSpace(e) { throw HTTPError.unavailable(retryAfter: nil) }
    }

    /// SQLite's "database or disk is full", or a file write that failed with ENOSPC or
    /// EDQUOT (an `IOError` carries `strerror`'s text).
    static func isOutOfSpace(_ error: any Error) -> Bool {
        if let e = error as? SQLiteError { return e.isDiskFull }
        guard let e = error as? IOError else { return false }
        let full = [ENOSPC, EDQUOT].map { String(cString: strerror($0)) }
        switch e {
        case let .open(_, reason), let .read(_, reason), let .write(_, reason), let .commit(_, reason):
            return full.contains(reason)
        case .exists, .tooLarge:
            return false
        }
    }

    static func unprocessable(_ e: EnvelopeError) -> HTTPError {
        switch e {
        case .unknownSigner: return .unprocessable(.unknownSigner)
        case .signerMismatch: return .unprocessable(.signerMismatch)
        case .signingKeyRevoked, .signingKeyExpired, .signingKeyNotYetValid: return .unprocessable(.signingKeyNotValid)
        case .malformedManifest: return .unprocessable(.malformedManifest)
        case .sealedSizeMismatch: return .unprocessable(.sealedSizeMismatch)
        default: return .unprocessable(.outerSignatureInvalid)
        }
    }

    // MARK: - Reading

    func respondEnvelope(_ route: Route, caller: AuthenticatedCaller?) throws -> HTTPResponse {
        let party = caller?.party
        /// A restricted envelope the caller may not read answers exactly as an unknown id.
        func visible(_ id: String) throws -> StoredEnvelope {
            guard let e = try logs.envelopes.envelope(id: id), e.isVisible(to: party) else { throw HTTPError.notFound }
            return e
        }
        switch route {
        case .envelope(let id):
            let e = try visible(id)
            // Content-addressed, so never rewritten: the server may keep it open.
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream"),
                                                       ("Cache-Control", Self.envelopeCache(e))],
                                body: .immutableFile(path: logs.envelopes.sealedPath(e.sealedSHA256)))
        case .envelopeSignature(let id):
            let e = try visible(id)
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                       ("Cache-Control", Self.envelopeCache(e))], body: .bytes(e.signature))
        case .envelopeReceipt(let id):
            return try receiptResponse(try visible(id), status: 200)
        case .listEnvelopes(let f):
            let list = try logs.envelopes.list(since: f.since, limit: f.limit) { e in
                e.isVisible(to: party)
                    && (f.from.map { $0 == e.sender } ?? true)
                    && (f.to.map { e.recipients.contains($0) } ?? true)
                    && (f.type.map { $0 == e.type } ?? true)
                    && (f.year.map { $0 == e.year } ?? true)
                    && (f.level.map { $0 == e.level } ?? true)
            }
            var text = ""
            for e in list {
                let comment = (try? MinisignSignature(parsing: e.signature).trustedComment) ?? ""
                text += "\(e.logIndex ?? 0) \(comment)\n"
            }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                       ("Cache-Control", party == nil ? "no-cache" : "private, no-store")],
                                body: .bytes(Array(text.utf8)))
        default:
            throw HTTPError.notFound
        }
    }

    /// A public envelope never changes; a restricted one is for its readers only.
    static func envelopeCache(_ e: StoredEnvelope) -> String {
        e.level == .public ? Self.immutable : "private, no-store"
    }

    /// The tlog proof of the envelope's leaf against the first checkpoint that covers it.
    func receiptResponse(_ e: StoredEnvelope, status: Int) throws -> HTTPResponse {
        guard let index = e.logIndex, let size = e.checkpointSize,
              let cp = try logs.submissions.checkpoint(size: size) else { throw HTTPError.notFound }
        let proof = try logs.submissions.receipt(index: index, checkpoint: cp)
        return HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                      ("Cache-Control", e.level == .public ? Self.immutable : "private, no-store"),
                                                      ("Location", "/v1/envelopes/\(e.id)")],
                            body: .bytes(proof.encoded))
    }
}

/// One envelope upload as it streams in (§7.3): the outer signature file (four lines, at
/// most 16,384 bytes) is collected and parsed, then the sealed file goes to a temporary
/// file. On the way, the whole body and the sealed file are SHA-256 hashed, and the sealed
/// file BLAKE2b-512 hashed too (what the outer signature signs), so it is never read back.
/// A body that is not of that shape is recorded (`failure`) and the rest discarded, so
/// that the request's signature is still checked first. Whatever happens, the temporary
/// file is removed unless the store took it.
final class EnvelopeUploadSink: HTTPBodySink {
    static let maxSignatureBytes = 16_384

    let server: RelayServer
    let head: HTTPRequestHead
    /// When the request head arrived (the relay's clock).
    let started: Int64
    private let bodyHash = SHA256Hasher()
    private let sealedHash = SHA256Hasher()
    /// The prehash the outer signature signs, so the sealed file need not be read back.
    private let sealedPrehash = BLAKE2b(outputLength: 64)
    private(set) var signatureBytes: [UInt8] = []
    private var lineFeeds = 0
    private(set) var signature: MinisignSignature?
    private(set) var declaredManifest: Envelope.UnverifiedManifest?
    /// The sealed file, staged; discarded when the upload ends (linked into place by then
    /// if it was stored).
    private(set) var staged: StagedFile?
    private(set) var sealedCount: UInt64 = 0
    private(set) var failure: HTTPError?
    private(set) var bodySHA256: [UInt8] = []
    private(set) var sealedSHA256: [UInt8] = []
    private(set) var sealedBLAKE2b512: [UInt8] = []

    init(server: RelayServer, head: HTTPRequestHead) {
        self.server = server
        self.head = head
        started = server.now()
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        bodyHash.update(chunk)
        guard failure == nil else { return }
        var rest = chunk
        if signature == nil {
            var taken = 0
            for byte in rest {
                taken += 1
                signatureBytes.append(byte)
                if byte == 0x0A { lineFeeds += 1; if lineFeeds == 4 { break } }
                if signatureBytes.count >= Self.maxSignatureBytes { break }
            }
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            if lineFeeds < 4 {
                if signatureBytes.count >= Self.maxSignatureBytes { failure = .unprocessable(.malformedEnvelope) }
                return
            }
            do {
                let sig = try MinisignSignature(parsing: signatureBytes)
                declaredManifest = try Envelope.inspect(signature: sig)
                signature = sig
            } catch {
                failure = .unprocessable(.malformedEnvelope)
                return
            }
            staged = try RelayServer.storing { try server.logs.envelopes.staging.create() }
        }
        guard let declared = declaredManifest?.declaredSealedSize, UInt64(rest.count) <= declared - sealedCount else {
            failure = .unprocessable(.sealedSizeMismatch)
            removeTemporaryFile()
            return
        }
        sealedHash.update(rest)
        sealedPrehash.update(rest)
        try RelayServer.storing { try staged?.write(rest) }
        sealedCount += UInt64(rest.count)
    }

    func finish() throws -> HTTPResponse {
        bodySHA256 = bodyHash.finalize()
        sealedSHA256 = sealedHash.finalize()
        sealedBLAKE2b512 = sealedPrehash.finalize()
        defer { removeTemporaryFile() }
        try RelayServer.storing { try staged?.sync() }
        return try server.finishEnvelopeUpload(self)
    }

    func abort() { removeTemporaryFile() }

    private func removeTemporaryFile() {
        staged?.discard()
        staged = nil
    }

    deinit { removeTemporaryFile() }
}
