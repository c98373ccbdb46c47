import Foundation
import Testing
import TestSupport

/// `att-report report new|validate|convert` and `att-report status`, as a user runs them.
@Suite("att-report report and status (black box)")
struct ReportCLITests {
    static let examples = Vectors.packageRoot.appendingPathComponent("keys-example/reports")
    static let directory = Vectors.packageRoot.appendingPathComponent("keys-example/directory").path
    static func example(_ name: String) -> String { examples.appendingPathComponent(name).path }

    @Test("report new writes a template in both formats, never overwrites, leaves no temporary file")
    func newTemplate() async throws {
        let dir = try TempDirectory("report-new")
        let r = try await attOK(["report", "new", "annual", "--year", "2025", "--party", "FRA", "-o", dir.path("a.csv")])
        #expect(r.stdout.isEmpty && r.stderrText.contains("a.csv"))
        let csv = try dir.readText("a.csv")
        #expect(csv.contains("\nparty,FRA\nyear,2025\n") && csv.hasSuffix("table,category,subtype,state,items,value,basis,origin,description,comments\n"))
        try await attOK(["report", "new", "annual", "--year", "2025", "--party", "FRA", "--format", "json", "-o", dir.path("a.json")])
        let json = try JSONSerialization.jsonObject(with: Data(try dir.read("a.json"))) as? [String: Any]
        #expect(json?["party"] as? String == "FRA" && json?["year"] as? Int == 2025 && (json?["exports"] as? [Any])?.isEmpty == true)
        try await attOK(["report", "new", "initial", "--year", "2026", "--party", "MEX", "-o", dir.path("i.csv")])
        #expect(try dir.readText("i.csv").contains("\nmeasures,5(2),no,,,\n"))
        // The initial template is valid as it stands (every provision answered "no").
        try await attOK(["report", "validate", dir.path("i.csv")])
        // Never overwritten.
        let again = try await att(["report", "new", "annual", "--year", "2024", "--party", "FRA", "-o", dir.path("a.csv")])
        expectCLIError(again, status: 1)
        #expect(again.stderrText.contains("already exists"))
        #expect(try dir.readText("a.csv") == csv)
        #expect(try dir.listing() == ["a.csv", "a.json", "i.csv"])
        // To standard output without -o; the default year is the year before --today.
        let out = try await attOK(["report", "new", "annual", "--party", "NGA", "--today", "2026-03-01"])
        #expect(out.stdoutText.contains("\nyear,2025\n"))
    }

    @Test("report new refuses what is not a State, a bad year, a bad type")
    func newRefusals() async throws {
        for args in [["annual", "--party", "SEC", "--year", "2025"], ["annual", "--party", "FRA", "--year", "25"],
                     ["quarterly", "--party", "FRA"], ["annual", "--party", "FRA", "--format", "xlsx"]] {
            expectCLIError(try await att(["report", "new"] + args), status: 64)
        }
    }

