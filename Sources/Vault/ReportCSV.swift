/// Structured reports as CSV (docs/FORMATS.md §8.2): RFC 4180 records, UTF-8 without a
/// byte-order mark, LF or CRLF. Header fields come first, one `name,value` record each;
/// then the column header record (first cell `table`) and one record per row.
public enum ReportCSV {
    // MARK: Writing

    /// The report as CSV: LF line endings, cells quoted only when they must be.
    public static func write(_ r: AnnualReport, comments: [String] = []) -> [UInt8] {
        var out = comments.map { "# " + $0.filter { $0 != "," && $0 != "\"" && $0 != "\n" && $0 != "\r" } + "\n" }.joined()
        var fields: [(String, String)] = [("format", ReportSchema.formatIdentifier), ("type", "annual")]
        if r.part != .all { fields.append(("part", r.part.rawValue)) }
        fields += [("party", r.party.rawValue), ("year", String(r.year)), ("version", String(r.version)),
                   ("currency", r.currency ?? ""), ("national_definitions", r.nationalDefinitions ?? ""),
                   ("withheld", r.withheld ? "yes" : "no"), ("withheld_note", r.withheldNote ?? "")]
        for kind in r.part.tables { fields.append(("nil_" + kind.rawValue, r.tables[kind]?.isNil == true ? "yes" : "no")) }
        for (k, v) in fields { out += record([k, v]) }
        out += record(ReportSchema.tradeColumns.map(\.name))
        for kind in r.part.tables {
            for row in r.tables[kind]?.rows ?? [] {
                out += record([kind.rawValue, row.category.rawValue, row.subtype?.rawValue ?? "", row.state.rawValue,
                               row.items.map(String.init) ?? "", row.value.map(String.init) ?? "", row.basis.rawValue,
                               row.origin?.rawValue ?? "", row.description ?? "", row.comments ?? ""])
            }
        }
        return Array(out.utf8)
    }

    public static func write(_ r: InitialReport, comments: [String] = []) -> [UInt8] {
        var out = comments.map { "# " + $0.filter { $0 != "," && $0 != "\"" && $0 != "\n" && $0 != "\r" } + "\n" }.joined()
        for (k, v) in [("format", ReportSchema.formatIdentifier), ("type", "initial"), ("party", r.party.rawValue),
                       ("year", String(r.year)), ("version", String(r.version)), ("national_definitions", r.nationalDefinitions ?? "")] {
            out += record([k, v])
        }
        out += record(ReportSchema.measureColumns.map(\.name))
        for m in r.measures {
            out += record(["measures", m.provision.rawValue, m.inPlace.rawValue, m.measures ?? "", m.reference ?? "", m.comments ?? ""])
        }
        return Array(out.utf8)
    }

    /// One record, LF-terminated.
    public static func record(_ cells: [String]) -> String {
        cells.map { c in
            c.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + c.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : c
        }.joined(separator: ",") + "\n"
    }

    // MARK: Reading

    struct Record { let line: Int; let cells: [String] }

    /// RFC 4180 records. Bytes must already be valid UTF-8. CRLF inside a quoted cell
    /// becomes LF.
    static func records(_ b: [UInt8]) -> Result<[Record], ReportIssue> {
        var out: [Record] = []
        var i = 0, line = 1
        let n = b.count
        while i < n {
            let recordLine = line
            var cells: [String] = []
            while true {
                var cell: [UInt8] = []
                if i < n, b[i] == 0x22 {
                    let start = line
                    i += 1
                    while true {
                        guard i < n else { return .failure(ReportIssue(line: start, .csvUnterminatedQuote)) }
                        let c = b[i]
                        if c == 0x22 {
                            if i + 1 < n, b[i + 1] == 0x22 { cell.append(0x22); i += 2; continue }
                            i += 1; break
                        }
                        if c == 0x0D, i + 1 < n, b[i + 1] == 0x0A { cell.append(0x0A); i += 2; line += 1; continue }
                        if c == 0x0A { line += 1 }
                        cell.append(c); i += 1
                    }
                    if i < n, b[i] != 0x2C, b[i] != 0x0A, !(b[i] == 0x0D && i + 1 < n && b[i + 1] == 0x0A) {
                        return .failure(ReportIssue(line: line, .csvTextAfterClosingQuote))
                    }
                } else {
                    while i < n, b[i] != 0x2C, b[i] != 0x0A {
                        if b[i] == 0x22 { return .failure(ReportIssue(line: line, .csvQuoteInUnquotedCell)) }
                        if b[i] == 0x0D {
                            guard i + 1 < n, b[i + 1] == 0x0A else { return .failure(ReportIssue(line: line, .csvBareCarriageReturn)) }
                            break
                        }
                        cell.append(b[i]); i += 1
                    }
                }
                cells.append(String(decoding: cell, as: UTF8.self))
                if i < n, b[i] == 0x2C { i += 1; continue }
                if i < n, b[i] == 0x0D { i += 1 }
                if i < n, b[i] == 0x0A { i += 1; line += 1 }
                break
            }
            out.append(Record(line: recordLine, cells: cells))
        }
        return .success(out)
    }

