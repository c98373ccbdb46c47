/// Structured reports as JSON (docs/FORMATS.md §8.3): one object, header fields as
/// members, each table an array of row objects. `canonical` is the byte-exact form a
/// sealed report uses: sorted keys, no insignificant white space, every key present.
public enum ReportJSON {
    /// A JSON value to write.
    public indirect enum Value: Equatable, Sendable {
        case object([String: Value]), array([Value]), string(String), integer(Int64), bool(Bool), null

        /// Sorted keys, no white space, minimal escapes; no trailing newline.
        public var compact: String {
            switch self {
            case let .object(o): return "{" + o.keys.sorted(by: utf8Less).map { quote($0) + ":" + o[$0]!.compact }.joined(separator: ",") + "}"
            case let .array(a): return "[" + a.map(\.compact).joined(separator: ",") + "]"
            default: return scalar
            }
        }

        /// Sorted keys, two-space indentation, `"key": value`; no trailing newline.
        public func pretty(_ indent: String = "") -> String {
            let inner = indent + "  "
            switch self {
            case let .object(o) where !o.isEmpty:
                return "{\n" + o.keys.sorted(by: utf8Less).map { inner + quote($0) + ": " + o[$0]!.pretty(inner) }.joined(separator: ",\n") + "\n" + indent + "}"
            case let .array(a) where !a.isEmpty:
                return "[\n" + a.map { inner + $0.pretty(inner) }.joined(separator: ",\n") + "\n" + indent + "]"
            case .object: return "{}"
            case .array: return "[]"
            default: return scalar
            }
        }

        var scalar: String {
            switch self {
            case let .string(s): return quote(s)
            case let .integer(i): return String(i)
            case let .bool(b): return b ? "true" : "false"
            default: return "null"
            }
        }
    }

