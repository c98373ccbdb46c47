import Crypto
import Testing
@testable import Vault

@Suite("statement text")
struct StatementParsingTests {
    /// A fixed key line (a real minisign key and age recipient).
    static let keyLine: String = {
        // A minisign key from a fixed seed and key id; the age recipient of FORMATS.md §1.2.1.
        let sk = try! MinisignSecretKey.fromSeed(SecureBytes(copying: SHA256.hash(Array("statement test key".utf8))),
                                                 keyID: [0x1F, 0xE8, 0xB4, 0x42, 0x18, 0x0F, 0x62, 0xE7])
        let age = "age1jxcuzx9nhtftda783uu3cqqr06t8sh7d5wupy073s66vf7m735fsr04f4x"
        return "key officer-1 \(sk.publicKey.keyIDString) \(sk.publicKey.base64) \(age) 2026-01-01T00:00:00Z -"
    }()

    static var keyID: String { String(keyLine.split(separator: " ")[2]) }

    static func text(_ lines: [String]) -> String { lines.map { $0 + "\n" }.joined() }

    static let enrolLines = ["att-report/statement/v1", "type enrol", "party FRA", "time 2026-01-01T10:00:00Z",
                             "name France", "role state-party", "in-force 2014-12-24", keyLine]

    static func all() throws -> [Statement] {
        let key = try #require(try Statement(parsing: text(enrolLines)).body.dirEnrolKey)
        let fra = try PartyCode("FRA")
        let t = try UTCTime(parsing: "2026-12-04T10:00:00Z")
        return [
            try .enrol(party: fra, name: "République française = 100% \"FR\"", role: .stateParty,
                       inForce: try CivilDate(parsing: "2014-12-24"), key: key, time: t),
            try .enrol(party: try PartyCode("SEC"), name: "ATT Secretariat", role: .secretariat, inForce: nil, key: key, time: t),
            try .addKey(party: fra, key: key, time: t),
            try .addKey(party: fra, key: try PartyKey(label: "laptop", signingKey: key.signingKey, recipient: key.recipient,
                                                      created: t, expires: UTCTime(seconds: t.seconds + 86_400)), time: t),
            try .rotateKey(party: fra, replacing: "0123456789ABCDEF", with: key, time: t),
            try .revokeKey(party: fra, keyID: "0123456789ABCDEF", reason: "laptop lost", time: t),
            try .setContacts(party: fra, document: Array("FRA contacts\n".utf8), time: t),
            try .setPreference(party: fra, [.assistanceOffer: .public, .initial: .statesParties, .message: .selected], time: t),
            try .setPreference(party: fra, [.annual: .secretariat], time: t),
            try .setRole(party: fra, role: .signatory, inForce: nil, time: t),
            try .setRole(party: fra, role: .auditor, inForce: try CivilDate(parsing: "2027-01-31"), time: t),
        ]
    }

    @Test func everyTypeRoundTrips() throws {
        for s in try Self.all() {
            let text = s.text
            let back = try Statement(parsing: text)
            #expect(back == s)
            #expect(back.text == text)
            #expect(try Statement(parsing: Array(text.utf8)) == s)
        }
    }

