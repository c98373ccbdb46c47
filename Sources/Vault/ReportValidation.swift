/// Reading a structured report (CSV or JSON, docs/FORMATS.md §8) against the schema.
/// Every problem is reported, each naming its place (table, row, column, line) and why;
/// a report value is returned only when there is none.
public enum ReportValidation {
    /// Reads `bytes` as a report; the format is JSON if the first byte that is not
    /// white space is `{`, else CSV.
    public static func read(_ bytes: [UInt8], context: ReportValidationContext = ReportValidationContext()) -> ReportReadResult {
        let format: ReportFormat = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == 0x7B ? .json : .csv
        return read(bytes, format: format, context: context)
    }

    public static func read(_ bytes: [UInt8], format: ReportFormat, context: ReportValidationContext = ReportValidationContext()) -> ReportReadResult {
        if bytes.count > ReportLimits.maxFileSize {
            return ReportReadResult(format: format, report: nil, issues: [ReportIssue(.tooLarge(limit: ReportLimits.maxFileSize))])
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return ReportReadResult(format: format, report: nil, issues: [ReportIssue(line: 1, .byteOrderMark)])
        }
        if let bad = firstInvalidUTF8(bytes) {
            let line = 1 + bytes[..<bad].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            return ReportReadResult(format: format, report: nil, issues: [ReportIssue(line: line, .notUTF8(offset: bad))])
        }
        let raw = format == .csv ? ReportCSV.raw(bytes) : ReportJSON.raw(bytes)
        return validate(raw, context: context)
    }

    /// Reads and requires an annual report.
    public static func annual(_ bytes: [UInt8], context: ReportValidationContext = ReportValidationContext()) throws -> AnnualReport {
        let r = read(bytes, context: context)
        guard case let .annual(a)? = r.report else {
            throw ReportInvalid(issues: r.issues.isEmpty ? [ReportIssue(table: "report", column: "type", .wrongReportType(expected: "annual"))] : r.issues)
        }
        return a
    }

    /// Reads and requires an initial report.
    public static func initial(_ bytes: [UInt8], context: ReportValidationContext = ReportValidationContext()) throws -> InitialReport {
        let r = read(bytes, context: context)
        guard case let .initial(a)? = r.report else {
            throw ReportInvalid(issues: r.issues.isEmpty ? [ReportIssue(table: "report", column: "type", .wrongReportType(expected: "initial"))] : r.issues)
        }
        return a
    }

    /// The offset of the first byte that is not part of well-formed UTF-8, if any.
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let n: Int, lo: UInt8, hi: UInt8
            switch c {
            case 0xC2...0xDF: n = 1; lo = 0x80; hi = 0xBF
            case 0xE0: n = 2; lo = 0xA0; hi = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: n = 2; lo = 0x80; hi = 0xBF
            case 0xED: n = 2; lo = 0x80; hi = 0x9F
            case 0xF0: n = 3; lo = 0x90; hi = 0xBF
            case 0xF1...0xF3: n = 3; lo = 0x80; hi = 0xBF
            case 0xF4: n = 3; lo = 0x80; hi = 0x8F
            default: return i
            }
            guard i + n < b.count, b[i + 1] >= lo, b[i + 1] <= hi else { return i }
            for k in 2..<(n + 1) where !(0x80...0xBF).contains(b[i + k]) { return i }
            i += n + 1
        }
        return nil
    }
}

public enum ReportFormat: String, Sendable, CaseIterable { case csv, json }

/// What a reader may know besides the file: today, and the reporting State.
public struct ReportValidationContext: Sendable {
    /// With it, an annual report on a year not yet over is refused.
    public var today: CivilDate?
    /// The party's entry into force: an annual report on an earlier year is refused.
    public var entryIntoForce: CivilDate?
    /// With them, another year or party is refused.
    public var expectedYear: Int?
    public var expectedParty: PartyCode?

    public init(today: CivilDate? = nil, entryIntoForce: CivilDate? = nil, expectedYear: Int? = nil, expectedParty: PartyCode? = nil) {
        self.today = today; self.entryIntoForce = entryIntoForce; self.expectedYear = expectedYear; self.expectedParty = expectedParty
    }
}

