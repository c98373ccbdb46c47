import Foundation
import Testing
import TestSupport
import Vault

/// The example reports, mutated one fault at a time: each fault is found, once, at its
/// cell (table, row, column, line), with its reason.
@Suite("report validation")
struct ReportValidationTests {
    /// One fault: replace `from` (which occurs exactly once) by `to`, expect exactly `issues`.
    struct Fault: Sendable, CustomStringConvertible {
        let name: String, from: String, to: String
        let table: String?, row: Int?, column: String?, line: Int?
        let problem: ReportProblem
        var description: String { name }
    }

    static let fra = "annual-FRA-2025.csv"

    // Lines of annual-FRA-2025.csv: 4 party, 5 year, 7 currency, 9 withheld, 10 withheld_note,
    // 11 nil_exports, 13 column header, 14-17 exports rows 1-4, 18-19 imports rows 1-2.
    static let csvFaults: [Fault] = [
        Fault(name: "bad category", from: "exports,II,,NGA", to: "exports,IX,,NGA", table: "exports", row: 1, column: "category", line: 14, problem: .badCategory("IX")),
        Fault(name: "lower-case category", from: "exports,II,,NGA", to: "exports,ii,,NGA", table: "exports", row: 1, column: "category", line: 14, problem: .badCategory("ii")),
        Fault(name: "bad sub-type", from: "rifles-carbines", to: "rifles", table: "exports", row: 3, column: "subtype", line: 16, problem: .badSubtype("rifles")),
        Fault(name: "sub-type of another category", from: "VIII,rifles-carbines", to: "VIII,manned-aircraft", table: "exports", row: 3, column: "subtype", line: 16,
              problem: .subtypeNotOfCategory(subtype: "manned-aircraft", category: "VIII")),
        Fault(name: "sub-type on category II", from: "exports,II,,NGA", to: "exports,II,manpads,NGA", table: "exports", row: 1, column: "subtype", line: 14,
              problem: .subtypeNotOfCategory(subtype: "manpads", category: "II")),
        Fault(name: "VIII without sub-type", from: "VIII,rifles-carbines", to: "VIII,", table: "exports", row: 3, column: "subtype", line: 16, problem: .subtypeRequired(category: "VIII")),
        Fault(name: "unknown State code", from: ",JPN,", to: ",XYZ,", table: "exports", row: 3, column: "state", line: 16, problem: .unknownState("XYZ")),
        Fault(name: "Secretariat is no State", from: ",JPN,", to: ",SEC,", table: "exports", row: 3, column: "state", line: 16, problem: .unknownState("SEC")),
        Fault(name: "lower-case State code", from: ",JPN,", to: ",jpn,", table: "exports", row: 3, column: "state", line: 16, problem: .unknownState("jpn")),
        Fault(name: "negative number", from: ",350,", to: ",-350,", table: "exports", row: 3, column: "items", line: 16, problem: .negativeNumber("-350")),
        Fault(name: "non-integer number", from: ",350,", to: ",350.5,", table: "exports", row: 3, column: "items", line: 16, problem: .nonIntegerNumber("350.5")),
        Fault(name: "exponent", from: ",350,", to: ",3e2,", table: "exports", row: 3, column: "items", line: 16, problem: .nonIntegerNumber("3e2")),
        Fault(name: "leading zero", from: ",350,", to: ",0350,", table: "exports", row: 3, column: "items", line: 16, problem: .leadingZero("0350")),
        Fault(name: "thousands separator", from: ",350,", to: ",\"1,350\",", table: "exports", row: 3, column: "items", line: 16, problem: .notANumber("1,350")),
        Fault(name: "words for a number", from: ",350,", to: ",many,", table: "exports", row: 3, column: "items", line: 16, problem: .notANumber("many")),
        Fault(name: "zero items", from: "NGA,12,", to: "NGA,0,", table: "exports", row: 1, column: "items", line: 14,
              problem: .numberOutOfRange("0", min: 1, max: 999_999_999_999_999)),
        Fault(name: "negative value", from: ",1200000,", to: ",-1200000,", table: "exports", row: 4, column: "value", line: 17, problem: .negativeNumber("-1200000")),
        Fault(name: "huge value", from: ",1200000,", to: ",1200000000000000000000,", table: "exports", row: 4, column: "value", line: 17,
              problem: .numberOutOfRange("1200000000000000000000", min: 1, max: 999_999_999_999_999)),
        Fault(name: "neither number nor value", from: "NGA,12,,actual", to: "NGA,,,actual", table: "exports", row: 1, column: "items", line: 14, problem: .neitherItemsNorValue),
        Fault(name: "bad authorised/actual", from: "JPN,350,,authorised", to: "JPN,350,,authorized", table: "exports", row: 3, column: "basis", line: 16,
              problem: .notOneOf(value: "authorized", allowed: ["authorised", "actual"])),
        Fault(name: "missing authorised/actual", from: "JPN,350,,authorised", to: "JPN,350,,", table: "exports", row: 3, column: "basis", line: 16, problem: .required),
        Fault(name: "origin equal to exporter (exports)", from: ",BEL,60", to: ",FRA,60", table: "exports", row: 4, column: "origin", line: 17, problem: .originIsExporter("FRA")),
        Fault(name: "origin equal to exporter (imports)", from: "USA,4,,actual,,", to: "USA,4,,actual,USA,", table: "imports", row: 1, column: "origin", line: 18,
              problem: .originIsExporter("USA")),
        Fault(name: "unknown origin", from: ",BEL,60", to: ",BELG,60", table: "exports", row: 4, column: "origin", line: 17, problem: .unknownState("BELG")),
        Fault(name: "exports to itself", from: "II,,NGA,12", to: "II,,FRA,12", table: "exports", row: 1, column: "state", line: 14, problem: .stateIsReporter("FRA")),
        Fault(name: "nil report with rows", from: "nil_exports,no", to: "nil_exports,yes", table: "report", row: nil, column: "nil_exports", line: 11,
              problem: .nilTableWithRows(table: "exports", rows: 4)),
        Fault(name: "bad flag", from: "nil_imports,no", to: "nil_imports,No", table: "report", row: nil, column: "nil_imports", line: 12, problem: .badFlag("No")),
        Fault(name: "wrong year (before the Treaty)", from: "year,2025", to: "year,2013", table: "report", row: nil, column: "year", line: 5,
              problem: .numberOutOfRange("2013", min: 2014, max: 9999)),
        Fault(name: "year not a number", from: "year,2025", to: "year,FY2025", table: "report", row: nil, column: "year", line: 5, problem: .notANumber("FY2025")),
        Fault(name: "bad party", from: "party,FRA", to: "party,SEC", table: "report", row: nil, column: "party", line: 4, problem: .unknownState("SEC")),
        Fault(name: "missing party", from: "party,FRA\n", to: "", table: "report", row: nil, column: "party", line: nil, problem: .missingField),
        Fault(name: "unknown field", from: "year,2025\n", to: "year,2025\nquarter,2\n", table: "report", row: nil, column: "quarter", line: 6, problem: .unknownField("quarter")),
        Fault(name: "duplicate field", from: "year,2025\n", to: "year,2025\nyear,2024\n", table: "report", row: nil, column: "year", line: 6, problem: .duplicateField("year")),
        Fault(name: "bad type", from: "type,annual", to: "type,quarterly", table: "report", row: nil, column: "type", line: 3,
              problem: .notOneOf(value: "quarterly", allowed: ["annual", "initial"])),
        Fault(name: "bad format", from: "format,att-report/report/v1", to: "format,att-report/report/v2", table: "report", row: nil, column: "format", line: 2,
              problem: .notOneOf(value: "att-report/report/v2", allowed: ["att-report/report/v1"])),
        Fault(name: "bad currency", from: "currency,EUR", to: "currency,euro", table: "report", row: nil, column: "currency", line: 7, problem: .badCurrency("euro")),
        Fault(name: "values without currency", from: "currency,EUR\n", to: "", table: "report", row: nil, column: "currency", line: nil, problem: .currencyRequired),
        Fault(name: "withheld note without withheld", from: "withheld,yes", to: "withheld,no", table: "report", row: nil, column: "withheld_note", line: 10,
              problem: .withheldNoteWithoutWithheld),
        Fault(name: "unknown table", from: "exports,II,,NGA", to: "export,II,,NGA", table: "export", row: 1, column: "table", line: 14, problem: .unknownTable("export")),
        Fault(name: "unknown column", from: ",description,comments", to: ",description,comments,colour", table: nil, row: nil, column: "colour", line: 13,
              problem: .unknownColumn("colour")),
        Fault(name: "duplicate column", from: ",basis,origin,", to: ",basis,basis,origin,", table: nil, row: nil, column: "basis", line: 13, problem: .duplicateColumn("basis")),
        Fault(name: "missing column", from: ",basis,origin,", to: ",origin,", table: nil, row: nil, column: "basis", line: 13, problem: .missingColumn),
        Fault(name: "cells past the last column", from: "self-loading rifles,", to: "self-loading rifles,,surplus", table: "exports", row: 3, column: nil, line: 16,
              problem: .csvExtraCells),
        Fault(name: "control character", from: "self-loading rifles", to: "self-loading\trifles", table: "exports", row: 3, column: "description", line: 16,
              problem: .controlCharacter(line: false)),
        Fault(name: "line break in a one-line cell", from: "self-loading rifles", to: "\"self-loading\nrifles\"", table: "exports", row: 3, column: "description", line: 16,
              problem: .controlCharacter(line: false)),
        Fault(name: "text too long", from: "self-loading rifles", to: String(repeating: "é", count: 501), table: "exports", row: 3, column: "description", line: 16,
              problem: .textTooLong(bytes: 1002, max: 1000)),
        Fault(name: "unterminated quote", from: "\",police", to: "\",\"police", table: nil, row: nil, column: nil, line: 19,
              problem: .csvUnterminatedQuote),
        Fault(name: "quote in an unquoted cell", from: "self-loading rifles", to: "self-loading \"rifles\"", table: nil, row: nil, column: nil, line: 16,
              problem: .csvQuoteInUnquotedCell),
        Fault(name: "text after a closing quote", from: "\"delivery planned 2026\"", to: "\"delivery\" planned 2026", table: nil, row: nil, column: nil, line: 15,
              problem: .csvTextAfterClosingQuote),
        Fault(name: "bare carriage return", from: "self-loading rifles,\n", to: "self-loading rifles,\r", table: nil, row: nil, column: nil, line: 16,
              problem: .csvBareCarriageReturn),
        Fault(name: "rows before the column header", from: "table,category,", to: "tablex,category,", table: nil, row: nil, column: nil, line: 14,
              problem: .csvNoColumnHeader),
    ]