    @Test func exactLayout() throws {
        let s = try Statement(parsing: Self.text(Self.enrolLines))
        #expect(s.text == Self.text(Self.enrolLines))
        #expect(s.type == .enrol && s.party.rawValue == "FRA" && s.time.description == "2026-01-01T10:00:00Z")
        let prefs = try Statement.setPreference(party: s.party, [.message: .selected, .initial: .public], time: s.time)
        #expect(prefs.text == Self.text(["att-report/statement/v1", "type set-preference", "party FRA", "time 2026-01-01T10:00:00Z",
                                         "preference initial public", "preference message selected"]))
        let revoke = try Statement.revokeKey(party: s.party, keyID: Self.keyID, reason: "key=lost 50% of the time", time: s.time)
        #expect(revoke.text.hasSuffix("\nkey-id \(Self.keyID)\nreason key%3Dlost%2050%25%20of%20the%20time\n"))
        let contacts = try Statement.setContacts(party: s.party, document: [], time: s.time)
        #expect(contacts.text.hasSuffix("\ncontacts-sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"))
    }

    @Test func textValues() {
        #expect(Statement.encodeText("Côte d’Ivoire") == "Côte%20d’Ivoire")
        #expect(Statement.encodeText("a=b 100%") == "a%3Db%20100%25")
        for s in ["Côte d’Ivoire", "a=b 100%", "%%", "x", "日本"] {
            #expect(Statement.decodeText(Statement.encodeText(s)) == s)
        }
        for bad in ["%41", "%3d", "%2", "a=b", "a b", "%"] { #expect(Statement.decodeText(bad) == nil, "\(bad)") }
        #expect(Statement.isValidText(String(repeating: "é", count: 128)))
        #expect(!Statement.isValidText(String(repeating: "é", count: 128) + "x"))
        #expect(!Statement.isValidText(""))
        #expect(!Statement.isValidText("tab\there"))
        #expect(!Statement.isValidText("c1\u{85}control"))
    }

    /// Replaces line `i` (0-based) of the enrol text, or removes it (nil), or inserts lines.
    static func enrol(replacing i: Int, with line: String?) -> String {
        var l = enrolLines
        if let line { l[i] = line } else { l.remove(at: i) }
        return text(l)
    }

    static func enrol(inserting line: String, at i: Int) -> String {
        var l = enrolLines
        l.insert(line, at: i)
        return text(l)
    }

    @Test func refusesUnknownFields() {
        #expect(throws: StatementError.unknownField(line: 9, name: "comment")) { try Statement(parsing: Self.enrol(inserting: "comment hi", at: 8)) }
        #expect(throws: StatementError.unknownField(line: 5, name: "nom")) { try Statement(parsing: Self.enrol(replacing: 4, with: "nom France")) }
        // A field of another statement type is unknown here.
        #expect(throws: StatementError.unknownField(line: 6, name: "reason")) { try Statement(parsing: Self.enrol(inserting: "reason x", at: 5)) }
        #expect(throws: StatementError.unknownField(line: 2, name: "kind")) { try Statement(parsing: Self.enrol(replacing: 1, with: "kind enrol")) }
    }

    @Test func refusesMissingFields() {
        #expect(throws: StatementError.missingField("name")) { try Statement(parsing: Self.enrol(replacing: 4, with: nil)) }
        #expect(throws: StatementError.missingField("key")) { try Statement(parsing: Self.enrol(replacing: 7, with: nil)) }
        #expect(throws: StatementError.missingField("time")) { try Statement(parsing: Self.enrol(replacing: 3, with: nil)) }
        #expect(throws: StatementError.missingField("type")) { try Statement(parsing: Self.enrol(replacing: 1, with: nil)) }
        #expect(throws: StatementError.missingField("preference")) {
            try Statement(parsing: Self.text(["att-report/statement/v1", "type set-preference", "party FRA", "time 2026-01-01T10:00:00Z"]))
        }
        // Out of order: `role` before `name` means `name` is missing where it was due.
        var swapped = Self.enrolLines
        swapped.swapAt(4, 5)
        #expect(throws: StatementError.missingField("name")) { try Statement(parsing: Self.text(swapped)) }
    }

    @Test func refusesRepeatedFields() {
        #expect(throws: StatementError.repeatedField(line: 6, name: "name")) { try Statement(parsing: Self.enrol(inserting: "name France", at: 5)) }
        #expect(throws: StatementError.repeatedField(line: 5, name: "time")) { try Statement(parsing: Self.enrol(inserting: "time 2026-01-01T10:00:00Z", at: 4)) }
        #expect(throws: StatementError.repeatedField(line: 9, name: "key")) { try Statement(parsing: Self.enrol(inserting: Self.keyLine, at: 8)) }
        #expect(throws: StatementError.repeatedField(line: 3, name: "type")) { try Statement(parsing: Self.enrol(inserting: "type enrol", at: 2)) }
        let prefs = ["att-report/statement/v1", "type set-preference", "party FRA", "time 2026-01-01T10:00:00Z"]
        #expect(throws: StatementError.invalidValue(line: 6, field: "preference", reason: "report type annual given twice")) {
            try Statement(parsing: Self.text(prefs + ["preference annual public", "preference annual selected"]))
        }
        #expect(throws: StatementError.invalidValue(line: 6, field: "preference", reason: "report types are not in the order of §5.1")) {
            try Statement(parsing: Self.text(prefs + ["preference message public", "preference annual selected"]))
        }
    }

    @Test func refusesBadValues() {
        func bad(_ i: Int, _ line: String, _ field: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(sourceLocation: sourceLocation, performing: { try Statement(parsing: Self.enrol(replacing: i, with: line)) },
                    throws: { e in
                        guard case let .invalidValue(line: n, field: f, reason: _) = e as? StatementError else { return false }
                        return n == i + 1 && f == field
                    })
        }
        bad(1, "type enroll", "type")
        bad(1, "type", "type")
        bad(2, "party fra", "party")
        bad(2, "party FR", "party")
        bad(2, "party FRA ", "party")
        bad(2, "party  FRA", "party")
        bad(3, "time 2026-01-01T10:00:00", "time")
        bad(3, "time 2026-01-01 10:00:00Z", "time")
        bad(3, "time 2026-02-30T10:00:00Z", "time")
        bad(4, "name France%41", "name")
        bad(4, "name a=b", "name")
        bad(4, "name République française", "name")
        bad(4, "name " + String(repeating: "x", count: 257), "name")
        bad(5, "role observer", "role")
        bad(5, "role State-Party", "role")
        bad(6, "in-force 2014-12-32", "in-force")
        bad(6, "in-force 14-12-24", "in-force")
        bad(6, "in-force", "in-force")
        let f = Self.keyLine.split(separator: " ").map(String.init)
        func key(_ i: Int, _ v: String) -> String { var g = f; g[i] = v; return g.joined(separator: " ") }
        bad(7, key(1, "Officer"), "key")                                   // label
        bad(7, key(2, f[2].lowercased()), "key")                           // key id case
        bad(7, key(2, "0123456789ABCDEF"), "key")                          // key id not the key's
        bad(7, key(3, String(f[3].dropLast())), "key")                     // base64 truncated
        bad(7, key(3, String(f[3].dropLast(2)) + "k="), "key")             // non-canonical base64 (stray bits)
        bad(7, key(4, f[4].uppercased()), "key")                           // age recipient case
        bad(7, key(4, "age1qqqq"), "key")
        bad(7, key(5, "2026-01-01T00:00Z"), "key")
        bad(7, key(6, "2025-12-31T23:59:59Z"), "key")                      // expires before created
        bad(7, key(6, "2026-01-01T00:00:00Z"), "key")                      // expires when created
        bad(7, key(6, ""), "key")                                          // trailing space
        bad(7, Self.keyLine + " extra", "key")
    }

    @Test func refusesOtherTypesBadValues() {
        let head = ["att-report/statement/v1", "party FRA", "time 2026-01-01T10:00:00Z"]
        func parse(_ type: String, _ fields: [String]) throws -> Statement {
            try Statement(parsing: Self.text([head[0], "type " + type] + head[1...] + fields))
        }
        #expect(throws: StatementError.invalidValue(line: 5, field: "contacts-sha256", reason: "not 64 lower-case hex digits")) {
            try parse("set-contacts", ["contacts-sha256 " + String(repeating: "A", count: 64)])
        }
        #expect(throws: StatementError.invalidValue(line: 5, field: "key-id", reason: "not a key id (16 upper-case hex digits)")) {
            try parse("revoke-key", ["key-id 0123456789abcdef", "reason lost"])
        }
        #expect(throws: StatementError.invalidValue(line: 6, field: "key", reason: "a key cannot replace itself")) {
            try parse("rotate-key", ["replaces \(Self.keyID)", Self.keyLine])
        }
        #expect(throws: StatementError.invalidValue(line: 5, field: "preference", reason: "unknown disclosure level \"everyone\"")) {
            try parse("set-preference", ["preference annual everyone"])
        }
        #expect(throws: StatementError.invalidValue(line: 5, field: "preference", reason: "expected 2 values, got 1")) {
            try parse("set-preference", ["preference annual"])
        }
        #expect(throws: StatementError.invalidValue(line: 2, field: "type", reason: "unknown statement type")) {
            try parse("delete-party", [])
        }
        #expect(throws: StatementError.unknownField(line: 6, name: "key")) {
            try parse("set-contacts", ["contacts-sha256 " + String(repeating: "a", count: 64), Self.keyLine])
        }
        #expect(throws: StatementError.missingField("reason")) { try parse("revoke-key", ["key-id 0123456789ABCDEF"]) }
    }

    @Test func refusesBadText() {
        let good = Self.text(Self.enrolLines)
        #expect(throws: StatementError.wrongHeader) { try Statement(parsing: "att-report/statement/v2\n" + good.drop { $0 != "\n" }.dropFirst()) }
        #expect(throws: StatementError.malformedLine(line: 9, reason: "empty line")) { try Statement(parsing: good + "\n") }
        #expect(throws: StatementError.malformedLine(line: 8, reason: "does not end with a newline")) { try Statement(parsing: String(good.dropLast())) }
        #expect(throws: StatementError.invalidCharacters("control character U+D")) {
            try Statement(parsing: good.dirReplacingFirst("\n", with: "\r\n"))
        }
        #expect(throws: StatementError.invalidCharacters("not valid UTF-8")) { try Statement(parsing: Array(good.utf8) + [0xC3, 0x0A]) }
        let huge = Array(good.utf8) + [UInt8](repeating: 0x41, count: Statement.maxSize)
        #expect(throws: StatementError.tooLarge(size: huge.count, limit: Statement.maxSize)) { try Statement(parsing: huge) }
        // Signed statements: the note must be a signed note, at most 16 KiB.
        #expect(throws: StatementError.note(.malformedNote("no blank line between text and signatures"))) {
            try SignedStatement(parsing: Array(good.utf8))
        }
    }

    @Test func refusesUnwritableStatements() throws {
        let key = try #require(try Statement(parsing: Self.text(Self.enrolLines)).body.dirEnrolKey)
        let fra = try PartyCode("FRA")
        #expect(throws: StatementError.self) { try Statement.enrol(party: fra, name: "", role: .stateParty, inForce: nil, key: key, time: DirTime.zero) }
        #expect(throws: StatementError.self) { try Statement.revokeKey(party: fra, keyID: "E7620F1842B4E81F", reason: "a\nb", time: DirTime.zero) }
        #expect(throws: StatementError.self) { try Statement.revokeKey(party: fra, keyID: "e7620f1842b4e81f", reason: "x", time: DirTime.zero) }
        #expect(throws: StatementError.self) { try Statement.setPreference(party: fra, [:], time: DirTime.zero) }
        #expect(throws: StatementError.self) { try Statement.setContacts(party: fra, sha256: "00", time: DirTime.zero) }
        #expect(throws: StatementError.self) { try Statement.rotateKey(party: fra, replacing: key.keyID, with: key, time: DirTime.zero) }
        var revoked = key
        revoked.revoked = DirTime.zero
        #expect(throws: StatementError.self) { try Statement.addKey(party: fra, key: revoked, time: DirTime.zero) }
    }
}

extension StatementBody {
    var dirEnrolKey: PartyKey? { if case let .enrol(_, _, _, k) = self { return k } else { return nil } }
}

extension String {
    func dirReplacingFirst(_ a: Character, with b: String) -> String {
        guard let i = firstIndex(of: a) else { return self }
        return String(self[..<i]) + b + String(self[index(after: i)...])
    }
}