public enum ParsedReport: Equatable, Sendable {
    case annual(AnnualReport)
    case initial(InitialReport)
}

extension ParsedReport {
    public var party: PartyCode {
        switch self {
        case let .annual(a): return a.party
        case let .initial(i): return i.party
        }
    }

    /// `annual` or `initial` (the envelope's report type).
    public var reportType: ReportType {
        switch self {
        case .annual: return .annual
        case .initial: return .initial
        }
    }

    /// The canonical JSON (§8.4): what gets sealed.
    public var canonicalJSON: [UInt8] {
        switch self {
        case let .annual(a): return ReportJSON.canonical(a)
        case let .initial(i): return ReportJSON.canonical(i)
        }
    }
}

public struct ReportReadResult: Sendable {
    public let format: ReportFormat
    /// Present exactly when `issues` is empty.
    public let report: ParsedReport?
    public let issues: [ReportIssue]

    public init(format: ReportFormat, report: ParsedReport?, issues: [ReportIssue]) {
        self.format = format; self.report = issues.isEmpty ? report : nil; self.issues = issues
    }
}

/// Thrown by the `annual`/`initial` readers.
public struct ReportInvalid: Error, CustomStringConvertible {
    public let issues: [ReportIssue]
    public var description: String {
        "the report has \(issues.count) problem(s): " + issues.prefix(3).map(\.description).joined(separator: "; ")
    }
}

/// One problem, at one place. `table` is `report` for header fields; `row` is the
/// 1-based row within its table; `line` is the line in the file where the record starts
/// (CSV) or the value is (JSON).
public struct ReportIssue: Error, Equatable, Sendable, CustomStringConvertible {
    public let table: String?
    public let row: Int?
    public let column: String?
    public let line: Int?
    public let problem: ReportProblem

    public init(table: String? = nil, row: Int? = nil, column: String? = nil, line: Int? = nil, _ problem: ReportProblem) {
        self.table = table; self.row = row; self.column = column; self.line = line; self.problem = problem
    }

    /// `exports row 3, column items (line 14): "-5" is negative`.
    public var description: String {
        var place: [String] = []
        if let table { place.append(row.map { "\(table) row \($0)" } ?? (table == "report" ? "report" : "\(table) table")) }
        if let column { place.append(table == "report" ? "field \(column)" : "column \(column)") }
        var s = place.isEmpty ? "file" : place.joined(separator: ", ")
        if let line { s += " (line \(line))" }
        return s + ": " + problem.description
    }
}

/// Why a report is refused: a closed list.
public enum ReportProblem: Error, Equatable, Sendable, CustomStringConvertible {
    // The file.
    case tooLarge(limit: Int)
    case byteOrderMark
    case notUTF8(offset: Int)
    case empty
    case csvUnterminatedQuote
    case csvQuoteInUnquotedCell
    case csvTextAfterClosingQuote
    case csvBareCarriageReturn
    case csvNoColumnHeader
    case csvExtraCells
    case jsonSyntax(String)
    case jsonDuplicateKey(String)
    case jsonTooDeep
    case tooManyRows(limit: Int)
    // Structure.
    case unknownField(String)
    case duplicateField(String)
    case missingField
    case unknownColumn(String)
    case duplicateColumn(String)
    case missingColumn
    case tableNotInPart(part: String)
    case wrongReportType(expected: String)
    // Cells.
    case required
    case wrongType(expected: String, found: String)
    case notOneOf(value: String, allowed: [String])
    case badCategory(String)
    case badSubtype(String)
    case subtypeNotOfCategory(subtype: String, category: String)
    case subtypeRequired(category: String)
    case unknownTable(String)
    case unknownState(String)
    case badCurrency(String)
    case notANumber(String)
    case negativeNumber(String)
    case nonIntegerNumber(String)
    case leadingZero(String)
    case numberOutOfRange(String, min: Int64, max: Int64)
    case badFlag(String)
    case textTooLong(bytes: Int, max: Int)
    case controlCharacter(line: Bool)
    // Rules across cells.
    case neitherItemsNorValue
    case originIsExporter(String)
    case stateIsReporter(String)
    case nilTableWithRows(table: String, rows: Int)
    case emptyTableNotNil(table: String)
    case currencyRequired
    case withheldNoteWithoutWithheld
    case yearNotOver(year: Int, today: String)
    case yearBeforeEntryIntoForce(year: Int, entryIntoForce: String)
    case yearMismatch(expected: Int, found: Int)
    case partyMismatch(expected: String, found: String)
    case duplicateProvision(String)
    case missingProvision(String)