    @Test("the example reports validate", arguments: ["annual-ARG-2025.csv", "annual-FRA-2025.json", "annual-NGA-2025.csv"])
    func validExamples(name: String) async throws {
        let r = try await attOK(["report", "validate", "--today", "2026-12-04", "--directory", Self.directory, Self.example(name)])
        #expect(r.stdoutLines.count == 1 && r.stdoutText.contains("valid annual report of"))
        let j = try await attOK(["report", "validate", "--json", Self.example(name)])
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout)) as? [String: Any]
        #expect(obj?["valid"] as? Bool == true && (obj?["issues"] as? [Any])?.isEmpty == true)
    }

    @Test("report validate prints every bad cell, one per line, and exits 1")
    func invalid() async throws {
        let dir = try TempDirectory("report-validate")
        var text = String(decoding: try Data(contentsOf: Self.examples.appendingPathComponent("annual-FRA-2025.csv")), as: UTF8.self)
        text = text.replacingOccurrences(of: "exports,II,,NGA", with: "exports,IX,,NGA").replacingOccurrences(of: ",350,", with: ",-350,")
            .replacingOccurrences(of: ",BEL,60", with: ",FRA,60")
        let file = try dir.write("bad.csv", text)
        let r = try await att(["report", "validate", file])
        expectCLIError(r, status: 1, stdoutMayHaveOutput: true)
        #expect(r.stderrText.contains("3 problem(s)"))
        #expect(r.stdoutLines == [
            "\(file): exports row 1, column category (line 14): \"IX\" is not a category (I, II, III, IV, V, VI, VII or VIII)",
            "\(file): exports row 3, column items (line 16): \"-350\" is negative",
            "\(file): exports row 4, column origin (line 17): the State of origin FRA is the exporter; leave origin empty",
        ])
        let j = try await att(["report", "validate", "--json", file])
        #expect(j.status == 1)
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout)) as? [String: Any]
        let issues = obj?["issues"] as? [[String: Any]] ?? []
        #expect(obj?["valid"] as? Bool == false && issues.count == 3)
        #expect(issues.first?["table"] as? String == "exports" && issues.first?["row"] as? Int == 1
                && issues.first?["column"] as? String == "category" && issues.first?["line"] as? Int == 14
                && issues.first?["problem"] as? String == "badCategory")
        // Context: the year is not over, the party is not the one expected.
        let fra = Self.example("annual-FRA-2025.csv")
        let notOver = try await att(["report", "validate", "--today", "2025-12-31", fra])
        expectCLIError(notOver, status: 1, stdoutMayHaveOutput: true)
        #expect(notOver.stdoutText.contains("the year 2025 is not over (today is 2025-12-31)"))
        let wrongParty = try await att(["report", "validate", "--party", "NGA", fra])
        #expect(wrongParty.status == 1 && wrongParty.stdoutText.contains("the report is by FRA, expected NGA"))
    }

    @Test("report validate: too large, not UTF-8, a BOM, a missing file")
    func fileFaults() async throws {
        let dir = try TempDirectory("report-files")
        let big = try dir.write("big.csv", [UInt8](repeating: 0x23, count: 4 * 1024 * 1024 + 1))
        let r = try await att(["report", "validate", big])
        expectCLIError(r, status: 1, stdoutMayHaveOutput: true)
        #expect(r.stdoutText.contains("larger than 4194304 bytes"))
        let latin1 = try dir.write("latin1.csv", Array("format,att-report/report/v1\ntype,annual\nnational_definitions,caf".utf8) + [0xE9, 0x0A])
        let l = try await att(["report", "validate", latin1])
        #expect(l.status == 1 && l.stdoutText.contains("(line 3): the file is not UTF-8"))
        let bom = try dir.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array("format,att-report/report/v1\n".utf8))
        let b = try await att(["report", "validate", bom])
        #expect(b.status == 1 && b.stdoutText.contains("byte-order mark"))
        expectCLIError(try await att(["report", "validate", dir.path("missing.csv")]), status: 1)
        expectCLIError(try await att(["report", "validate"]), status: 64)
    }

    @Test("report convert: CSV to the committed JSON, and the canonical form is one line", arguments: ["ARG", "FRA", "NGA"])
    func convert(party: String) async throws {
        let dir = try TempDirectory("report-convert")
        try await attOK(["report", "convert", Self.example("annual-\(party)-2025.csv"), "--format", "json", "-o", dir.path("r.json")])
        #expect(try dir.read("r.json") == [UInt8](try Data(contentsOf: Self.examples.appendingPathComponent("annual-\(party)-2025.json"))))
        let canonical = try await attOK(["report", "convert", dir.path("r.json"), "--format", "json", "--canonical"])
        #expect(canonical.stdoutLines.count == 1 && canonical.stdoutText.hasPrefix("{\"currency\":"))
        try await attOK(["report", "convert", dir.path("r.json"), "--format", "csv", "-o", dir.path("back.csv")])
        try await attOK(["report", "validate", dir.path("back.csv")])
        expectCLIError(try await att(["report", "convert", dir.path("r.json"), "--format", "csv", "-o", dir.path("back.csv")]), status: 1)
    }

    @Test("status: what is due, from the directory's entry into force, at edge dates")
    func status() async throws {
        let onTime = try await attOK(["status", "--party", "FRA", "--directory", Self.directory, "--today", "2016-05-31"])
        #expect(onTime.stdoutLines == [
            "FRA  France  role=state-party  in-force=2014-12-24  today=2016-05-31",
            "  initial  due 2015-12-23  overdue  (OVERDUE by 160 day(s))",
            "  annual:2015  due 2016-05-31  due  (due today)",
            "  annual:2016  due 2017-05-31  upcoming  (not yet owed)",
        ])
        let late = try await attOK(["status", "--party", "FRA", "--directory", Self.directory, "--today", "2016-06-01",
                                    "--submitted", "initial", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(late.stdout)) as? [String: Any]
        let obligations = obj?["obligations"] as? [[String: Any]] ?? []
        #expect(obj?["entry_into_force"] as? String == "2014-12-24" && obj?["today"] as? String == "2016-06-01")
        #expect(obligations.map { $0["report"] as? String } == ["initial", "annual:2015", "annual:2016"])
        #expect(obligations.map { $0["state"] as? String } == ["submitted", "overdue", "upcoming"])
        #expect(obligations[1]["days_left"] as? Int == -1 && obligations[1]["due"] as? String == "2016-05-31")
        // A signatory has no entry into force: nothing is due.
        let sgp = try await attOK(["status", "--party", "SGP", "--directory", Self.directory, "--today", "2026-12-04"])
        #expect(sgp.stdoutText.contains("no reports are due") && sgp.stdoutLines.count == 2)
        expectCLIError(try await att(["status", "--party", "DEU", "--directory", Self.directory]), status: 1)
        expectCLIError(try await att(["status", "--party", "FRA", "--directory", Self.directory, "--today", "2016-02-30"]), status: 64)
        expectCLIError(try await att(["status", "--party", "FRA", "--directory", Self.directory, "--submitted", "annual:15"]), status: 64)
    }
}
