import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

/// The public site of a real relay: reports at every level are submitted, then the pages
/// are fetched with curl and rendered in headless Chromium (Debian `chromium`), whose
/// rendered DOM is checked and whose screenshots (desktop and phone widths) are saved to
/// `.build/site-screenshots/`.
@Suite("Public site, live", .serialized)
struct PublicSiteLiveTests {
    typealias Live = RelayEnvelopesLiveTests

    static var screenshots: URL { Vectors.packageRoot.appendingPathComponent(".build/site-screenshots") }

    @Test("public reports, status and verify pages: content, downloads, nothing restricted, rendered in Chromium")
    func site() async throws {
        let world = try Live.World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let relay = try await Live.RelayProcess(data: world.scratch.appendingPathComponent("data"), directory: world.directory,
                                                scratch: world.scratch)

        // FRA: a public annual report for 2025, then a public amendment of it; NGA: a
        // restricted one; JPN: a public initial report. ARG submits nothing.
        let fra = try await world.seal("fra.att", ["--level", "public"])
        let fraV2 = try await world.seal("fra-v2.att", ["--level", "public", "--supersedes", fra.id])
        let nga = try await world.seal("nga.att", party: "NGA", ["--level", "states-parties"])
        let jpn = try await world.seal("jpn.att", party: "JPN", type: "initial", year: "2024", ["--level", "public"])
        for (e, party) in [(fra, "FRA"), (fraV2, "FRA"), (nga, "NGA"), (jpn, "JPN")] {
            let r = try await Live.upload(relay, world, e, as: party)
            try #require(r.status == 201, "\(r.text)")
        }

        let index = try await Live.get(relay, world, "/", as: nil)
        #expect(index.status == 200)
        #expect(index.headers.lowercased().contains("content-type: text/html; charset=utf-8"))
        #expect(index.headers.contains("Content-Security-Policy: default-src 'none'"))
        for id in [fra.id, fraV2.id, jpn.id] { #expect(index.text.contains("/v1/envelopes/\(id)/signature"), "\(id)") }
        #expect(index.text.contains("amends <a href=\"#\(fra.id)\""))
        #expect(index.text.contains("superseded by <a href=\"#\(fraV2.id)\""))

        // Nothing about the restricted envelope on any page, even its id.
        let status = try await Live.get(relay, world, "/status", as: nil)
        let verify = try await Live.get(relay, world, "/verify", as: nil)
        for page in [index, status, verify] {
            #expect(!page.text.contains(nga.id))
            #expect(!page.text.lowercased().contains("<script"))
        }

        // One click: each download link gives the file; the report is byte for byte the
        // one sealed, and the signature and receipt are the relay's.
        let report = try await Live.get(relay, world, "/v1/envelopes/\(fraV2.id)/report", as: nil)
        #expect(report.status == 200)
        #expect(report.body == [UInt8](try Data(contentsOf: world.report)))
        #expect(report.headers.contains("Content-Disposition: attachment; filename=\"annual-report-FRA-2025.csv\""))
        #expect(try await Live.get(relay, world, "/v1/envelopes/\(fraV2.id)/signature", as: nil).body == fraV2.signature)
        let receipt = try await Live.get(relay, world, "/v1/envelopes/\(fraV2.id)/receipt", as: nil)
        try Live.checkReceipt(receipt.body, for: fraV2, relay: relay)
        // The restricted envelope's report is 404 for everyone, its readers too (the relay cannot read it).
        for party: String? in [nil, "NGA", "FRA"] {
            #expect(try await Live.get(relay, world, "/v1/envelopes/\(nga.id)/report", as: party).status == 404)
        }

        // Narrowing: JPN only.
        let narrowed = try await Live.get(relay, world, "/?party=JPN", as: nil)
        #expect(narrowed.text.contains(jpn.id))
        #expect(!narrowed.text.contains(fra.id))
        #expect(try await Live.get(relay, world, "/?party=jpn", as: nil).status == 400)

        // The status table: FRA public (the latest version), NGA restricted, ARG nothing.
        let rows = Self.rows(status.text)
        #expect(rows["FRA"]?.contains("href=\"/#\(fraV2.id)\"") == true, "\(rows["FRA"] ?? "")")
        #expect(rows["NGA"]?.contains("class=\"restricted\"") == true)
        #expect(rows["ARG"]?.contains("class=\"public\"") == false)
        #expect(rows["ARG"]?.contains("class=\"restricted\"") == false)
        #expect(rows["JPN"]?.contains("href=\"/#\(jpn.id)\"") == true)
        #expect(rows["SGP"] == nil, "a signatory is not a State Party")

        // The verify page shows both logs' current checkpoints and keys.
        for key in [relay.submissionsKey.encoded, relay.directoryKey.encoded] { #expect(verify.text.contains(key)) }
        let cp = try await Live.get(relay, world, "/v1/logs/submissions/checkpoint", as: nil)
        #expect(verify.text.contains(PublicSite.escape(String(decoding: cp.body, as: UTF8.self))))

        try await Self.render(relay.url, pages: [("index", "/"), ("status", "/status"), ("verify", "/verify")]) { name, dom in
            #expect(dom.contains("<h1>"), "\(name)")
            switch name {
            case "index":
                #expect(dom.contains("annual-report-FRA-2025.csv"))
                #expect(dom.contains("superseded by"))
            case "status":
                #expect(dom.contains("restricted"))
                #expect(dom.contains("Reporting status"))
            default:
                #expect(dom.contains("How to verify"))
            }
        }
    }

    @Test("a report sealed per form: the public exports table is rendered; the restricted imports stay 404 and open for their reader")
    func perForm() async throws {
        let world = try Live.World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let relay = try await Live.RelayProcess(data: world.scratch.appendingPathComponent("data"), directory: world.directory,
                                                scratch: world.scratch)
        let csv = Vectors.packageRoot.appendingPathComponent("keys-example/reports/annual-FRA-2025.csv").path
        let out = world.scratch.appendingPathComponent("parts")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        let sealed = try await world.cli(["report", "seal", "--home", world.home.path, "--directory", world.directory.path,
                                          "--party", "FRA", "--exports", "public", "--imports", "secretariat", "-o", out.path, csv])
        #expect(sealed.contains("(annual-FRA-2025-v1.exports, public)") && sealed.contains("(annual-FRA-2025-v1.imports, secretariat)"))
        var ids: [String: String] = [:]
        for part in ["exports", "imports"] {
            let path = out.appendingPathComponent("annual-FRA-2025-v1.\(part).json.att").path
            try await world.cli(["submit", "--relay", relay.url, "--party", "FRA", "--home", world.home.path, path])
            let sig = try MinisignSignature(parsing: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".minisig"))))
            ids[part] = try Envelope.inspect(signature: sig).manifest.id
        }
        let exports = try #require(ids["exports"]), imports = try #require(ids["imports"])