    /// A stable machine name: the case name.
    public var code: String {
        if let label = Mirror(reflecting: self).children.first?.label { return label }
        return String(describing: self)
    }

    public var description: String {
        switch self {
        case let .tooLarge(limit): return "the file is larger than \(limit) bytes"
        case .byteOrderMark: return "the file starts with a byte-order mark; save it as UTF-8 without BOM"
        case let .notUTF8(offset): return "the file is not UTF-8 (bad byte at offset \(offset))"
        case .empty: return "the file is empty"
        case .csvUnterminatedQuote: return "a quoted cell starting here is never closed"
        case .csvQuoteInUnquotedCell: return "a double quote inside a cell that does not start with one (quote the cell and double the quote)"
        case .csvTextAfterClosingQuote: return "text after a closing double quote (double a quote inside a quoted cell)"
        case .csvBareCarriageReturn: return "a carriage return that is not part of CRLF outside a quoted cell"
        case .csvNoColumnHeader: return "no column header record (a record whose first cell is \"table\")"
        case .csvExtraCells: return "cells past the last column (or past the value of a header field) must be empty"
        case let .jsonSyntax(what): return "JSON syntax: \(what)"
        case let .jsonDuplicateKey(key): return "JSON key \"\(key)\" appears twice"
        case .jsonTooDeep: return "JSON nested more than \(ReportLimits.maxJSONDepth) levels"
        case let .tooManyRows(limit): return "more than \(limit) rows"
        case let .unknownField(name): return "unknown header field \"\(name)\""
        case let .duplicateField(name): return "header field \"\(name)\" is given twice"
        case .missingField: return "required header field is missing"
        case let .unknownColumn(name): return "unknown column \"\(name)\""
        case let .duplicateColumn(name): return "column \"\(name)\" appears twice"
        case .missingColumn: return "required column is missing"
        case let .tableNotInPart(part): return "this document holds only the \(part) part"
        case let .wrongReportType(expected): return "not an \(expected) report"
        case .required: return "required, but empty"
        case let .wrongType(expected, found): return "expected \(expected), found \(found)"
        case let .notOneOf(value, allowed): return "\"\(value.prefix(60))\" is not one of \(allowed.joined(separator: ", "))"
        case let .badCategory(v): return "\"\(v.prefix(60))\" is not a category (I, II, III, IV, V, VI, VII or VIII)"
        case let .badSubtype(v): return "\"\(v.prefix(60))\" is not a sub-type (\(ArmsSubtype.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .subtypeNotOfCategory(s, c):
            let allowed = ArmsCategory(rawValue: c)?.subtypes.map(\.rawValue) ?? []
            return "sub-type \(s) is not of category \(c)" + (allowed.isEmpty ? " (category \(c) has no sub-types)" : " (use \(allowed.joined(separator: ", ")))")
        case let .subtypeRequired(c): return "category \(c) needs a sub-type (\(ArmsCategory(rawValue: c)?.subtypes.map(\.rawValue).joined(separator: ", ") ?? ""))"
        case let .unknownTable(v): return "\"\(v.prefix(60))\" is not a table of this report"
        case let .unknownState(v): return "\"\(v.prefix(60))\" is not an ISO 3166-1 alpha-3 State code"
        case let .badCurrency(v): return "\"\(v.prefix(60))\" is not a currency code (three capital letters, e.g. USD)"
        case let .notANumber(v): return "\"\(v.prefix(60))\" is not a number (digits only, no separators)"
        case let .negativeNumber(v): return "\"\(v.prefix(60))\" is negative"
        case let .nonIntegerNumber(v): return "\"\(v.prefix(60))\" is not a whole number"
        case let .leadingZero(v): return "\"\(v.prefix(60))\" has a leading zero"
        case let .numberOutOfRange(v, min, max): return "\(v.prefix(60)) is out of range (\(min) to \(max))"
        case let .badFlag(v): return "\"\(v.prefix(60))\" is not yes or no"
        case let .textTooLong(bytes, max): return "text of \(bytes) bytes is longer than \(max)"
        case let .controlCharacter(line): return line ? "text holds a control character (only line feeds are allowed here)"
                                                       : "text holds a control character or line break"
        case .neitherItemsNorValue: return "give the number of items, the value, or both"
        case let .originIsExporter(v): return "the State of origin \(v) is the exporter; leave origin empty"
        case let .stateIsReporter(v): return "\(v) is the reporting State itself"
        case let .nilTableWithRows(t, n): return "\(t) is marked as a nil report but has \(n) row(s)"
        case let .emptyTableNotNil(t): return "\(t) has no rows; add rows or mark it as a nil report (nil_\(t) = yes)"
        case .currencyRequired: return "rows give a value, so the currency is required"
        case .withheldNoteWithoutWithheld: return "a withheld note needs withheld = yes"
        case let .yearNotOver(y, today): return "the year \(y) is not over (today is \(today))"
        case let .yearBeforeEntryIntoForce(y, eif): return "the Treaty entered into force for this State on \(eif), after \(y)"
        case let .yearMismatch(expected, found): return "the report is on \(found), expected \(expected)"
        case let .partyMismatch(expected, found): return "the report is by \(found), expected \(expected)"
        case let .duplicateProvision(p): return "provision \(p) is answered twice"
        case let .missingProvision(p): return "provision \(p) is not answered"
        }
    }
}