    static func utf8Less(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    /// `"` and `\` escaped, LF as `\n`, other control characters as `\u00XX`; all else as UTF-8.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    // MARK: Models to JSON

    public static func value(_ r: AnnualReport) -> Value {
        func opt(_ s: String?) -> Value { s.map(Value.string) ?? .null }
        var o: [String: Value] = [
            "format": .string(ReportSchema.formatIdentifier), "type": .string("annual"), "part": .string(r.part.rawValue),
            "party": .string(r.party.rawValue), "year": .integer(Int64(r.year)), "version": .integer(Int64(r.version)),
            "currency": opt(r.currency), "national_definitions": opt(r.nationalDefinitions),
            "withheld": .bool(r.withheld), "withheld_note": opt(r.withheldNote),
        ]
        for kind in r.part.tables {
            let t = r.tables[kind] ?? TradeTable()
            o["nil_" + kind.rawValue] = .bool(t.isNil)
            o[kind.rawValue] = .array(t.rows.map { row in
                .object(["category": .string(row.category.rawValue), "subtype": opt(row.subtype?.rawValue),
                         "state": .string(row.state.rawValue), "items": row.items.map(Value.integer) ?? .null,
                         "value": row.value.map(Value.integer) ?? .null, "basis": .string(row.basis.rawValue),
                         "origin": opt(row.origin?.rawValue), "description": opt(row.description), "comments": opt(row.comments)])
            })
        }
        return .object(o)
    }

    public static func value(_ r: InitialReport) -> Value {
        func opt(_ s: String?) -> Value { s.map(Value.string) ?? .null }
        return .object([
            "format": .string(ReportSchema.formatIdentifier), "type": .string("initial"), "party": .string(r.party.rawValue),
            "year": .integer(Int64(r.year)), "version": .integer(Int64(r.version)), "national_definitions": opt(r.nationalDefinitions),
            "measures": .array(r.measures.map { m in
                .object(["provision": .string(m.provision.rawValue), "in_place": .string(m.inPlace.rawValue),
                         "measures": opt(m.measures), "reference": opt(m.reference), "comments": opt(m.comments)])
            }),
        ])
    }

    /// The canonical form: compact, sorted keys, every key present, then one LF.
    public static func canonical(_ r: AnnualReport) -> [UInt8] { Array((value(r).compact + "\n").utf8) }
    public static func canonical(_ r: InitialReport) -> [UInt8] { Array((value(r).compact + "\n").utf8) }
    /// The pretty form (templates, examples): same content, indented, then one LF.
    public static func pretty(_ r: AnnualReport) -> [UInt8] { Array((value(r).pretty() + "\n").utf8) }
    public static func pretty(_ r: InitialReport) -> [UInt8] { Array((value(r).pretty() + "\n").utf8) }

    // MARK: Parsing (RFC 8259, strict)

    indirect enum Parsed {
        case object([(key: String, node: Node)]), array([Node]), string(String), number(String), bool(Bool), null
    }
    struct Node { let value: Parsed; let line: Int }

    struct SyntaxError: Error { let line: Int; let problem: ReportProblem }

    struct Parser {
        let b: [UInt8]
        var i = 0
        var line = 1

        init(_ bytes: [UInt8]) { b = bytes }

        mutating func skipSpace() {
            while i < b.count {
                switch b[i] {
                case 0x20, 0x09, 0x0D: i += 1
                case 0x0A: i += 1; line += 1
                default: return
                }
            }
        }

        func error(_ what: String) -> SyntaxError { SyntaxError(line: line, problem: .jsonSyntax(what)) }

        mutating func document() throws -> Node {
            skipSpace()
            guard i < b.count else { throw SyntaxError(line: line, problem: .empty) }
            let v = try value(depth: 0)
            skipSpace()
            guard i == b.count else { throw error("text after the end of the value") }
            return v
        }

        mutating func value(depth: Int) throws -> Node {
            guard depth < ReportLimits.maxJSONDepth else { throw SyntaxError(line: line, problem: .jsonTooDeep) }
            skipSpace()
            guard i < b.count else { throw error("unexpected end of input") }
            let start = line
            switch b[i] {
            case 0x7B:
                i += 1
                var members: [(key: String, node: Node)] = []
                var keys: Set<String> = []
                skipSpace()
                if i < b.count, b[i] == 0x7D { i += 1; return Node(value: .object(members), line: start) }
                while true {
                    skipSpace()
                    guard i < b.count, b[i] == 0x22 else { throw error("expected a key in double quotes") }
                    let keyLine = line
                    let key = try string()
                    guard keys.insert(key).inserted else { throw SyntaxError(line: keyLine, problem: .jsonDuplicateKey(key)) }
                    skipSpace()
                    guard i < b.count, b[i] == 0x3A else { throw error("expected ':' after a key") }
                    i += 1
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard i < b.count else { throw error("unexpected end of input in an object") }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x7D { i += 1; return Node(value: .object(members), line: start) }
                    throw error("expected ',' or '}'")
                }
            case 0x5B:
                i += 1
                var items: [Node] = []
                skipSpace()
                if i < b.count, b[i] == 0x5D { i += 1; return Node(value: .array(items), line: start) }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < b.count else { throw error("unexpected end of input in an array") }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x5D { i += 1; return Node(value: .array(items), line: start) }
                    throw error("expected ',' or ']'")
                }
            case 0x22: return Node(value: .string(try string()), line: start)
            case 0x74: try literal("true"); return Node(value: .bool(true), line: start)
            case 0x66: try literal("false"); return Node(value: .bool(false), line: start)
            case 0x6E: try literal("null"); return Node(value: .null, line: start)
            case 0x2D, 0x30...0x39: return Node(value: .number(try number()), line: start)
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard i + w.count <= b.count, Array(b[i..<(i + w.count)]) == w else { throw error("bad literal") }
            i += w.count
        }

        mutating func number() throws -> String {
            let start = i
            func digits() -> Int { let s = i; while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }; return i - s }
            if b[i] == 0x2D { i += 1 }
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { throw error("bad number") }
            if b[i] == 0x30 { i += 1; if i < b.count, b[i] >= 0x30, b[i] <= 0x39 { throw error("number with a leading zero") } } else { _ = digits() }
            if i < b.count, b[i] == 0x2E { i += 1; guard digits() > 0 else { throw error("bad number") } }
            if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
                i += 1
                if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                guard digits() > 0 else { throw error("bad number") }
            }
            return String(decoding: b[start..<i], as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= b.count else { throw error("bad \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw error("bad \\u escape")
                }
                v = v * 16 + d; i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1
            var out: [UInt8] = []
            while true {
                guard i < b.count else { throw error("unterminated string") }
                let c = b[i]
                if c == 0x22 { i += 1; return String(decoding: out, as: UTF8.self) }
                if c < 0x20 { throw error("control character in a string (escape it)") }
                if c != 0x5C { out.append(c); i += 1; continue }
                i += 1
                guard i < b.count else { throw error("unterminated string") }
                let e = b[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var u = try hex4()
                    if (0xD800...0xDBFF).contains(u) {
                        guard i + 1 < b.count, b[i] == 0x5C, b[i + 1] == 0x75 else { throw error("lone surrogate in \\u escape") }
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00...0xDFFF).contains(lo) else { throw error("lone surrogate in \\u escape") }
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(u) { throw error("lone surrogate in \\u escape") }
                    out += Array(String(Character(Unicode.Scalar(u)!)).utf8)
                default: throw error("bad escape")
                }
            }
        }
    }

    /// The raw document (§8.3).
    static func raw(_ bytes: [UInt8]) -> RawDocument {
        var doc = RawDocument(format: .json)
        var parser = Parser(bytes)
        let root: Node
        do { root = try parser.document() } catch let e as SyntaxError {
            doc.issues.append(ReportIssue(line: e.line, e.problem)); doc.fatal = true; return doc
        } catch { doc.fatal = true; return doc }
        guard case let .object(members) = root.value else {
            doc.issues.append(ReportIssue(line: root.line, .jsonSyntax("the report must be one JSON object"))); doc.fatal = true; return doc
        }
        let type = members.first { $0.key == "type" }.flatMap { m -> String? in if case let .string(s) = m.node.value { return s }; return nil }
        let tables = type.map { StructuredReportType(rawValue: $0).map(ReportSchema.tables(for:)) ?? [] } ?? []
        for (key, node) in members {
            guard tables.contains(key) else {
                doc.fieldNames[key] = node.line
                if let v = scalar(node) { doc.fields[key] = RawCell(value: v, line: node.line) }
                continue
            }
            guard case let .array(items) = node.value else {
                doc.issues.append(ReportIssue(table: "report", column: key, line: node.line,
                                              .wrongType(expected: "an array of rows", found: scalar(node)?.kindName ?? "null")))
                continue
            }
            doc.tablesPresent.insert(key)
            for (index, item) in items.enumerated() {
                guard case let .object(cells) = item.value else {
                    doc.issues.append(ReportIssue(table: key, row: index + 1, line: item.line,
                                                  .wrongType(expected: "a row object", found: scalar(item)?.kindName ?? "null")))
                    continue
                }
                var row = RawRow(table: key, index: index + 1, line: item.line, cells: [:])
                for (name, cell) in cells {
                    if name == "table" {
                        // The array says the table; a `table` member is not part of a JSON row.
                        doc.issues.append(ReportIssue(table: key, row: index + 1, column: name, line: cell.line, .unknownColumn(name))); continue
                    }
                    if let v = scalar(cell) { row.cells[name] = RawCell(value: v, line: cell.line) }
                    else if !ReportSchema.columns(for: StructuredReportType(rawValue: type ?? "") ?? .annual).contains(where: { $0.name == name }) {
                        doc.issues.append(ReportIssue(table: key, row: index + 1, column: name, line: cell.line, .unknownColumn(name)))
                    }
                }
                doc.rows.append(row)
            }
        }
        return doc
    }

    /// A member as a raw value; nil for null and "" (absent, as an empty CSV cell).
    static func scalar(_ n: Node) -> RawValue? {
        switch n.value {
        case let .string(s): return s.isEmpty ? nil : .text(s)
        case let .number(s): return .number(s)
        case let .bool(b): return .bool(b)
        case .null: return nil
        case .object: return .structure("an object")
        case .array: return .structure("an array")
        }
    }
}
