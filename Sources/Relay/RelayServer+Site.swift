import Crypto
import Foundation
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// The public site (`PublicSite`, docs/FORMATS.md §7.6) and the unpacked report of a public
/// envelope (`GET /v1/envelopes/<id>/report`).
extension RelayServer {
    func respondSite(_ page: SitePage) throws -> HTTPResponse {
        let html: String
        switch page {
        case .stylesheet:
            return Self.bytes(Array(PublicSite.stylesheet.utf8), contentType: "text/css; charset=utf-8", cache: "public, max-age=3600")
        case .index(let filter): html = PublicSite.index(try siteSnapshot(), filter: filter)
        case .status: html = PublicSite.status(try siteSnapshot())
        case .verify: html = PublicSite.verify(try siteSnapshot())
        case .report(let id): html = try reportPage(id: id)
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", PublicSite.contentType), ("Cache-Control", Self.revalidate),
                                                   ("Content-Security-Policy", Self.siteCSP),
                                                   ("X-Content-Type-Options", "nosniff"),
                                                   ("Referrer-Policy", "no-referrer")],
                            body: .bytes(Array(html.utf8)))
    }

    /// No scripts, no frames, nothing from elsewhere.
    static let siteCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

    /// What the pages show, read from the store, the directory and the logs.
    func siteSnapshot() throws -> PublicSite.Snapshot {
        let all = try logs.envelopes.list(since: 0, limit: Int.max) { $0.logIndex != nil }
        var reports: [PublicSite.Report] = []
        var submissions: [ReportingStatus.Submission] = []
        for e in all {
            guard let index = e.logIndex else { continue }
            submissions.append(.init(id: e.id, sender: e.sender, type: e.type, year: e.year, level: e.level, logIndex: index))
            guard e.level == .public, let part = try? publicReportPart(e) else { continue }
            reports.append(PublicSite.Report(id: e.id, party: e.sender, type: e.type, year: e.year, fileName: part.fileName,
                                             sealed: part.sealed, reportSize: part.length, sealedSize: e.sealedSize,
                                             logIndex: index, supersedes: e.supersedes))
        }
        for i in reports.indices {
            reports[i].supersededBy = reports.filter { $0.supersedes == reports[i].id }.max { $0.logIndex < $1.logIndex }?.id
        }
        let today = UTCTime(seconds: now())
        let directory = try currentDirectory()
        let heads = LogName.allCases.map { log -> PublicSite.LogHead in
            let cp = logs.store(log).latestCheckpoint
            return PublicSite.LogHead(log: log, origin: config.origin(log), verifierKey: logs.verifierKey(log).encoded,
                                      checkpoint: cp.map { String(decoding: $0.note, as: UTF8.self) },
                                      size: cp?.size ?? 0, rootBase64: cp.map { Base64.encode($0.root, padded: true) } ?? "")
        }
        let status = ReportingStatus(parties: Array(directory.parties.values), submissions: submissions,
                                     today: CivilDate(today))
        return PublicSite.Snapshot(relayName: config.name, generated: today, reports: reports, status: status, logs: heads)
    }

    /// The largest structured report the site renders (larger ones are offered for download).
    static let maxRenderedReport: UInt64 = 4 << 20

    /// `GET /reports/<id>`: a public envelope whose report is §8 JSON, rendered as tables.
    func reportPage(id: String) throws -> String {
        let snapshot = try siteSnapshot()
        guard let report = snapshot.reports.first(where: { $0.id == id }), report.isStructured,
              let e = try logs.envelopes.envelope(id: id) else { throw HTTPError.notFound }
        let part = try publicReportPart(e)
        var content: PublicSite.StructuredContent?
        if part.length <= Self.maxRenderedReport {
            let fd = open(logs.envelopes.sealedPath(e.sealedSHA256), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw HTTPError.unavailable(retryAfter: nil) }
            defer { close(fd) }
            var bytes = [UInt8](repeating: 0, count: Int(part.length))
            guard pread(fd, &bytes, bytes.count, off_t(part.offset)) == bytes.count else { throw HTTPError.unavailable(retryAfter: nil) }
            switch ReportValidation.read(bytes, format: .json, context: ReportValidationContext(expectedParty: e.sender)).report {
            case .annual(let a)?:
                content = PublicSite.StructuredContent(header: a.renderedHeader, tables: a.rendered(), part: a.part.rawValue)
            case .initial(let i)?:
                content = PublicSite.StructuredContent(header: i.renderedHeader, tables: [i.rendered()], part: "all")
            case nil:
                content = nil
            }
        }
        return PublicSite.reportPage(snapshot, report: report, content: content)
    }

    /// Where the report lies inside a public envelope's sealed file (an unencrypted ustar
    /// container, §6.2): after the `manifest.txt` member, whose length is the manifest line
    /// and LF, and the report's own header, whose size field gives its length.
    struct PublicReportPart {
        let fileName: String
        let sealed: UTCTime
        let offset: UInt64
        let length: UInt64
    }

    func publicReportPart(_ e: StoredEnvelope) throws -> PublicReportPart {
        guard e.level == .public else { throw HTTPError.notFound }
        let manifest = try Envelope.inspect(signature: try MinisignSignature(parsing: e.signature)).manifest
        let headerOffset = Envelope.publicReportHeaderOffset(manifest)
        let fd = open(logs.envelopes.sealedPath(e.sealedSHA256), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPError.unavailable(retryAfter: nil) }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 512)
        guard pread(fd, &header, 512, off_t(headerOffset)) == 512,
              let length = Envelope.memberSize(ofHeader: header), headerOffset + 512 + length <= e.sealedSize else {
            throw HTTPError.unavailable(retryAfter: nil)
        }
        return PublicReportPart(fileName: manifest.fileName, sealed: manifest.time, offset: headerOffset + 512, length: length)
    }

    /// `GET /v1/envelopes/<id>/report`: public envelopes only (each was opened in full when
    /// it was received), so any other id is 404 whoever asks.
    func respondPublicReport(id: String) throws -> HTTPResponse {
        guard let e = try logs.envelopes.envelope(id: id), e.level == .public, e.logIndex != nil else { throw HTTPError.notFound }
        let part = try publicReportPart(e)
        let file: HTTPFileBody
        do { file = try HTTPFileBody(path: logs.envelopes.sealedPath(e.sealedSHA256), offset: part.offset, length: part.length) } catch {
            throw HTTPError.unavailable(retryAfter: nil)
        }
        // The file name is a safe base name (§6.1: [A-Za-z0-9._-]), so it needs no quoting rules beyond the quotes.
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream"),
                                                   ("Content-Disposition", "attachment; filename=\"\(part.fileName)\""),
                                                   ("X-Content-Type-Options", "nosniff"),
                                                   ("Cache-Control", Self.immutable)], body: .file(file))
    }

    /// A public envelope must open in full (§6.4, with no key) before the relay takes it, so
    /// that the site only offers reports whose container and inner signature are sound.
    func checkPublicEnvelopeOpens(path: String, signature: MinisignSignature, directory: KeyDirectory) throws {
        do {
            _ = try Envelope.open(sealed: try FileSource(path: path), signature: signature, directory: directory,
                                  identities: [], output: { _ in DiscardingReportOutput() })
        } catch is EnvelopeError {
            throw HTTPError.unprocessable(.publicEnvelopeDoesNotOpen)
        }
    }
}

/// A report output that keeps nothing: for checking that an envelope opens.
final class DiscardingReportOutput: ReportOutput {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
    func commit() throws {}
    func abort() {}
}