// MARK: - The raw document both readers produce

/// A scalar as a reader found it. CSV gives only `text`; empty cells are absent.
public enum RawValue: Equatable, Sendable {
    case text(String)
    /// A JSON number, as written.
    case number(String)
    case bool(Bool)
    /// A JSON object or array where a scalar belongs.
    case structure(String)

    var kindName: String {
        switch self {
        case .text: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case let .structure(s): return s
        }
    }
}

struct RawCell: Equatable, Sendable {
    let value: RawValue
    let line: Int?
}

struct RawRow: Sendable {
    let table: String
    let index: Int
    let line: Int?
    var cells: [String: RawCell]
}

/// What both readers produce: header fields, rows with their table, and the problems the
/// reader found itself (syntax, unknown and duplicate names).
struct RawDocument: Sendable {
    var format: ReportFormat
    var fields: [String: RawCell] = [:]
    /// Every header field name the file gives, with its line (empty CSV values included).
    var fieldNames: [String: Int?] = [:]
    var rows: [RawRow] = []
    /// JSON: the table keys present. CSV: every table (an absent table has no rows).
    var tablesPresent: Set<String> = []
    var issues: [ReportIssue] = []
    /// Stop: the reader could not make sense of the rest.
    var fatal = false
}

// MARK: - Schema checks

extension ReportValidation {
    enum Typed { case word(String), state(PartyCode), int(Int64), flag(Bool), text(String) }

