/// An ATT annual report (Article 13(3)): exports and imports of the preceding calendar
/// year. A plain value: no HTML, no I/O. Read one with `ReportValidation.annual(…)`;
/// write one with `ReportCSV` or `ReportJSON`.
public struct AnnualReport: Equatable, Sendable {
    /// Which tables this document holds: the whole report, or one part of it (§8.5).
    public enum Part: String, CaseIterable, Sendable {
        case all, exports, imports
        public var tables: [TradeTableKind] {
            switch self {
            case .all: return TradeTableKind.allCases
            case .exports: return [.exports]
            case .imports: return [.imports]
            }
        }
    }

    public var part: Part
    public var party: PartyCode
    public var year: Int
    public var version: Int
    /// ISO 4217 code of the `value` column.
    public var currency: String?
    public var nationalDefinitions: String?
    /// Article 13(3): commercially sensitive or national security information was withheld.
    public var withheld: Bool
    public var withheldNote: String?
    /// The tables this part holds (both for `.all`).
    public var tables: [TradeTableKind: TradeTable]

    public init(party: PartyCode, year: Int, version: Int = 1, currency: String? = "USD", nationalDefinitions: String? = nil,
                withheld: Bool = false, withheldNote: String? = nil, exports: TradeTable = TradeTable(),
                imports: TradeTable = TradeTable()) {
        self.part = .all; self.party = party; self.year = year; self.version = version; self.currency = currency
        self.nationalDefinitions = nationalDefinitions; self.withheld = withheld; self.withheldNote = withheldNote
        self.tables = [.exports: exports, .imports: imports]
    }

    public var exports: TradeTable? { tables[.exports] }
    public var imports: TradeTable? { tables[.imports] }

    /// The report split into one part per table, each with the whole header, so that each
    /// can be sealed at its own disclosure level ("disclosure per form").
    public func split() -> [AnnualReport] {
        TradeTableKind.allCases.compactMap { kind in
            guard let table = tables[kind] else { return nil }
            var p = self
            p.part = kind == .exports ? .exports : .imports
            p.tables = [kind: table]
            return p
        }
    }

    /// The parts joined back into one report. They must agree on every header field and
    /// hold each table once.
    public static func joined(_ parts: [AnnualReport]) throws -> AnnualReport {
        guard var whole = parts.first else { throw ReportJoinError.noParts }
        whole.tables = [:]
        whole.part = .all
        for p in parts {
            var header = p
            header.tables = [:]
            header.part = .all
            guard header == { var w = whole; w.tables = [:]; return w }() else { throw ReportJoinError.headersDiffer }
            for (kind, table) in p.tables {
                guard whole.tables[kind] == nil else { throw ReportJoinError.tableTwice(kind) }
                whole.tables[kind] = table
            }
        }
        for kind in TradeTableKind.allCases where whole.tables[kind] == nil { throw ReportJoinError.tableMissing(kind) }
        return whole
    }

    /// A blank report for `report new`: both tables empty and not nil, currency USD.
    public static func template(party: PartyCode, year: Int) -> AnnualReport {
        AnnualReport(party: party, year: year)
    }
}

public enum ReportJoinError: Error, Equatable, CustomStringConvertible {
    case noParts, headersDiffer, tableTwice(TradeTableKind), tableMissing(TradeTableKind)
    public var description: String {
        switch self {
        case .noParts: return "no report parts to join"
        case .headersDiffer: return "the report parts differ in their header fields"
        case let .tableTwice(k): return "the \(k.rawValue) table is in more than one part"
        case let .tableMissing(k): return "no part holds the \(k.rawValue) table"
        }
    }
}

/// One table: a nil report, or rows.
public struct TradeTable: Equatable, Sendable {
    public var isNil: Bool
    public var rows: [TradeRow]
    public init(isNil: Bool = false, rows: [TradeRow] = []) { self.isNil = isNil; self.rows = rows }
}

/// One row of the exports or imports table.
public struct TradeRow: Equatable, Sendable {
    public var category: ArmsCategory
    public var subtype: ArmsSubtype?
    /// Exports: the importing State; imports: the exporting State.
    public var state: PartyCode
    public var items: Int64?
    public var value: Int64?
    public var basis: TransferBasis
    /// The State of origin, if not the exporter.
    public var origin: PartyCode?
    public var description: String?
    public var comments: String?

    public init(category: ArmsCategory, subtype: ArmsSubtype? = nil, state: PartyCode, items: Int64? = nil, value: Int64? = nil,
                basis: TransferBasis, origin: PartyCode? = nil, description: String? = nil, comments: String? = nil) {
        self.category = category; self.subtype = subtype; self.state = state; self.items = items; self.value = value
        self.basis = basis; self.origin = origin; self.description = description; self.comments = comments
    }
}

/// A table as plain strings for a renderer (the public site renders HTML from this).
public struct RenderedTable: Equatable, Sendable {
    public let name: String
    public let title: String
    public let columns: [String]
    public let rows: [[String]]
    /// A nil report: the State had nothing to report in this table.
    public let isNil: Bool
}

extension AnnualReport {
    /// Header fields as label/value pairs, in template order.
    public var renderedHeader: [(label: String, value: String)] {
        var out: [(String, String)] = [
            ("Reporting State", party.rawValue), ("Calendar year", String(year)), ("Version", String(version)),
        ]
        if part != .all { out.append(("Part", part.rawValue)) }
        out.append(("Currency of values", currency ?? ""))
        out.append(("National definitions", nationalDefinitions ?? ""))
        out.append(("Information withheld (Article 13(3))", withheld ? "yes" : "no"))
        if let n = withheldNote { out.append(("What was withheld", n)) }
        return out
    }

    public static let renderedColumns = ["Category", "Sub-type", "State", "Number of items", "Value", "Authorised or actual",
                                         "State of origin", "Description", "Comments"]

    /// One rendered table per table this part holds, exports first.
    public func rendered() -> [RenderedTable] {
        TradeTableKind.allCases.compactMap { kind in
            guard let t = tables[kind] else { return nil }
            var columns = AnnualReport.renderedColumns
            columns[2] = kind == .exports ? "Importing State" : "Exporting State"
            let rows = t.rows.map { r -> [String] in
                ["\(r.category.rawValue). \(r.category.title)", r.subtype?.title ?? "", r.state.rawValue,
                 r.items.map(String.init) ?? "", r.value.map { v in currency.map { "\(v) \($0)" } ?? String(v) } ?? "",
                 r.basis.rawValue, r.origin?.rawValue ?? "", r.description ?? "", r.comments ?? ""]
            }
            return RenderedTable(name: kind.rawValue, title: kind.title, columns: columns, rows: rows, isNil: t.isNil)
        }
    }
}
