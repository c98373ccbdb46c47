import Crypto
import Foundation
import Testing
import TestSupport
import Vault

@Suite("contacts documents")
struct ContactsDocumentTests {
    @Test("the example world's contacts parse, and their hashes are the ones the directory logged")
    func exampleContacts() throws {
        let root = Vectors.packageRoot.appendingPathComponent("keys-example")
        let state = try LocalDirectory(url: root.appendingPathComponent("directory")).state()
        for code in ["ARG", "AUS", "FRA", "JPN", "MEX", "NGA"] {
            let doc = try ContactsDocument(parsing: [UInt8](try Data(contentsOf: root.appendingPathComponent("contacts/\(code).txt"))))
            #expect(doc.contacts.count == 1)
            #expect(doc.contacts[0].emails.count == 1 && doc.contacts[0].validFrom.description == "2025-01-01")
            #expect(state.parties[try PartyCode(code)]?.contactsSHA256 == doc.sha256, "\(code)")
        }
    }

    @Test func strictParsing() throws {
        let good = "# comment\nname: A. Officer\ntitle: Head\nemail: a@example.org\nemail: b@example.org\ntelephone: +1 (555) 000-0000\nvalid-from: 2025-01-01\nvalid-until: 2026-01-01\n\nname: B. Officer\nemail: c@example.org\nvalid-from: 2025-06-01\n"
        let doc = try ContactsDocument(parsing: Array(good.utf8))
        #expect(doc.contacts.map(\.name) == ["A. Officer", "B. Officer"])
        #expect(doc.contacts[0].emails == ["a@example.org", "b@example.org"])
        let bad: [(String, String)] = [
            ("no name first", "email: a@b.c\nvalid-from: 2025-01-01\n"),
            ("no email", "name: X\nvalid-from: 2025-01-01\n"),
            ("no valid-from", "name: X\nemail: a@b.c\n"),
            ("unknown field", "name: X\nemail: a@b.c\nvalid-from: 2025-01-01\nfax: 1\n"),
            ("repeated title", "name: X\ntitle: a\ntitle: b\nemail: a@b.c\nvalid-from: 2025-01-01\n"),
            ("bad email", "name: X\nemail: not-an-address\nvalid-from: 2025-01-01\n"),
            ("bad phone", "name: X\nemail: a@b.c\ntelephone: call me\nvalid-from: 2025-01-01\n"),
            ("bad date", "name: X\nemail: a@b.c\nvalid-from: 2025-02-30\n"),
            ("until before from", "name: X\nemail: a@b.c\nvalid-from: 2025-02-01\nvalid-until: 2025-01-01\n"),
            ("no space after colon", "name:X\nemail: a@b.c\nvalid-from: 2025-01-01\n"),
            ("empty", "# nothing\n"),
        ]
        for (why, text) in bad {
            #expect(throws: ContactsDocument.Error.self, "\(why)") { try ContactsDocument(parsing: Array(text.utf8)) }
        }
        #expect(throws: ContactsDocument.Error.tooLarge) { try ContactsDocument(parsing: [UInt8](repeating: 0x23, count: 64 * 1024 + 1)) }
    }
}