        // att-report status asks the relay: 2025 is submitted (both parts held), the initial report is not.
        let status = try await world.cli(["status", "--relay", relay.url, "--party", "FRA", "--home", world.home.path,
                                          "--directory", world.directory.path, "--today", "2026-12-04", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
        let obligations = try #require(json["obligations"] as? [[String: Any]])
        #expect(obligations.first { $0["report"] as? String == "annual:2025" }?["state"] as? String == "submitted")
        #expect(obligations.first { $0["report"] as? String == "initial" }?["state"] as? String == "overdue")
        #expect(obligations.first { $0["report"] as? String == "annual:2024" }?["state"] as? String == "overdue")
        #expect(Set((json["held_by_relay"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == [exports, imports])

        let index = try await Live.get(relay, world, "/", as: nil)
        #expect(index.text.contains("<a href=\"/reports/\(exports)\">view</a>"))
        #expect(!index.text.contains(imports))
        let page = try await Live.get(relay, world, "/reports/\(exports)", as: nil)
        #expect(page.status == 200)
        #expect(page.text.contains("holds the <strong>exports</strong> table only"))
        #expect(page.text.contains("<td>light combat aircraft</td>"))
        #expect(page.text.contains("<td>re-export of items made in Belgium</td>"))
        #expect(!page.text.contains("man-portable launcher"), "the imports are not in the public part")
        #expect(page.text.contains("Values of two export licences withheld"))
        for party: String? in [nil, "SEC"] {
            #expect(try await Live.get(relay, world, "/reports/\(imports)", as: party).status == 404)
            #expect(try await Live.get(relay, world, "/v1/envelopes/\(imports)/report", as: party).status == 404)
        }
        #expect(try await Live.get(relay, world, "/v1/envelopes/\(imports)", as: nil).status == 404)
        #expect(try await Live.get(relay, world, "/v1/envelopes/\(imports)", as: "NGA").status == 404)

        // The Secretariat fetches and opens the imports part: the whole header and the imports table.
        let fetched = world.scratch.appendingPathComponent("imports.att").path
        try await world.cli(["fetch", "--relay", relay.url, "--party", "SEC", "--home", world.home.path, "-o", fetched, imports])
        let opened = world.scratch.appendingPathComponent("imports.json").path
        try await world.cli(["open", "--home", world.home.path, "--directory", world.directory.path, "--party", "SEC", "-o", opened, fetched])
        guard case .annual(let part)? = ReportValidation.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: opened))), format: .json).report else {
            Issue.record("the imports part is not an annual report")
            return
        }
        #expect(part.part == .imports)
        #expect(part.imports?.rows.count == 2)
        #expect(part.exports == nil)

        try await Self.render(relay.url, pages: [("report", "/reports/\(exports)")]) { _, dom in
            #expect(dom.contains("Exports"))
            #expect(dom.contains("light combat aircraft"))
        }
    }

    /// The status table's rows by party code.
    static func rows(_ html: String) -> [String: String] {
        var out: [String: String] = [:]
        for row in html.components(separatedBy: "<tr>").dropFirst() {
            guard let r = row.range(of: "<abbr title=\""), let close = row.range(of: "\">", range: r.upperBound..<row.endIndex) else { continue }
            let code = String(row[close.upperBound...].prefix(3))
            out[code] = row.components(separatedBy: "</tr>")[0]
        }
        return out
    }

    /// Renders each page in headless Chromium: its DOM after layout (checked by `check`),
    /// and screenshots at a desktop and a phone width.
    static func render(_ base: String, pages: [(String, String)], check: (String, String) -> Void) async throws {
        let chromium = try ProcessRunner.require("chromium", hint: "apt-get install chromium (scripts/install-deps)")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--disable-extensions", "--user-data-dir=\(profile.path)", "--hide-scrollbars"]
        for (name, path) in pages {
            let dom = try await ProcessRunner.run(chromium, common + ["--dump-dom", base + path], timeout: 120)
            try #require(dom.status == 0, "chromium --dump-dom \(path): \(dom)")
            check(name, dom.stdoutText)
            for (device, size) in [("desktop", "1280,900"), ("phone", "390,844")] {
                let file = screenshots.appendingPathComponent("\(name)-\(device).png")
                try? FileManager.default.removeItem(at: file)
                let shot = try await ProcessRunner.run(chromium, common + ["--window-size=\(size)", "--screenshot=\(file.path)", base + path],
                                                       timeout: 120)
                try #require(shot.status == 0, "chromium --screenshot \(path): \(shot)")
                let png = [UInt8]((try? Data(contentsOf: file)) ?? Data())
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 5_000, "\(file.path)")
            }
        }
    }
}