    func mutate(_ text: String, _ from: String, _ to: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        try #require(text.components(separatedBy: from).count == 2, "\"\(from)\" must occur exactly once", sourceLocation: sourceLocation)
        return Array(text.replacingOccurrences(of: from, with: to).utf8)
    }

    @Test("the example reports are valid", arguments: ["annual-ARG-2025.csv", "annual-FRA-2025.csv", "annual-NGA-2025.csv",
                                                       "annual-ARG-2025.json", "annual-FRA-2025.json", "annual-NGA-2025.json"])
    func examplesValid(name: String) throws {
        let today = try CivilDate(parsing: "2026-06-01")
        let r = ReportValidation.read(try ExampleReports.bytes(name), context: ReportValidationContext(today: today, entryIntoForce: ReportingCalendar.treatyEntryIntoForce, expectedYear: 2025))
        #expect(r.issues.isEmpty, "\(r.issues)")
        #expect(r.format == (name.hasSuffix(".json") ? .json : .csv))
    }

    @Test("each CSV fault is found at its cell", arguments: csvFaults)
    func csvFault(_ f: Fault) throws {
        let bytes = try mutate(try ExampleReports.text(Self.fra), f.from, f.to)
        let issues = ReportValidation.read(bytes).issues
        try #require(issues.count >= 1, "not found: \(f.name)")
        let first = issues[0]
        #expect(first.problem == f.problem, "\(f.name): \(issues)")
        #expect(first.table == f.table && first.row == f.row && first.column == f.column && first.line == f.line, "\(f.name): \(first)")
        // Nothing else is reported, except a missing column that a duplicate or renamed one left.
        let rest = issues.dropFirst().filter { $0.problem != .missingColumn }
        #expect(rest.isEmpty, "\(f.name): also \(Array(rest))")
        #expect(ReportValidation.read(bytes).report == nil)
    }

