import Crypto
import Foundation
import Vault

/// The directory endpoints (docs/FORMATS.md §7.1, §7.3): the directory log's statements,
/// read in the framing of an entry bundle, and new statements, appended only if replay
/// (§5.4) accepts them.
extension RelayServer {
    /// `GET /v1/directory/statements?from=&limit=`: entries `from` … `from + limit − 1` (as
    /// many as the log has), each a big-endian uint16 length and the entry; empty past the end.
    func respondStatements(from: UInt64, limit: Int) throws -> HTTPResponse {
        let log = logs.directory
        let size = log.size
        var body: [UInt8] = []
        var i = from
        while i < size, i - from < UInt64(limit) {
            let entry = try log.entry(at: i)
            body.append(UInt8(truncatingIfNeeded: entry.count >> 8))
            body.append(UInt8(truncatingIfNeeded: entry.count))
            body.append(contentsOf: entry)
            i += 1
        }
        return Self.bytes(body, contentType: "application/octet-stream", cache: Self.revalidate)
    }

    /// `POST /v1/directory/statements`: the body is collected (at most the route's limit).
    func beginStatementSubmission() -> HTTPRequestDisposition {
        .readBody(maxBytes: Route.submitStatement.maxBodySize(limits)) { StatementUploadSink(server: self) }
    }

    /// The statement is in: the same entry already in the log gets its receipt again (200);
    /// otherwise it is replayed on the directory as the log has it (422 with the rejection
    /// if refused), appended, and answered 201 with its receipt. Replay and append happen
    /// under one lock, so two statements cannot both be checked against the same state.
    func finishStatementSubmission(_ entry: [UInt8]) throws -> HTTPResponse {
        try statementSubmissions.withLock {
            let log = logs.directory
            for i in 0..<log.size where try log.entry(at: i) == entry {
                return try statementReceipt(index: i, checkpoint: nil, status: 200)
            }
            var state = try currentDirectory()
            let outcome = state.apply(entry)
            if let rejection = outcome.rejection { return Self.statementRejected(rejection) }
            let appended = try log.append([entry])
            return try statementReceipt(index: appended.firstIndex, checkpoint: appended.checkpoint, status: 201)
        }
    }

    private func statementReceipt(index: UInt64, checkpoint: StoredCheckpoint?, status: Int) throws -> HTTPResponse {
        let proof = try logs.directory.receipt(index: index, checkpoint: checkpoint)
        return HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
                            body: .bytes(proof.encoded))
    }

    /// 422 whose one line is `refused: the directory statement is rejected by replay: <reason>`.
    /// The reason is the rule that failed (§5.4), naming only values that parsed (party
    /// codes, key ids, times); a malformed statement says only `malformed`.
    static func statementRejected(_ rejection: StatementRejection) -> HTTPResponse {
        let base = HTTPErrorResponse(for: HTTPError.unprocessable(.statementRejected))
        var reason: String
        if case .malformed = rejection { reason = "malformed statement" } else { reason = rejection.description }
        reason = String(reason.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(200).map(Character.init))
        let message = HTTPError.unprocessable(.statementRejected).publicMessage + ": " + reason + "\n"
        return HTTPResponse(status: base.status, headers: base.headers.map { ($0.name, $0.value) }, body: .bytes(Array(message.utf8)))
    }
}

/// One statement submission as it arrives: the body, at most the route's limit (the
/// server cuts off anything longer with 413).
final class StatementUploadSink: HTTPBodySink {
    let server: RelayServer
    private var body: [UInt8] = []

    init(server: RelayServer) { self.server = server }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard body.count + chunk.count <= Route.submitStatement.maxBodySize(server.limits) else {
            throw HTTPError.payloadTooLarge(limit: Route.submitStatement.maxBodySize(server.limits))
        }
        body.append(contentsOf: chunk)
    }

    func finish() throws -> HTTPResponse { try server.finishStatementSubmission(body) }

    func abort() { body = [] }
}