    static func validate(_ raw: RawDocument, context: ReportValidationContext) -> ReportReadResult {
        var issues = raw.issues
        if raw.fatal { return ReportReadResult(format: raw.format, report: nil, issues: issues) }
        // The type decides the schema; without a good one only format and type are checked.
        let typeCell = raw.fields["type"]
        var type: StructuredReportType?
        switch typeCell?.value {
        case nil: issues.append(ReportIssue(table: "report", column: "type", line: nil, .missingField))
        case let .text(t)?:
            type = StructuredReportType(rawValue: t)
            if type == nil { issues.append(ReportIssue(table: "report", column: "type", line: typeCell?.line, .notOneOf(value: t, allowed: ["annual", "initial"]))) }
        case let v?: issues.append(ReportIssue(table: "report", column: "type", line: typeCell?.line, .wrongType(expected: "a string", found: v.kindName)))
        }
        guard let type else {
            return ReportReadResult(format: raw.format, report: nil, issues: sorted(issues))
        }
        var checker = Checker(format: raw.format)
        let report: ParsedReport?
        switch type {
        case .annual: report = checker.annual(raw, context: context).map(ParsedReport.annual)
        case .initial: report = checker.initial(raw, context: context).map(ParsedReport.initial)
        }
        issues += checker.issues
        return ReportReadResult(format: raw.format, report: issues.isEmpty ? report : nil, issues: sorted(issues))
    }

