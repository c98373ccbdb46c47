import Foundation
import Testing
import TestSupport
import Vault

/// Points of contact as CSV (RFC 4180) and vCard 4.0 (RFC 6350): quoting, escaping,
/// folding at 75 octets without splitting UTF-8, formula neutralising (docs/FORMATS.md §9.3).
@Suite("contacts export")
struct ContactsExportTests {
    func document(_ text: String) throws -> ContactsDocument { try ContactsDocument(parsing: Array(text.utf8)) }

    func example(_ party: String) throws -> ContactsDocument {
        try ContactsDocument(parsing: [UInt8](try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("keys-example/contacts/\(party).txt"))))
    }

    /// Two contacts with every field, and values that need quoting and escaping.
    func tricky() throws -> ContactsExport.Entry {
        let doc = try document("""
            name: Doe, Jane "JD"
            title: Head; Export\\Control
            ministry: =HYPERLINK("http://evil.invalid")
            email: jane@example.invalid
            email: +jd@example.invalid
            telephone: +00 1 (234) 5678
            telephone: 0000-1
            address: 1 Rue, Paris
            valid-from: 2025-01-01
            valid-until: 2026-12-31
            name: Li Wei
            email: li@example.invalid
            valid-from: 2025-02-01

            """)
        return ContactsExport.Entry(party: try PartyCode("FRA"), partyName: "France", document: doc)
    }

    @Test("CSV: header, one record per contact, CRLF, RFC 4180 quoting, lists joined, formulas neutralised")
    func csv() throws {
        let text = String(decoding: ContactsExport.csv([try tricky()]), as: UTF8.self)
        #expect(text == "party,party_name,name,title,ministry,email,telephone,address,valid_from,valid_until\r\n"
                + "FRA,France,\"Doe, Jane \"\"JD\"\"\",Head; Export\\Control,\"'=HYPERLINK(\"\"http://evil.invalid\"\")\",jane@example.invalid; +jd@example.invalid,+00 1 (234) 5678; 0000-1,\"1 Rue, Paris\",2025-01-01,2026-12-31\r\n"
                + "FRA,France,Li Wei,,,li@example.invalid,,,2025-02-01,\r\n")
        // The example world's documents: one record each, the validity last.
        let entries = try ["FRA", "NGA"].map { ContactsExport.Entry(party: try PartyCode($0), partyName: $0 == "FRA" ? "France" : "Nigeria", document: try example($0)) }
        let lines = String(decoding: ContactsExport.csv(entries), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.count == 4 && lines[3] == "")
        #expect(lines[1].hasPrefix("FRA,France,Example Officer (FRA),") && lines[1].hasSuffix(",\"Example Street 1, Example City\",2025-01-01,"))
        #expect(lines[2].hasPrefix("NGA,Nigeria,"))
    }

    @Test("CSV read back by Python's csv module gives the cells")
    func csvPython() async throws {
        let python = try ProcessRunner.require("python3")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("c.csv")
        try Data(ContactsExport.csv([try tricky()])).write(to: path)
        let r = try await ProcessRunner.run(python, ["-c", "import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))", path.path])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [[String]])
        #expect(rows.count == 3)
        #expect(rows[1][2] == "Doe, Jane \"JD\"")
        #expect(rows[1][4] == "'=HYPERLINK(\"http://evil.invalid\")")
        #expect(rows[1][5] == "jane@example.invalid; +jd@example.invalid")
        #expect(rows[1][7] == "1 Rue, Paris")
        #expect(rows[2][9] == "")
    }

    @Test("vCard 4.0: one card per contact, escaped values, ORG the party")
    func vcard() throws {
        let text = String(decoding: ContactsExport.vcard([try tricky()]), as: UTF8.self)
        #expect(text.components(separatedBy: "BEGIN:VCARD\r\nVERSION:4.0\r\n").count == 3)
        #expect(text.components(separatedBy: "END:VCARD\r\n").count == 3)
        #expect(text.hasSuffix("END:VCARD\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF only")
        #expect(text.contains("\r\nFN:Doe\\, Jane \"JD\"\r\n"))
        #expect(text.contains("\r\nORG:France;=HYPERLINK(\"http://evil.invalid\")\r\n"))
        #expect(text.contains("\r\nTITLE:Head\\; Export\\\\Control\r\n"))
        #expect(text.contains("\r\nEMAIL:jane@example.invalid\r\nEMAIL:+jd@example.invalid\r\n"))
        #expect(text.contains("\r\nTEL;VALUE=text:+00 1 (234) 5678\r\nTEL;VALUE=text:0000-1\r\n"))
        #expect(text.contains("\r\nADR:;;1 Rue\\, Paris;;;;\r\n"))
        #expect(text.contains("\r\nNOTE:Valid from 2025-01-01 until 2026-12-31\r\n"))
        #expect(text.contains("\r\nORG:France\r\n"), "no ministry: the party alone")
        #expect(text.contains("\r\nCATEGORIES:ATT national point of contact\\,FRA\r\n") == false)
        #expect(text.contains("\r\nCATEGORIES:ATT national point of contact,FRA\r\n"))
        #expect(ContactsExport.escape("a\\b,c;d\ne") == "a\\\\b\\,c\\;d\\ne")
    }

    @Test("folding: at most 75 octets a line, continuations start with one space, UTF-8 never split, unfolding restores")
    func folding() throws {
        for line in ["X:" + String(repeating: "a", count: 200), "NOTE:" + String(repeating: "é", count: 100), "FN:" + String(repeating: "日本", count: 60),
                     "SHORT:ok", "EXACT:" + String(repeating: "b", count: 69), "OVER:" + String(repeating: "c", count: 71)] {
            let folded = ContactsExport.fold(line)
            #expect(folded.suffix(2) == [0x0D, 0x0A])
            let physical = folded.dropLast(2).split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
            for (i, p) in physical.enumerated() {
                let content = i < physical.count - 1 ? Array(p.dropLast()) : p
                if i < physical.count - 1 { #expect(p.last == 0x0D) }
                #expect(content.count <= 75, "line \(i) of \(line.prefix(8)) has \(content.count) octets")
                #expect(String(validating: content, as: UTF8.self) != nil, "a UTF-8 sequence was split")
                if i > 0 { #expect(content.first == 0x20 && content.dropFirst().first != 0x20) }
            }
            // RFC 6350 §3.2 unfolding: remove every CRLF followed by one space.
            let unfolded = String(decoding: folded, as: UTF8.self).replacingOccurrences(of: "\r\n ", with: "")
            #expect(unfolded == line + "\r\n")
            #expect(line.utf8.count <= 75 ? physical.count == 1 : physical.count > 1)
        }
        #expect(ContactsExport.fold("EXACT:" + String(repeating: "b", count: 69)).count == 77, "75 octets: not folded")
        #expect(ContactsExport.fold("OVER:" + String(repeating: "c", count: 71)).count == 75 + 2 + 1 + 1 + 2, "76 octets: folded once, the last octet on a continuation")
    }
}