    /// The raw document (§8.2): header fields, then the column header, then rows.
    static func raw(_ b: [UInt8]) -> RawDocument {
        var doc = RawDocument(format: .csv)
        let records: [Record]
        switch ReportCSV.records(b) {
        case let .success(r): records = r.filter { $0.cells.contains { !$0.isEmpty } }
        case let .failure(issue): doc.issues.append(issue); doc.fatal = true; return doc
        }
        guard !records.isEmpty else { doc.issues.append(ReportIssue(.empty)); doc.fatal = true; return doc }
        doc.tablesPresent = ["exports", "imports", "measures"]
        let tableNames: Set<String> = ["exports", "imports", "measures"]
        if !records.contains(where: { $0.cells[0] == "table" }), let first = records.first(where: { tableNames.contains($0.cells[0]) }) {
            doc.issues.append(ReportIssue(line: first.line, .csvNoColumnHeader)); doc.fatal = true; return doc
        }
        var k = 0
        // Header fields.
        while k < records.count, records[k].cells[0] != "table" {
            let r = records[k]
            k += 1
            if r.cells[0].hasPrefix("#") { continue }
            let name = r.cells[0]
            if r.cells.count > 2, r.cells[2...].contains(where: { !$0.isEmpty }) {
                doc.issues.append(ReportIssue(table: "report", column: name, line: r.line, .csvExtraCells))
            }
            if doc.fieldNames[name] != nil {
                doc.issues.append(ReportIssue(table: "report", column: name, line: r.line, .duplicateField(name))); continue
            }
            doc.fieldNames[name] = r.line
            if r.cells.count > 1, !r.cells[1].isEmpty { doc.fields[name] = RawCell(value: .text(r.cells[1]), line: r.line) }
        }
        guard k < records.count else { return doc }
        // The column header.
        let header = records[k]
        k += 1
        var names = header.cells
        while names.last?.isEmpty == true { names.removeLast() }
        let schema = doc.fields["type"]?.value == .text("initial") ? ReportSchema.measureColumns : ReportSchema.tradeColumns
        var seen: Set<String> = []
        for name in names {
            if !schema.contains(where: { $0.name == name }) {
                doc.issues.append(ReportIssue(column: name, line: header.line, .unknownColumn(name)))
            } else if !seen.insert(name).inserted {
                doc.issues.append(ReportIssue(column: name, line: header.line, .duplicateColumn(name)))
            }
        }
        for el in schema where !seen.contains(el.name) {
            doc.issues.append(ReportIssue(column: el.name, line: header.line, .missingColumn))
        }
        if !doc.issues.filter({ $0.line == header.line }).isEmpty { doc.fatal = true; return doc }
        // Rows.
        var counts: [String: Int] = [:]
        for r in records[k...] {
            let table = r.cells[0]
            counts[table, default: 0] += 1
            let index = counts[table]!
            var row = RawRow(table: table, index: index, line: r.line, cells: [:])
            for (j, cell) in r.cells.enumerated() where !cell.isEmpty {
                guard j < names.count else {
                    doc.issues.append(ReportIssue(table: table, row: index, line: r.line, .csvExtraCells)); break
                }
                if j > 0 { row.cells[names[j]] = RawCell(value: .text(cell), line: nil) }
            }
            doc.rows.append(row)
        }
        return doc
    }
}