    /// In file order where lines are known (stable otherwise).
    static func sorted(_ issues: [ReportIssue]) -> [ReportIssue] {
        issues.enumerated().sorted { a, b in
            let la = a.element.line ?? Int.max, lb = b.element.line ?? Int.max
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }

    struct Checker {
        let format: ReportFormat
        var issues: [ReportIssue] = []

        mutating func fail(_ table: String, _ row: Int?, _ column: String?, _ line: Int?, _ p: ReportProblem) {
            issues.append(ReportIssue(table: table, row: row, column: column, line: line, p))
        }

        /// Converts one cell; nil if absent (or bad, with the problem recorded).
        mutating func value(_ cell: RawCell?, _ el: ReportElement, table: String, row: Int?, rowLine: Int?) -> Typed? {
            guard let cell else {
                if el.required { fail(table, row, el.name, rowLine, table == "report" ? .missingField : .required) }
                return nil
            }
            let line = cell.line ?? rowLine
            func problem(_ p: ReportProblem) -> Typed? { fail(table, row, el.name, line, p); return nil }
            switch el.kind {
            case let .word(allowed):
                guard case let .text(s) = cell.value else { return problem(.wrongType(expected: "a string", found: cell.value.kindName)) }
                guard allowed.contains(s) else {
                    switch el.name {
                    case "category": return problem(.badCategory(s))
                    case "subtype": return problem(.badSubtype(s))
                    case "table": return problem(.unknownTable(s))
                    default: return problem(.notOneOf(value: s, allowed: allowed))
                    }
                }
                return .word(s)
            case .stateCode:
                guard case let .text(s) = cell.value else { return problem(.wrongType(expected: "a string", found: cell.value.kindName)) }
                guard ReportSchema.isStateCode(s), let code = try? PartyCode(s) else { return problem(.unknownState(s)) }
                return .state(code)
            case .currency:
                guard case let .text(s) = cell.value else { return problem(.wrongType(expected: "a string", found: cell.value.kindName)) }
                guard s.utf8.count == 3, s.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return problem(.badCurrency(s)) }
                return .text(s)
            case let .integer(min, max):
                let literal: String
                switch (format, cell.value) {
                case let (.csv, .text(s)), let (.json, .number(s)): literal = s
                default: return problem(.wrongType(expected: "a number", found: cell.value.kindName))
                }
                switch ReportValidation.integer(literal, min: min, max: max) {
                case let .success(v): return .int(v)
                case let .failure(p): return problem(p)
                }
            case .flag:
                switch (format, cell.value) {
                case let (.json, .bool(b)): return .flag(b)
                case (.csv, .text("yes")): return .flag(true)
                case (.csv, .text("no")): return .flag(false)
                case let (.csv, .text(s)): return problem(.badFlag(s))
                default: return problem(.wrongType(expected: "true or false", found: cell.value.kindName))
                }
            case let .text(maxBytes, multiline):
                guard case let .text(s) = cell.value else { return problem(.wrongType(expected: "a string", found: cell.value.kindName)) }
                if s.utf8.count > maxBytes { return problem(.textTooLong(bytes: s.utf8.count, max: maxBytes)) }
                for u in s.unicodeScalars where (u.value < 0x20 && !(multiline && u.value == 0x0A)) || (0x7F...0x9F).contains(u.value) {
                    return problem(.controlCharacter(line: multiline))
                }
                return .text(s)
            }
        }

        /// All header fields, checked; unknown ones were reported by the reader.
        mutating func header(_ raw: RawDocument, _ schema: [ReportElement]) -> [String: Typed] {
            var out: [String: Typed] = [:]
            for el in schema {
                if let t = value(raw.fields[el.name], el, table: "report", row: nil, rowLine: nil) { out[el.name] = t }
            }
            for name in raw.fieldNames.keys.sorted() where !schema.contains(where: { $0.name == name }) {
                fail("report", nil, name, raw.fieldNames[name] ?? nil, .unknownField(name))
            }
            return out
        }

        mutating func checkYearAndParty(_ h: [String: Typed], raw: RawDocument, context: ReportValidationContext, annual: Bool) {
            let yLine = raw.fields["year"]?.line, pLine = raw.fields["party"]?.line
            if case let .int(y)? = h["year"] {
                if let e = context.expectedYear, e != Int(y) { fail("report", nil, "year", yLine, .yearMismatch(expected: e, found: Int(y))) }
                if annual, let today = context.today, Int(y) >= today.year {
                    fail("report", nil, "year", yLine, .yearNotOver(year: Int(y), today: today.description))
                }
                if annual, let eif = context.entryIntoForce, Int(y) < eif.year {
                    fail("report", nil, "year", yLine, .yearBeforeEntryIntoForce(year: Int(y), entryIntoForce: eif.description))
                }
            }
            if case let .state(p)? = h["party"], let e = context.expectedParty, e != p {
                fail("report", nil, "party", pLine, .partyMismatch(expected: e.rawValue, found: p.rawValue))
            }
        }

        mutating func annual(_ raw: RawDocument, context: ReportValidationContext) -> AnnualReport? {
            let h = header(raw, ReportSchema.annualFields)
            checkYearAndParty(h, raw: raw, context: context, annual: true)
            var part = AnnualReport.Part.all
            if case let .word(p)? = h["part"] { part = AnnualReport.Part(rawValue: p)! }
            let party: PartyCode? = { if case let .state(p)? = h["party"] { return p }; return nil }()
            // Nil flags: required for the tables of this part, absent for the others.
            var nilFlag: [TradeTableKind: Bool] = [:]
            for kind in TradeTableKind.allCases {
                let name = "nil_" + kind.rawValue
                if part.tables.contains(kind) {
                    if case let .flag(b)? = h[name] { nilFlag[kind] = b }
                } else {
                    // `header` reported it missing; an absent table's flag is not required.
                    issues.removeAll { $0.table == "report" && $0.column == name && $0.problem == .missingField }
                    if let c = raw.fields[name] { fail("report", nil, name, c.line, .tableNotInPart(part: part.rawValue)) }
                }
            }
            if format == .json {
                for kind in part.tables where !raw.tablesPresent.contains(kind.rawValue) {
                    fail("report", nil, kind.rawValue, nil, .missingField)
                }
                for kind in TradeTableKind.allCases where !part.tables.contains(kind) && raw.tablesPresent.contains(kind.rawValue) {
                    fail("report", nil, kind.rawValue, nil, .tableNotInPart(part: part.rawValue))
                }
            }
            if h["withheld_note"] != nil, case .flag(false)? = h["withheld"] {
                fail("report", nil, "withheld_note", raw.fields["withheld_note"]?.line, .withheldNoteWithoutWithheld)
            }
            var tables: [TradeTableKind: TradeTable] = [:]
            for kind in part.tables { tables[kind] = TradeTable(isNil: nilFlag[kind] ?? false) }
            var anyValue = false
            for r in raw.rows {
                guard let kind = TradeTableKind(rawValue: r.table) else {
                    fail(r.table, r.index, "table", r.line, .unknownTable(r.table)); continue
                }
                guard part.tables.contains(kind) else {
                    fail(r.table, r.index, "table", r.line, .tableNotInPart(part: part.rawValue)); continue
                }
                var c: [String: Typed] = [:]
                for el in ReportSchema.tradeColumns where el.name != "table" {
                    if let t = value(r.cells[el.name], el, table: r.table, row: r.index, rowLine: r.line) { c[el.name] = t }
                }
                for name in r.cells.keys.sorted() where !ReportSchema.tradeColumns.contains(where: { $0.name == name }) {
                    fail(r.table, r.index, name, r.cells[name]?.line ?? r.line, .unknownColumn(name))
                }
                let line = { (col: String) in r.cells[col]?.line ?? r.line }
                let category: ArmsCategory? = { if case let .word(w)? = c["category"] { return ArmsCategory(rawValue: w) }; return nil }()
                let subtype: ArmsSubtype? = { if case let .word(w)? = c["subtype"] { return ArmsSubtype(rawValue: w) }; return nil }()
                if let category {
                    if let subtype, subtype.category != category {
                        fail(r.table, r.index, "subtype", line("subtype"), .subtypeNotOfCategory(subtype: subtype.rawValue, category: category.rawValue))
                    } else if subtype == nil, r.cells["subtype"] == nil, category.requiresSubtype {
                        fail(r.table, r.index, "subtype", line("subtype"), .subtypeRequired(category: category.rawValue))
                    }
                }
                let items: Int64? = { if case let .int(v)? = c["items"] { return v }; return nil }()
                let value: Int64? = { if case let .int(v)? = c["value"] { return v }; return nil }()
                if r.cells["items"] == nil, r.cells["value"] == nil {
                    fail(r.table, r.index, "items", r.line, .neitherItemsNorValue)
                }
                if r.cells["value"] != nil { anyValue = true }
                let state: PartyCode? = { if case let .state(p)? = c["state"] { return p }; return nil }()
                let origin: PartyCode? = { if case let .state(p)? = c["origin"] { return p }; return nil }()
                if let state, let party, state == party { fail(r.table, r.index, "state", line("state"), .stateIsReporter(state.rawValue)) }
                let exporter = kind == .exports ? party : state
                if let origin, let exporter, origin == exporter {
                    fail(r.table, r.index, "origin", line("origin"), .originIsExporter(origin.rawValue))
                }
                let basis: TransferBasis? = { if case let .word(w)? = c["basis"] { return TransferBasis(rawValue: w) }; return nil }()
                let text = { (k: String) -> String? in if case let .text(t)? = c[k] { return t }; return nil }
                if let category, let state, let basis {
                    tables[kind]?.rows.append(TradeRow(category: category, subtype: subtype, state: state, items: items, value: value,
                                                       basis: basis, origin: origin, description: text("description"), comments: text("comments")))
                }
            }
            for kind in part.tables {
                let count = raw.rows.filter { $0.table == kind.rawValue }.count
                if count > ReportLimits.maxRows { fail(kind.rawValue, nil, nil, nil, .tooManyRows(limit: ReportLimits.maxRows)) }
                let flagLine = raw.fields["nil_" + kind.rawValue]?.line
                if nilFlag[kind] == true, count > 0 {
                    fail("report", nil, "nil_" + kind.rawValue, flagLine, .nilTableWithRows(table: kind.rawValue, rows: count))
                }
                if nilFlag[kind] == false, count == 0, raw.tablesPresent.contains(kind.rawValue) {
                    fail("report", nil, "nil_" + kind.rawValue, flagLine, .emptyTableNotNil(table: kind.rawValue))
                }
            }
            let currency: String? = { if case let .text(t)? = h["currency"] { return t }; return nil }()
            if anyValue, raw.fields["currency"] == nil { fail("report", nil, "currency", nil, .currencyRequired) }
            guard issues.isEmpty, let party, case let .int(year)? = h["year"], case let .flag(withheld)? = h["withheld"] else { return nil }
            var version: Int64 = 1
            if case let .int(v)? = h["version"] { version = v }
            let text = { (k: String) -> String? in if case let .text(t)? = h[k] { return t }; return nil }
            var report = AnnualReport(party: party, year: Int(year), version: Int(version), currency: currency,
                                      nationalDefinitions: text("national_definitions"), withheld: withheld, withheldNote: text("withheld_note"))
            report.part = part
            report.tables = tables
            return report
        }

        mutating func initial(_ raw: RawDocument, context: ReportValidationContext) -> InitialReport? {
            let h = header(raw, ReportSchema.initialFields)
            checkYearAndParty(h, raw: raw, context: context, annual: false)
            if format == .json, !raw.tablesPresent.contains("measures") { fail("report", nil, "measures", nil, .missingField) }
            var rows: [MeasureRow] = []
            var seen: Set<TreatyMeasure> = []
            for r in raw.rows {
                guard r.table == "measures" else { fail(r.table, r.index, "table", r.line, .unknownTable(r.table)); continue }
                var c: [String: Typed] = [:]
                for el in ReportSchema.measureColumns where el.name != "table" {
                    if let t = value(r.cells[el.name], el, table: r.table, row: r.index, rowLine: r.line) { c[el.name] = t }
                }
                for name in r.cells.keys.sorted() where !ReportSchema.measureColumns.contains(where: { $0.name == name }) {
                    fail(r.table, r.index, name, r.cells[name]?.line ?? r.line, .unknownColumn(name))
                }
                let text = { (k: String) -> String? in if case let .text(t)? = c[k] { return t }; return nil }
                guard case let .word(p)? = c["provision"], let provision = TreatyMeasure(rawValue: p),
                      case let .word(s)? = c["in_place"], let status = MeasureStatus(rawValue: s) else { continue }
                if !seen.insert(provision).inserted {
                    fail(r.table, r.index, "provision", r.cells["provision"]?.line ?? r.line, .duplicateProvision(p)); continue
                }
                rows.append(MeasureRow(provision: provision, inPlace: status, measures: text("measures"), reference: text("reference"), comments: text("comments")))
            }
            if raw.rows.count > ReportLimits.maxRows { fail("measures", nil, nil, nil, .tooManyRows(limit: ReportLimits.maxRows)) }
            if issues.isEmpty {
                for m in TreatyMeasure.allCases where !seen.contains(m) { fail("measures", nil, "provision", nil, .missingProvision(m.rawValue)) }
            }
            guard issues.isEmpty, case let .state(party)? = h["party"], case let .int(year)? = h["year"] else { return nil }
            var version: Int64 = 1
            if case let .int(v)? = h["version"] { version = v }
            var nd: String?
            if case let .text(t)? = h["national_definitions"] { nd = t }
            let order = TreatyMeasure.allCases
            return InitialReport(party: party, year: Int(year), version: Int(version), nationalDefinitions: nd,
                                 measures: rows.sorted { order.firstIndex(of: $0.provision)! < order.firstIndex(of: $1.provision)! })
        }
    }