    @Test("every bad cell is reported, in file order, not just the first")
    func everyBadCell() throws {
        var text = try ExampleReports.text(Self.fra)
        for (from, to) in [("exports,II,,NGA", "exports,IX,,NGA"), ("JPN,350", "XYZ,350"), (",350,", ",-350,"), ("USA,4,,actual", "USA,4,,planned"), ("year,2025", "year,1999")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        let issues = ReportValidation.read(Array(text.utf8)).issues
        #expect(issues.map(\.line) == [5, 14, 16, 16, 18])
        #expect(issues.map(\.column) == ["year", "category", "state", "items", "basis"])
        #expect(issues.map { $0.problem.code } == ["numberOutOfRange", "badCategory", "unknownState", "negativeNumber", "notOneOf"])
        #expect(issues[3].description == "exports row 3, column items (line 16): \"-350\" is negative")
        #expect(issues[0].description == "report, field year (line 5): 1999 is out of range (2014 to 9999)")
    }

    @Test("a nil table with no rows is fine; an empty table that is not nil is not")
    func nilTables() throws {
        let nga = try ExampleReports.text("annual-NGA-2025.csv")
        #expect(ReportValidation.read(Array(nga.utf8)).issues.isEmpty)
        let issues = ReportValidation.read(try mutate(nga, "nil_exports,yes", "nil_exports,no")).issues
        #expect(issues.map(\.problem) == [.emptyTableNotNil(table: "exports")] && issues[0].line == 11)
    }

    @Test("a report with both tables nil needs no column header; the parsed report gives its canonical JSON")
    func bothNil() throws {
        let text = "format,att-report/report/v1\ntype,annual\nparty,MEX\nyear,2025\nwithheld,no\nnil_exports,yes\nnil_imports,yes\n"
        let r = ReportValidation.read(Array(text.utf8))
        let report = try #require(r.report, "\(r.issues)")
        #expect(report.party.rawValue == "MEX" && report.reportType == .annual)
        guard case let .annual(a) = report else { Issue.record("not annual"); return }
        #expect(a.exports == TradeTable(isNil: true) && a.imports == TradeTable(isNil: true) && a.currency == nil && a.version == 1)
        #expect(report.canonicalJSON == ReportJSON.canonical(a))
        #expect(String(decoding: report.canonicalJSON, as: UTF8.self).contains(#""currency":null,"exports":[],"#))
    }

    @Test("the year: not over yet, before entry into force, or not the one expected")
    func years() throws {
        let fra = try ExampleReports.bytes(Self.fra)
        func problems(_ c: ReportValidationContext) -> [ReportProblem] { ReportValidation.read(fra, context: c).issues.map(\.problem) }
        #expect(problems(ReportValidationContext(today: try CivilDate(parsing: "2026-01-01"))) == [])
        #expect(problems(ReportValidationContext(today: try CivilDate(parsing: "2025-12-31"))) == [.yearNotOver(year: 2025, today: "2025-12-31")])
        #expect(problems(ReportValidationContext(entryIntoForce: try CivilDate(parsing: "2025-12-31"))) == [])
        #expect(problems(ReportValidationContext(entryIntoForce: try CivilDate(parsing: "2026-01-01")))
                == [.yearBeforeEntryIntoForce(year: 2025, entryIntoForce: "2026-01-01")])
        #expect(problems(ReportValidationContext(expectedYear: 2024)) == [.yearMismatch(expected: 2024, found: 2025)])
        #expect(problems(ReportValidationContext(expectedParty: try PartyCode("NGA"))) == [.partyMismatch(expected: "NGA", found: "FRA")])
    }

