/// Points of contact exported for other tools (docs/FORMATS.md §9.3): CSV (RFC 4180) for
/// spreadsheets and vCard 4.0 (RFC 6350) for address books. Pure: documents in, bytes out.
public enum ContactsExport {
    /// One party's verified document, with the party's name from the directory.
    public struct Entry: Sendable {
        public let party: PartyCode
        public let partyName: String
        public let document: ContactsDocument
        public init(party: PartyCode, partyName: String, document: ContactsDocument) {
            self.party = party; self.partyName = partyName; self.document = document
        }
    }

    public static let csvColumns = ["party", "party_name", "name", "title", "ministry", "email", "telephone", "address",
                                    "valid_from", "valid_until"]

    /// RFC 4180: a header record, then one record per contact, in the order given; CRLF
    /// after every record; a cell quoted with `"` when it holds `,` `"` CR or LF, a `"`
    /// inside doubled. Several e-mail addresses or telephone numbers are joined with `; `.
    /// A free-text cell that a spreadsheet would take for a formula (starting with `=` `+`
    /// `-` `@` TAB or CR) is prefixed with `'`; telephone numbers, whose alphabet is
    /// `+0-9 -()`, are left as they are.
    public static func csv(_ entries: [Entry]) -> [UInt8] {
        var out = csvRecord(csvColumns)
        for e in entries {
            for c in e.document.contacts {
                out += csvRecord([
                    e.party.rawValue, neutralise(e.partyName), neutralise(c.name), neutralise(c.title ?? ""), neutralise(c.ministry ?? ""),
                    neutralise(c.emails.joined(separator: "; ")), c.telephones.joined(separator: "; "), neutralise(c.address ?? ""),
                    c.validFrom.description, c.validUntil?.description ?? "",
                ])
            }
        }
        return Array(out.utf8)
    }

    static func csvRecord(_ cells: [String]) -> String {
        cells.map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
                ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",") + "\r\n"
    }

    static func neutralise(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }

    /// vCard 4.0: one `VCARD` per contact, in the order given, CRLF line ends, lines folded
    /// at 75 octets. Properties: `VERSION`, `KIND:individual`, `FN` (the name), `ORG` (the
    /// party's name, and the ministry as its unit), `TITLE`, one `EMAIL` each, one
    /// `TEL;VALUE=text` each, `ADR` (the address as its street component), `NOTE` (the
    /// validity) and `CATEGORIES:ATT national point of contact,<party code>`.
    public static func vcard(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            for c in e.document.contacts {
                var lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:individual", "FN:" + escape(c.name),
                             "ORG:" + escape(e.partyName) + (c.ministry.map { ";" + escape($0) } ?? "")]
                if let t = c.title { lines.append("TITLE:" + escape(t)) }
                for m in c.emails { lines.append("EMAIL:" + escape(m)) }
                for t in c.telephones { lines.append("TEL;VALUE=text:" + escape(t)) }
                if let a = c.address { lines.append("ADR:;;" + escape(a) + ";;;;") }
                lines.append("NOTE:" + escape("Valid from \(c.validFrom)" + (c.validUntil.map { " until \($0)" } ?? "")))
                lines.append("CATEGORIES:ATT national point of contact," + e.party.rawValue)
                lines.append("END:VCARD")
                for l in lines { out += fold(l) }
            }
        }
        return out
    }

    /// RFC 6350 §3.4: `\` `,` `;` and newlines escaped in a text value (or a component).
    public static func escape(_ text: String) -> String {
        var s = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": s += "\\\\"
            case ",": s += "\\,"
            case ";": s += "\\;"
            case "\n": s += "\\n"
            case "\r": continue
            default: s.unicodeScalars.append(ch)
            }
        }
        return s
    }

    /// RFC 6350 §3.2: a content line as lines of at most 75 octets (line break excluded),
    /// each continuation starting with one SP, never splitting a UTF-8 sequence; CRLF after each.
    public static func fold(_ line: String) -> [UInt8] {
        let bytes = Array(line.utf8)
        var out: [UInt8] = []
        var start = 0
        var first = true
        while true {
            let room = first ? 75 : 74
            var end = min(bytes.count, start + room)
            // Back up to the start of a UTF-8 sequence (never past `start`).
            while end < bytes.count, end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            if !first { out.append(0x20) }
            out += bytes[start..<end]
            out += [0x0D, 0x0A]
            start = end
            first = false
            if start >= bytes.count { return out }
        }
    }
}