    /// A whole number as written in CSV or JSON: digits, no sign, no leading zero.
    static func integer(_ s: String, min: Int64, max: Int64) -> Result<Int64, ReportProblem> {
        let b = Array(s.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        guard !b.isEmpty else { return .failure(.notANumber(s)) }
        if b.allSatisfy(isDigit) {
            if b.count > 1, b[0] == 0x30 { return .failure(.leadingZero(s)) }
            guard b.count <= 18, let v = Int64(s), v >= min, v <= max else { return .failure(.numberOutOfRange(s, min: min, max: max)) }
            return .success(v)
        }
        // Looks like a number but is not a whole, non-negative one?
        let body = b.first == 0x2D || b.first == 0x2B ? Array(b.dropFirst()) : b
        let numeric = !body.isEmpty && isDigit(body[0]) && body.allSatisfy { isDigit($0) || $0 == 0x2E || $0 == 0x65 || $0 == 0x45 || $0 == 0x2D || $0 == 0x2B }
        guard numeric else { return .failure(.notANumber(s)) }
        if b.first == 0x2D { return .failure(.negativeNumber(s)) }
        if body.contains(0x2E) || body.contains(0x65) || body.contains(0x45) { return .failure(.nonIntegerNumber(s)) }
        return .failure(.notANumber(s))
    }
}