    @Test("the file: too large, BOM, not UTF-8, empty")
    func fileFaults() throws {
        let fra = try ExampleReports.bytes(Self.fra)
        var big = fra
        big += Array(repeating: 0x0A, count: ReportLimits.maxFileSize + 1 - fra.count)
        #expect(ReportValidation.read(big).issues.map(\.problem) == [.tooLarge(limit: ReportLimits.maxFileSize)])
        #expect(ReportValidation.read(Array(big.dropLast())).issues.isEmpty, "exactly the limit is fine")
        #expect(ReportValidation.read([0xEF, 0xBB, 0xBF] + fra).issues.map(\.problem) == [.byteOrderMark])
        let text = try ExampleReports.text(Self.fra)
        let at = text.utf8.count - text.split(separator: "\n").last!.utf8.count - 1 + 5
        var latin1 = fra
        latin1.insert(0xE9, at: at)
        let issues = ReportValidation.read(latin1).issues
        #expect(issues.map(\.problem) == [.notUTF8(offset: at)] && issues[0].line == 19)
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            #expect(ReportValidation.read(fra + bad).issues.first?.problem == .notUTF8(offset: fra.count), "\(bad)")
        }
        #expect(ReportValidation.read([]).issues.map(\.problem) == [.empty])
        #expect(ReportValidation.read(Array(",,,\n\n".utf8)).issues.map(\.problem) == [.empty])
    }

    @Test("what spreadsheets do is accepted: CRLF, padded records, blank records, quoted cells, multi-line cells")
    func spreadsheetTolerance() throws {
        let text = try ExampleReports.text(Self.fra)
        let expected = try ReportValidation.annual(Array(text.utf8))
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try ReportValidation.annual(Array(crlf.utf8)) == expected)
        let padded = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("#") || line.isEmpty || line.contains("\"") ? String(line) : line + String(repeating: ",", count: 9 - line.filter { $0 == "," }.count)
        }.joined(separator: "\n").replacingOccurrences(of: "nil_imports,no,", with: "nil_imports,no,\n,,,,,,,,,")
        #expect(try ReportValidation.annual(Array(padded.utf8)) == expected)
        let quoted = text.replacingOccurrences(of: "exports,II,,NGA,12", with: "\"exports\",\"II\",\"\",\"NGA\",\"12\"")
        #expect(try ReportValidation.annual(Array(quoted.utf8)) == expected)
        let noFinalNewline = String(text.dropLast())
        #expect(try ReportValidation.annual(Array(noFinalNewline.utf8)) == expected)
        // Columns in another order (table first); rows with quoted cells left out.
        let reordered = text.split(separator: "\n").compactMap { line -> String? in
            guard !line.hasPrefix("#"), line.filter({ $0 == "," }).count >= 9 else { return String(line) }
            if line.contains("\"") { return nil }
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells.swapAt(1, 9)
            return cells.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        #expect(reordered.contains("table,comments,subtype,"))
        let r = try ReportValidation.annual(Array(reordered.utf8))
        #expect(r.exports?.rows == [expected.exports!.rows[2]] && r.imports?.rows == [expected.imports!.rows[0]])
        // A multi-line cell: CRLF inside becomes LF; national definitions may hold line breaks.
        let arg = try ReportValidation.annual(Array(try ExampleReports.text("annual-ARG-2025.csv").replacingOccurrences(of: "\n", with: "\r\n").utf8))
        #expect(arg.nationalDefinitions == "EXAMPLE DATA ONLY.\nCategory VIII follows the national control list, annex 1.")
        #expect(arg.imports?.rows.last?.comments == "Año 2025: entregas parciales")
    }

    // MARK: JSON

    static let jsonFaults: [Fault] = [
        Fault(name: "number as a string", from: "\"items\": 12,", to: "\"items\": \"12\",", table: "exports", row: 1, column: "items", line: nil,
              problem: .wrongType(expected: "a number", found: "a string")),
        Fault(name: "negative number", from: "\"items\": 12,", to: "\"items\": -12,", table: "exports", row: 1, column: "items", line: nil, problem: .negativeNumber("-12")),
        Fault(name: "fraction", from: "\"items\": 12,", to: "\"items\": 12.5,", table: "exports", row: 1, column: "items", line: nil, problem: .nonIntegerNumber("12.5")),
        Fault(name: "12.0 is not written as a whole number", from: "\"items\": 12,", to: "\"items\": 12.0,", table: "exports", row: 1, column: "items", line: nil,
              problem: .nonIntegerNumber("12.0")),
        Fault(name: "flag as a string", from: "\"nil_exports\": false", to: "\"nil_exports\": \"no\"", table: "report", row: nil, column: "nil_exports", line: nil,
              problem: .wrongType(expected: "true or false", found: "a string")),
        Fault(name: "object for a cell", from: "\"state\": \"NGA\"", to: "\"state\": {\"code\": \"NGA\"}", table: "exports", row: 1, column: "state", line: nil,
              problem: .wrongType(expected: "a string", found: "an object")),
        Fault(name: "unknown key in a row", from: "\"state\": \"NGA\"", to: "\"state\": \"NGA\", \"colour\": \"grey\"", table: "exports", row: 1, column: "colour", line: nil,
              problem: .unknownColumn("colour")),
        Fault(name: "table key in a row", from: "\"state\": \"NGA\"", to: "\"state\": \"NGA\", \"table\": \"exports\"", table: "exports", row: 1, column: "table", line: nil,
              problem: .unknownColumn("table")),
        Fault(name: "unknown top key", from: "\"year\": 2025", to: "\"year\": 2025, \"quarter\": 1", table: "report", row: nil, column: "quarter", line: nil,
              problem: .unknownField("quarter")),
        Fault(name: "year as a string", from: "\"year\": 2025", to: "\"year\": \"2025\"", table: "report", row: nil, column: "year", line: nil,
              problem: .wrongType(expected: "a number", found: "a string")),
        Fault(name: "missing table", from: "\"imports\": [", to: "\"imported\": [", table: "report", row: nil, column: "imported", line: nil,
              problem: .unknownField("imported")),
        Fault(name: "table not an array", from: "\"imports\": [", to: "\"imports\": 3, \"x\": [", table: "report", row: nil, column: "imports", line: nil,
              problem: .wrongType(expected: "an array of rows", found: "a number")),
        Fault(name: "duplicate key", from: "\"year\": 2025", to: "\"year\": 2025, \"year\": 2025", table: nil, row: nil, column: nil, line: nil,
              problem: .jsonDuplicateKey("year")),
        Fault(name: "trailing comma", from: "\"year\": 2025", to: "\"year\": 2025,", table: nil, row: nil, column: nil, line: nil,
              problem: .jsonSyntax("expected a key in double quotes")),
        Fault(name: "lone surrogate", from: "\"self-loading rifles\"", to: "\"self-loading \\ud800 rifles\"", table: nil, row: nil, column: nil, line: nil,
              problem: .jsonSyntax("lone surrogate in \\u escape")),
        Fault(name: "raw control character", from: "\"self-loading rifles\"", to: "\"self-loading\trifles\"", table: nil, row: nil, column: nil, line: nil,
              problem: .jsonSyntax("control character in a string (escape it)")),
        Fault(name: "escaped tab", from: "\"self-loading rifles\"", to: "\"self-loading\\trifles\"", table: "exports", row: 3, column: "description", line: nil,
              problem: .controlCharacter(line: false)),
        Fault(name: "leading zero", from: "\"items\": 12,", to: "\"items\": 012,", table: nil, row: nil, column: nil, line: nil,
              problem: .jsonSyntax("number with a leading zero")),
    ]

    @Test("each JSON fault is found at its cell", arguments: jsonFaults)
    func jsonFault(_ f: Fault) throws {
        let text = try ExampleReports.text("annual-FRA-2025.json")
        let issues = ReportValidation.read(try mutate(text, f.from, f.to)).issues
        try #require(!issues.isEmpty, "not found: \(f.name)")
        #expect(issues[0].problem == f.problem, "\(f.name): \(issues)")
        #expect(issues[0].table == f.table && issues[0].row == f.row && issues[0].column == f.column, "\(f.name): \(issues[0])")
        let rest = issues.dropFirst().filter { !($0.problem == .missingField && $0.column == "imports") && $0.problem != .unknownField("x") }
        #expect(rest.isEmpty, "\(f.name): also \(Array(rest))")
    }

    @Test("JSON: lines are reported, null and \"\" are absent, deep nesting and non-objects refused")
    func jsonMore() throws {
        let text = try ExampleReports.text("annual-FRA-2025.json")
        let issues = ReportValidation.read(try mutate(text, "\"items\": 350,", "\"items\": -350,")).issues
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("\"items\": 350,") }! + 1
        #expect(issues.count == 1 && issues[0].line == line && issues[0].row == 3)
        let expected = try ReportValidation.annual(Array(text.utf8))
        let omitted = text.replacingOccurrences(of: "\"comments\": null,\n", with: "").replacingOccurrences(of: "\"origin\": null,", with: "\"origin\": \"\",")
        #expect(try ReportValidation.annual(Array(omitted.utf8)) == expected)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(ReportValidation.read(Array(("{\"type\":\"annual\",\"x\":" + deep + "}").utf8)).issues.map(\.problem) == [.jsonTooDeep])
        #expect(ReportValidation.read(Array("[1]".utf8), format: .json).issues.map(\.problem) == [.jsonSyntax("the report must be one JSON object")])
        #expect(ReportValidation.read(Array("{} {}".utf8)).issues.map(\.problem) == [.jsonSyntax("text after the end of the value")])
        #expect(ReportValidation.read(Array("{\"format\":\"att-report/report/v1\"}".utf8)).issues.map(\.problem) == [.missingField])
        let escaped = text.replacingOccurrences(of: "\"self-loading rifles\"", with: "\"self-loading \\u0072ifles \\ud83d\\ude00\"")
        #expect(try ReportValidation.annual(Array(escaped.utf8)).exports?.rows[2].description == "self-loading rifles 😀")
    }

    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("damaged files never crash the reader; whatever it accepts writes and reads back the same",
          arguments: ["annual-FRA-2025.csv", "annual-FRA-2025.json", "annual-ARG-2025.csv", "annual-NGA-2025.json"])
    func damaged(name: String) throws {
        let original = try ExampleReports.bytes(name)
        var g = SplitMix(state: 0x5EED)
        let interesting: [UInt8] = [0x22, 0x2C, 0x0A, 0x0D, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x5C, 0x2D, 0x30, 0x80, 0xFF, 0x00, 0x20]
        var accepted = 0
        for _ in 0..<500 {
            var b = original
            for _ in 0..<Int.random(in: 1...3, using: &g) {
                let i = Int.random(in: 0..<b.count, using: &g)
                switch Int.random(in: 0..<4, using: &g) {
                case 0: b[i] = interesting.randomElement(using: &g)!
                case 1: b.remove(at: i)
                case 2: b.insert(interesting.randomElement(using: &g)!, at: i)
                default: b = Array(b[..<i])
                }
                if b.isEmpty { break }
            }
            let r = ReportValidation.read(b)
            #expect((r.report == nil) != r.issues.isEmpty)
            for issue in r.issues { #expect(!issue.description.isEmpty) }
            if case let .annual(a)? = r.report {
                accepted += 1
                #expect(try ReportValidation.annual(ReportJSON.canonical(a)) == a)
                #expect(try ReportValidation.annual(ReportCSV.write(a)) == a)
            }
        }
        #expect(accepted < 500, "most damage is noticed")
    }
}
