import Foundation
import Testing
import TestSupport
import Vault

/// Loads the example reports of keys-example/reports.
enum ExampleReports {
    static let parties = ["ARG", "FRA", "NGA"]
    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("keys-example/reports/\(name)")))
    }
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }
}

@Suite("report schema, formats and parts")
struct ReportSchemaTests {
    @Test("categories I-VIII; VIII needs a sub-type, I-III have none; every sub-type has one category")
    func categories() {
        #expect(ArmsCategory.allCases.map(\.rawValue) == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"])
        #expect(ArmsCategory.allCases.filter(\.requiresSubtype) == [.VIII])
        for c in [ArmsCategory.I, .II, .III] { #expect(c.subtypes.isEmpty) }
        #expect(ArmsCategory.VIII.subtypes.count == 13)
        #expect(ArmsCategory.VII.subtypes == [.missilesAndLaunchers, .manpads])
        #expect(Set(ArmsSubtype.allCases.map(\.rawValue)).count == ArmsSubtype.allCases.count)
        #expect(ArmsCategory.allCases.flatMap(\.subtypes).count == ArmsSubtype.allCases.count)
    }

    @Test("State codes are ISO 3166-1 alpha-3: the example world's States, not SEC or XAU")
    func stateCodes() {
        #expect(ReportSchema.stateCodes.count == 249)
        for c in ["FRA", "NGA", "ARG", "JPN", "AUS", "MEX", "SGP", "DEU", "USA"] { #expect(ReportSchema.isStateCode(c), "\(c)") }
        for c in ["SEC", "XAU", "fra", "FR", "FRAN", ""] { #expect(!ReportSchema.isStateCode(c), "\(c)") }
    }

    @Test("each example report: CSV and JSON give the same report, valid", arguments: ExampleReports.parties)
    func examplesEquivalent(party: String) throws {
        let csv = try ReportValidation.annual(try ExampleReports.bytes("annual-\(party)-2025.csv"))
        let json = try ReportValidation.annual(try ExampleReports.bytes("annual-\(party)-2025.json"))
        #expect(csv == json)
        #expect(csv.party.rawValue == party && csv.year == 2025 && csv.part == .all)
        // The committed JSON is the pretty form of the report, byte for byte.
        #expect(ReportJSON.pretty(csv) == (try ExampleReports.bytes("annual-\(party)-2025.json")))
    }

    @Test("writing and reading again gives the same report (CSV, canonical JSON, pretty JSON)", arguments: ExampleReports.parties)
    func roundTrips(party: String) throws {
        let r = try ReportValidation.annual(try ExampleReports.bytes("annual-\(party)-2025.csv"))
        #expect(try ReportValidation.annual(ReportCSV.write(r)) == r)
        #expect(try ReportValidation.annual(ReportCSV.write(r, comments: ["a comment"])) == r)
        #expect(try ReportValidation.annual(ReportJSON.canonical(r)) == r)
        #expect(try ReportValidation.annual(ReportJSON.pretty(r)) == r)
        // Canonical is a fixed point: reading and writing it again gives the same bytes.
        let canonical = ReportJSON.canonical(r)
        #expect(ReportJSON.canonical(try ReportValidation.annual(canonical)) == canonical)
        #expect(ReportJSON.canonical(try ReportValidation.annual(ReportJSON.pretty(r))) == canonical)
    }

    @Test("canonical JSON: sorted keys, no white space outside strings, every key present, one final LF")
    func canonicalForm() throws {
        let r = AnnualReport(party: try PartyCode("FRA"), year: 2025, currency: nil, nationalDefinitions: "x\ny",
                             exports: TradeTable(rows: [TradeRow(category: .VIII, subtype: .assaultRifles, state: try PartyCode("NGA"),
                                                                 items: 10, basis: .actual, description: "a \"b\" \\ c/é")]),
                             imports: TradeTable(isNil: true))
        let text = String(decoding: ReportJSON.canonical(r), as: UTF8.self)
        #expect(text == #"{"currency":null,"exports":[{"basis":"actual","category":"VIII","comments":null,"description":"a \"b\" \\ c/é","items":10,"origin":null,"state":"NGA","subtype":"assault-rifles","value":null}],"format":"att-report/report/v1","imports":[],"national_definitions":"x\ny","nil_exports":false,"nil_imports":true,"part":"all","party":"FRA","type":"annual","version":1,"withheld":false,"withheld_note":null,"year":2025}"# + "\n")
        #expect(try ReportValidation.annual(Array(text.utf8)) == r)
    }

    @Test("split: one part per table, each a valid document with the whole header; joined gives the report back")
    func split() throws {
        let r = try ReportValidation.annual(try ExampleReports.bytes("annual-FRA-2025.csv"))
        let parts = r.split()
        #expect(parts.map(\.part) == [.exports, .imports])
        #expect(parts[0].exports == r.exports && parts[0].imports == nil)
        #expect(parts[1].imports == r.imports && parts[1].exports == nil)
        for p in parts {
            #expect(try ReportValidation.annual(ReportCSV.write(p)) == p)
            #expect(try ReportValidation.annual(ReportJSON.canonical(p)) == p)
            #expect(!String(decoding: ReportJSON.canonical(p), as: UTF8.self).contains(p.part == .exports ? "nil_imports" : "nil_exports"))
        }
        #expect(try AnnualReport.joined(parts) == r)
        #expect(try AnnualReport.joined(parts.reversed()) == r)
        #expect(throws: ReportJoinError.tableMissing(.imports)) { try AnnualReport.joined([parts[0]]) }
        #expect(throws: ReportJoinError.tableTwice(.exports)) { try AnnualReport.joined([parts[0], parts[0]]) }
        var other = parts[1]
        other.version = 2
        #expect(throws: ReportJoinError.headersDiffer) { try AnnualReport.joined([parts[0], other]) }
    }

    @Test("a part holds only its table: rows, keys or flags of the other are refused")
    func partIsStrict() throws {
        let r = try ReportValidation.annual(try ExampleReports.bytes("annual-FRA-2025.csv"))
        let exportsPart = String(decoding: ReportCSV.write(r.split()[0]), as: UTF8.self)
        let withImportRow = exportsPart + "imports,VIII,revolvers-pistols,AUT,1,,actual,,,\n"
        let issues = ReportValidation.read(Array(withImportRow.utf8)).issues
        #expect(issues.map(\.problem) == [.tableNotInPart(part: "exports")])
        #expect(issues.first?.table == "imports" && issues.first?.row == 1)
        let withFlag = exportsPart.replacingOccurrences(of: "nil_exports,no\n", with: "nil_exports,no\nnil_imports,no\n")
        #expect(ReportValidation.read(Array(withFlag.utf8)).issues.map(\.problem) == [.tableNotInPart(part: "exports")])
        let json = String(decoding: ReportJSON.canonical(r.split()[0]), as: UTF8.self)
            .replacingOccurrences(of: #""format""#, with: #""imports":[],"format""#)
        let jsonIssues = ReportValidation.read(Array(json.utf8)).issues
        #expect(jsonIssues.map(\.problem) == [.tableNotInPart(part: "exports")] && jsonIssues.first?.column == "imports")
    }

    @Test("rendered tables: plain strings, the counterpart column named per table, nil tables flagged")
    func rendering() throws {
        let fra = try ReportValidation.annual(try ExampleReports.bytes("annual-FRA-2025.csv"))
        let tables = fra.rendered()
        #expect(tables.map(\.name) == ["exports", "imports"])
        #expect(tables[0].columns[2] == "Importing State" && tables[1].columns[2] == "Exporting State")
        #expect(tables[0].rows.count == 4 && tables[1].rows.count == 2)
        #expect(tables[0].rows[0] == ["II. Armoured combat vehicles", "", "NGA", "12", "", "actual", "", "wheeled armoured personnel carrier, 6x6", ""])
        #expect(tables[0].rows[3][4] == "1200000 EUR" && tables[0].rows[3][6] == "BEL")
        #expect(tables.allSatisfy { $0.rows.allSatisfy { $0.count == $0.count && $0.count == AnnualReport.renderedColumns.count } })
        let nga = try ReportValidation.annual(try ExampleReports.bytes("annual-NGA-2025.csv"))
        #expect(nga.rendered()[0].isNil && nga.rendered()[0].rows.isEmpty && !nga.rendered()[1].isNil)
        #expect(fra.renderedHeader.first { $0.label == "Information withheld (Article 13(3))" }?.value == "yes")
        #expect(fra.split()[1].rendered().map(\.name) == ["imports"])
    }

    @Test("initial report: the template is valid in both formats and round-trips")
    func initialTemplate() throws {
        let t = InitialReport.template(party: try PartyCode("MEX"), year: 2026)
        #expect(t.measures.count == TreatyMeasure.allCases.count)
        #expect(try ReportValidation.initial(ReportCSV.write(t)) == t)
        #expect(try ReportValidation.initial(ReportJSON.canonical(t)) == t)
        #expect(try ReportValidation.initial(ReportJSON.pretty(t)) == t)
        var filled = t
        filled.measures[3] = MeasureRow(provision: .controlSystem, inPlace: .partly, measures: "Law 1 of 2020,\nand decree 2", reference: "Law 1/2020")
        #expect(try ReportValidation.initial(ReportCSV.write(filled)) == filled)
        #expect(filled.rendered().rows[3] == ["Article 5(2)", "National control system", "partly", "Law 1 of 2020,\nand decree 2", "Law 1/2020", ""])
        // An annual reader refuses it, and the other way round.
        #expect(throws: ReportInvalid.self) { try ReportValidation.annual(ReportCSV.write(t)) }
        #expect(throws: ReportInvalid.self) { try ReportValidation.initial(ReportJSON.canonical(AnnualReport.template(party: try PartyCode("MEX"), year: 2025))) }
    }

    @Test("initial report: each provision exactly once")
    func initialProvisions() throws {
        let csv = String(decoding: ReportCSV.write(InitialReport.template(party: try PartyCode("MEX"), year: 2026)), as: UTF8.self)
        let missing = csv.replacingOccurrences(of: "measures,10,no,,,\n", with: "")
        #expect(ReportValidation.read(Array(missing.utf8)).issues.map(\.problem) == [.missingProvision("10")])
        let twice = csv + "measures,10,yes,,,\n"
        let issues = ReportValidation.read(Array(twice.utf8)).issues
        #expect(issues.map(\.problem) == [.duplicateProvision("10")] && issues.first?.row == 19)
        let bad = csv.replacingOccurrences(of: "measures,10,no,", with: "measures,10,maybe,")
        #expect(ReportValidation.read(Array(bad.utf8)).issues.map(\.problem) == [.notOneOf(value: "maybe", allowed: ["yes", "no", "partly"])])
    }
}
