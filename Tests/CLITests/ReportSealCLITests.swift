import Crypto
import Foundation
import Testing
import TestSupport

/// `att-report report seal`, black box: a structured report is validated, then sealed one
/// envelope per disclosure level, all or nothing.
@Suite("report seal (black box)")
struct ReportSealCLITests {
    struct World {
        let dir: TempDirectory
        var common: [String] { ["--home", dir.path("home"), "--directory", dir.path("directory"), "--party", "FRA"] }
        init() throws {
            dir = try TempDirectory("report-seal")
            let root = Vectors.packageRoot.appendingPathComponent("keys-example")
            for d in ["home", "directory"] { try FileManager.default.copyItem(at: root.appendingPathComponent(d), to: dir.file(d)) }
            try FileManager.default.copyItem(at: root.appendingPathComponent("reports/annual-FRA-2025.csv"), to: dir.file("fra.csv"))
        }
        func comment(_ name: String) throws -> String {
            try MinisignSignature(parsing: try dir.read(name + ".minisig")).trustedComment
        }
    }

    @Test("exports and imports at two levels: two envelopes, each the part's canonical JSON, named for its part")
    func twoLevels() async throws {
        let w = try World()
        let r = try await attOK(["report", "seal"] + w.common + ["--exports", "public", "--imports", "selected", "--to", "NGA",
                                                                 "-o", w.dir.url.path, w.dir.path("fra.csv")])
        #expect(r.stdoutLines.count == 2)
        #expect(try w.comment("annual-FRA-2025-v1.exports.json.att").contains(" level=public to=- "))
        #expect(try w.comment("annual-FRA-2025-v1.imports.json.att").contains(" level=selected to=FRA,NGA "))
        // The public part is a plain container: its report is the canonical JSON of the exports part.
        let inspected = try await attOK(["inspect", w.dir.path("annual-FRA-2025-v1.exports.json.att")])
        #expect(inspected.stdoutText.contains("file annual-FRA-2025-v1.exports.json"))
    }

    @Test("one level for both tables: one envelope with the whole report")
    func oneLevel() async throws {
        let w = try World()
        try await attOK(["report", "seal"] + w.common + ["--level", "states-parties", "-o", w.dir.url.path, w.dir.path("fra.csv")])
        #expect(w.dir.exists("annual-FRA-2025-v1.all.json.att"))
        #expect(!w.dir.exists("annual-FRA-2025-v1.exports.json.att"))
    }

    @Test("refusals: a bad cell, --to without the selected level, selected without --to, a part already there; nothing is written")
    func refusals() async throws {
        let w = try World()
        var bad = try w.dir.readText("fra.csv")
        bad = bad.replacingOccurrences(of: "exports,II,,NGA,12", with: "exports,IX,,NGA,12")
        try w.dir.write("bad.csv", bad)
        let invalid = try await att(["report", "seal"] + w.common + ["--level", "public", "-o", w.dir.url.path, w.dir.path("bad.csv")])
        expectCLIError(invalid, status: 1)
        #expect(invalid.stderrText.contains("nothing was sealed"))
        let toWithout = try await att(["report", "seal"] + w.common + ["--level", "public", "--to", "NGA", "-o", w.dir.url.path, w.dir.path("fra.csv")])
        expectCLIError(toWithout, status: 64)
        let selectedWithout = try await att(["report", "seal"] + w.common + ["--imports", "selected", "--exports", "public",
                                                                             "-o", w.dir.url.path, w.dir.path("fra.csv")])
        expectCLIError(selectedWithout, status: 64)
        #expect(try w.dir.listing().filter { $0.hasSuffix(".att") || $0.hasSuffix(".minisig") }.isEmpty)
        // A part already there: refused before anything is sealed, and the other part is not written either.
        try w.dir.write("annual-FRA-2025-v1.imports.json.att", "x")
        let exists = try await att(["report", "seal"] + w.common + ["--exports", "public", "--imports", "secretariat",
                                                                    "-o", w.dir.url.path, w.dir.path("fra.csv")])
        expectCLIError(exists, status: 1)
        #expect(!w.dir.exists("annual-FRA-2025-v1.exports.json.att"))
        #expect(try w.dir.readText("annual-FRA-2025-v1.imports.json.att") == "x")
    }
}
