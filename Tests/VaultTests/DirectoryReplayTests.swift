import Crypto
import Testing
@testable import Vault

@Suite("directory replay")
struct DirectoryReplayTests {
    @Test func enrolmentBuildsTheDirectory() throws {
        let w = try DirWorld()
        #expect(w.state.outcomes.allSatisfy { $0.isAccepted })
        #expect(w.state.parties.count == 3)
        let fra = try #require(w.state.parties[w.fra.code])
        #expect(fra.name == "France" && fra.role == .stateParty && fra.entryIntoForce?.description == "2014-12-24")
        #expect(fra.keys == [w.fra.key])
        #expect(w.state.parties[w.sec.code]?.role == .secretariat)
        #expect(w.state.enrolmentKeys[w.nga.code] == w.nga.key)
        #expect(w.state.latestTime == DirTime.h(2))
        // Replaying the same entries gives the same state.
        let again = DirectoryState(replaying: w.entries)
        #expect(again.parties == w.state.parties && again.outcomes == w.state.outcomes)
        // The state is a KeyDirectory for disclosure resolution.
        let r = try Disclosure.resolve(directory: w.state, sender: w.fra.code, level: .statesParties, at: DirTime.h(3))
        #expect(r.map(\.party) == [w.fra.code, w.nga.code])
        #expect(w.state.outcomes[1].signers.map(\.noteName) == ["FRA/\(w.fra.id)", "SEC/\(w.sec.id)"])
    }

    @Test func firstStatementIsTheSecretariatsSelfSignedEnrol() throws {
        var state = DirectoryState()
        let sec = try DirKey("SEC"), fra = try DirKey("FRA"), other = try DirKey("SEC")
        func enrol(_ k: DirKey, role: Role) throws -> Statement {
            try .enrol(party: k.code, name: k.code.rawValue, role: role, inForce: nil, key: k.key, time: DirTime.h(1))
        }
        #expect(state.apply(try enrol(fra, role: .stateParty).signed(by: [fra.signer])).rejection == .firstStatementNotSecretariatEnrol)
        #expect(state.apply(try Statement.setRole(party: sec.code, role: .secretariat, inForce: nil, time: DirTime.h(1)).signed(by: [sec.signer]))
            .rejection == .firstStatementNotSecretariatEnrol)
        // Not self-signed: signed by another key than the one it enrols.
        #expect(state.apply(try enrol(sec, role: .secretariat).signed(by: [other.signer])).rejection == .notSignedByParty(sec.code))
        #expect(state.parties.isEmpty)
        #expect(state.apply(try enrol(sec, role: .secretariat).signed(by: [sec.signer])).isAccepted)
        #expect(state.parties[sec.code]?.keys == [sec.key])
    }

    @Test func enrolNeedsTheEnrolledKeyAndTheSecretariat() throws {
        var w = try DirWorld()
        let che = try DirKey("CHE")
        let enrol = try Statement.enrol(party: che.code, name: "Switzerland", role: .stateParty, inForce: nil, key: che.key, time: DirTime.h(3))
        #expect(try w.rejection(enrol, by: [w.sec]) == .notSignedByParty(che.code))
        #expect(try w.rejection(enrol, by: [che]) == .notSignedBySecretariat)
        #expect(try w.rejection(enrol, by: [che, w.nga]) == .notSignedBySecretariat)
        #expect(try w.rejection(enrol, by: [che, w.sec]) == nil)
        // Duplicate enrolment of the same code, even with a fresh key and both signatures.
        let che2 = try DirKey("CHE")
        let again = try Statement.enrol(party: che.code, name: "Swiss Confederation", role: .stateParty, inForce: nil, key: che2.key, time: DirTime.h(4))
        #expect(try w.rejection(again, by: [che2, w.sec]) == .alreadyEnrolled(che.code))
        #expect(w.state.parties[che.code]?.name == "Switzerland")
        // A key that is already someone's cannot be enrolled again.
        let copy = try Statement.enrol(party: try PartyCode("AUT"), name: "Austria", role: .stateParty, inForce: nil, key: w.nga.key, time: DirTime.h(4))
        #expect(try w.rejection(copy, by: [w.sec]) == .duplicateKey(keyID: w.nga.id))
    }

    @Test func addKeyNeedsThePartyAndTheSecretariat() throws {
        var w = try DirWorld()
        let laptop = try DirKey("FRA", label: "laptop", created: DirTime.h(3))
        let add = try Statement.addKey(party: w.fra.code, key: laptop.key, time: DirTime.h(3))
        #expect(try w.rejection(add, by: [w.fra]) == .notSignedBySecretariat)
        #expect(try w.rejection(add, by: [w.sec]) == .notSignedByParty(w.fra.code))
        #expect(try w.rejection(add, by: [w.nga, w.sec]) == .notSignedByParty(w.fra.code))
        #expect(try w.rejection(add, by: [laptop, w.sec]) == .notSignedByParty(w.fra.code))  // the new key is not yet the party's
        #expect(try w.rejection(add, by: [w.fra, w.sec]) == nil)
        #expect(w.state.parties[w.fra.code]?.keys.map(\.keyID) == [w.fra.id, laptop.id])
        #expect(try w.rejection(add, by: [w.fra, w.sec]) == .duplicateKey(keyID: laptop.id))
        // Unknown party.
        let x = try DirKey("XXX")
        #expect(try w.rejection(.addKey(party: x.code, key: x.key, time: DirTime.h(3)), by: [x, w.sec]) == .unknownParty(x.code))
    }

    @Test func newKeysMustBeValidAtTheStatementsTime() throws {
        var w = try DirWorld()
        let future = try DirKey("FRA", label: "future", created: DirTime.h(10))
        #expect(try w.rejection(.addKey(party: w.fra.code, key: future.key, time: DirTime.h(3)), by: [w.fra, w.sec])
            == .newKeyNotValid(keyID: future.id, .notYetValid))
        let expired = try DirKey("FRA", label: "old", created: DirTime.h(0), expires: DirTime.h(2))
        #expect(try w.rejection(.addKey(party: w.fra.code, key: expired.key, time: DirTime.h(3)), by: [w.fra, w.sec])
            == .newKeyNotValid(keyID: expired.id, .expired))
        // The same key is fine once the statement's time is within its validity.
        #expect(try w.rejection(.addKey(party: w.fra.code, key: future.key, time: DirTime.h(10)), by: [w.fra, w.sec]) == nil)
    }

    @Test func rotationRevokesTheReplacedKeyAtTheStatementsTime() throws {
        var w = try DirWorld()
        let k2 = try DirKey("FRA", label: "officer-2", created: DirTime.h(3))
        let rotate = try Statement.rotateKey(party: w.fra.code, replacing: w.fra.id, with: k2.key, time: DirTime.h(5))
        #expect(try w.rejection(rotate, by: [w.fra]) == .notSignedBySecretariat)
        // FRA's only key approves its own replacement, with the Secretariat.
        #expect(try w.rejection(rotate, by: [w.fra, w.sec]) == nil)
        let fra = try #require(w.state.parties[w.fra.code])
        #expect(fra.key(id: w.fra.id)?.revoked == DirTime.h(5))
        #expect(fra.key(id: w.fra.id)?.validity(at: DirTime.h(4)) == .valid)
        #expect(fra.key(id: w.fra.id)?.validity(at: DirTime.h(5)) == .revoked)
        #expect(fra.validKeys(at: DirTime.h(5)).map(\.keyID) == [k2.id])
        // The old key can no longer sign; the new one can.
        let prefs = try Statement.setPreference(party: w.fra.code, [.annual: .public], time: DirTime.h(6))
        #expect(try w.rejection(prefs, by: [w.fra, w.sec]) == .partySignerNotValid(w.fra.code, keyID: w.fra.id, .revoked))
        #expect(try w.rejection(prefs, by: [k2, w.sec]) == nil)
        #expect(w.state.parties[w.fra.code]?.preferences == [.annual: .public])
        // Rotating a revoked key, or a key FRA does not have.
        let k3 = try DirKey("FRA", label: "officer-3", created: DirTime.h(3))
        #expect(try w.rejection(.rotateKey(party: w.fra.code, replacing: w.fra.id, with: k3.key, time: DirTime.h(7)), by: [k2, w.sec])
            == .keyAlreadyRevoked(w.fra.code, keyID: w.fra.id))
        #expect(try w.rejection(.rotateKey(party: w.fra.code, replacing: w.nga.id, with: k3.key, time: DirTime.h(7)), by: [k2, w.sec])
            == .unknownKey(w.fra.code, keyID: w.nga.id))
    }

    @Test func rotationNeedsAnotherValidKeyWhenThereIsOne() throws {
        var w = try DirWorld()
        let k2 = try DirKey("FRA", label: "officer-2", created: DirTime.h(3))
        try w.expectAccepted(.addKey(party: w.fra.code, key: k2.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        // A thief of k1 cannot rotate k1 to a key of their own: k2 must approve.
        let k3 = try DirKey("FRA", label: "officer-3", created: DirTime.h(3))
        let rotate = try Statement.rotateKey(party: w.fra.code, replacing: w.fra.id, with: k3.key, time: DirTime.h(4))
        #expect(try w.rejection(rotate, by: [w.fra, w.sec]) == .rotationSignedOnlyByReplacedKey(w.fra.code, keyID: w.fra.id))
        #expect(try w.rejection(rotate, by: [k2, w.sec]) == nil)
        #expect(w.state.parties[w.fra.code]?.validKeys(at: DirTime.h(4)).map(\.keyID) == [k2.id, k3.id])
    }

    @Test func revocationByThePartyAloneOrByTheKeyItself() throws {
        var w = try DirWorld()
        let k2 = try DirKey("FRA", label: "officer-2", created: DirTime.h(3))
        let k3 = try DirKey("FRA", label: "officer-3", created: DirTime.h(3))
        try w.expectAccepted(.addKey(party: w.fra.code, key: k2.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        try w.expectAccepted(.addKey(party: w.fra.code, key: k3.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        // The Secretariat cannot revoke a State's key.
        let revokeK2 = try Statement.revokeKey(party: w.fra.code, keyID: k2.id, reason: "compromised", time: DirTime.h(4))
        #expect(try w.rejection(revokeK2, by: [w.sec]) == .notSignedByParty(w.fra.code))
        // The key itself, alone.
        #expect(try w.rejection(revokeK2, by: [k2]) == nil)
        #expect(w.state.parties[w.fra.code]?.key(id: k2.id)?.revoked == DirTime.h(4))
        #expect(try w.rejection(revokeK2, by: [w.fra]) == .keyAlreadyRevoked(w.fra.code, keyID: k2.id))
        // Another key of the party, alone.
        #expect(try w.rejection(.revokeKey(party: w.fra.code, keyID: k3.id, reason: "officer left", time: DirTime.h(5)), by: [w.fra]) == nil)
        #expect(try w.rejection(.revokeKey(party: w.fra.code, keyID: "0123456789ABCDEF", reason: "x", time: DirTime.h(5)), by: [w.fra])
            == .unknownKey(w.fra.code, keyID: "0123456789ABCDEF"))
    }

    @Test func revokedKeysCannotSignEvenBackdated() throws {
        var w = try DirWorld()
        let k2 = try DirKey("FRA", label: "officer-2", created: DirTime.h(3))
        try w.expectAccepted(.addKey(party: w.fra.code, key: k2.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        try w.expectAccepted(.revokeKey(party: w.fra.code, keyID: w.fra.id, reason: "stolen", time: DirTime.h(10)), by: [k2])
        // Dated after the revocation.
        let contacts = try Statement.setContacts(party: w.fra.code, document: Array("x".utf8), time: DirTime.h(11))
        #expect(try w.rejection(contacts, by: [w.fra, w.sec]) == .partySignerNotValid(w.fra.code, keyID: w.fra.id, .revoked))
        // Dated before it (within the 24-hour tolerance): still refused.
        let backdated = try Statement.revokeKey(party: w.fra.code, keyID: k2.id, reason: "thief", time: DirTime.h(9))
        #expect(try w.rejection(backdated, by: [w.fra]) == .partySignerNotValid(w.fra.code, keyID: w.fra.id, .revoked))
        #expect(w.state.parties[w.fra.code]?.key(id: k2.id)?.revoked == nil)
        // A revoked Secretariat key cannot countersign either.
        let sec2 = try DirKey("SEC", label: "registry-2", created: DirTime.h(3))
        try w.expectAccepted(.rotateKey(party: w.sec.code, replacing: w.sec.id, with: sec2.key, time: DirTime.h(12)), by: [w.sec])
        #expect(try w.rejection(contacts, by: [k2, w.sec]) == .secretariatSignerNotValid(w.sec.code, keyID: w.sec.id, .revoked))
        #expect(try w.rejection(contacts, by: [k2, sec2]) == nil)
    }

    @Test func expiredKeysCannotSign() throws {
        var w = try DirWorld()
        let short = try DirKey("FRA", label: "short", created: DirTime.h(3), expires: DirTime.h(20))
        try w.expectAccepted(.addKey(party: w.fra.code, key: short.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        try w.expectAccepted(.revokeKey(party: w.fra.code, keyID: w.fra.id, reason: "retired", time: DirTime.h(4)), by: [w.fra])
        let role = try Statement.setRole(party: w.fra.code, role: .signatory, inForce: nil, time: DirTime.h(19))
        #expect(try w.rejection(role, by: [short, w.sec]) == nil)
        let later = try Statement.setRole(party: w.fra.code, role: .stateParty, inForce: nil, time: DirTime.h(20))
        #expect(try w.rejection(later, by: [short, w.sec]) == .partySignerNotValid(w.fra.code, keyID: short.id, .expired))
        #expect(w.state.parties[w.fra.code]?.role == .signatory)
        // An expired Secretariat key.
        var v = try DirWorld()
        let secShort = try DirKey("SEC", label: "short", created: DirTime.h(3), expires: DirTime.h(5))
        try v.expectAccepted(.addKey(party: v.sec.code, key: secShort.key, time: DirTime.h(3)), by: [v.sec])
        try v.expectAccepted(.revokeKey(party: v.sec.code, keyID: v.sec.id, reason: "retired", time: DirTime.h(4)), by: [secShort])
        #expect(try v.rejection(.setRole(party: v.fra.code, role: .signatory, inForce: nil, time: DirTime.h(6)), by: [v.fra, secShort])
            == .secretariatSignerNotValid(v.sec.code, keyID: secShort.id, .expired))
    }

    @Test func timeMayNotGoBackMoreThanADay() throws {
        var w = try DirWorld()
        try w.expectAccepted(.setContacts(party: w.fra.code, document: [1], time: DirTime.h(100)), by: [w.fra, w.sec])
        #expect(try w.rejection(.setContacts(party: w.fra.code, document: [2], time: UTCTime(seconds: DirTime.h(76).seconds - 1)), by: [w.fra, w.sec])
            == .timeWentBackwards(latest: DirTime.h(100), time: UTCTime(seconds: DirTime.h(76).seconds - 1)))
        // Exactly 24 hours back is tolerated, and the latest time does not go back with it.
        try w.expectAccepted(.setContacts(party: w.fra.code, document: [3], time: DirTime.h(76)), by: [w.fra, w.sec])
        #expect(w.state.latestTime == DirTime.h(100))
        #expect(try w.rejection(.setContacts(party: w.fra.code, document: [4], time: DirTime.h(75)), by: [w.fra, w.sec])
            == .timeWentBackwards(latest: DirTime.h(100), time: DirTime.h(75)))
    }

    @Test func signaturesFromKnownKeysMustVerifyAndUnknownOnesAreIgnored() throws {
        var w = try DirWorld()
        let s = try Statement.setRole(party: w.fra.code, role: .signatory, inForce: nil, time: DirTime.h(3))
        let good = try s.signed(by: [w.fra.signer, w.sec.signer])
        // A stranger's signature (a key the directory does not know) changes nothing.
        let stranger = try DirKey("XXX")
        var withStranger = try good.addingSignatures([stranger.signer]).note
        var state = w.state
        #expect(state.apply(withStranger).isAccepted)
        #expect(state.outcomes.last?.signers.map(\.party) == [w.fra.code, w.sec.code])
        // The Secretariat's signature line taken from another statement: refused as a whole.
        let other = try Statement.setRole(party: w.fra.code, role: .auditor, inForce: nil, time: DirTime.h(3)).signed(by: [w.sec.signer])
        withStranger = try s.signed(by: [w.fra.signer]).note + other.signatures[0].line
        #expect(w.submit(withStranger).rejection == .invalidSignature(signer: "SEC/\(w.sec.id)"))
        #expect(w.state.parties[w.fra.code]?.role == .stateParty)
    }

    @Test func contactsPreferencesAndRoles() throws {
        var w = try DirWorld()
        let doc = Array("FRA: Ministry of Foreign Affairs\n".utf8)
        try w.expectAccepted(.setContacts(party: w.fra.code, document: doc, time: DirTime.h(3)), by: [w.fra, w.sec])
        #expect(w.state.parties[w.fra.code]?.contactsSHA256 == hexString(SHA256.hash(doc)))
        try w.expectAccepted(.setPreference(party: w.fra.code, [.annual: .public, .initial: .secretariat], time: DirTime.h(3)), by: [w.fra, w.sec])
        try w.expectAccepted(.setPreference(party: w.fra.code, [.annual: .selected], time: DirTime.h(3)), by: [w.fra, w.sec])
        #expect(w.state.parties[w.fra.code]?.preferences == [.annual: .selected, .initial: .secretariat])
        #expect(Disclosure.defaultLevel(directory: w.state, sender: w.fra.code, type: .annual) == .selected)
        try w.expectAccepted(.setRole(party: w.nga.code, role: .signatory, inForce: nil, time: DirTime.h(3)), by: [w.nga, w.sec])
        #expect(w.state.parties[w.nga.code]?.role == .signatory && w.state.parties[w.nga.code]?.entryIntoForce == nil)
        // The Secretariat alone cannot change a State's role or preferences.
        #expect(try w.rejection(.setRole(party: w.nga.code, role: .stateParty, inForce: nil, time: DirTime.h(4)), by: [w.sec])
            == .notSignedByParty(w.nga.code))
    }

    @Test func unreadableAndOversizedEntries() throws {
        var w = try DirWorld()
        #expect(w.submit(Array("hello\n".utf8)).rejection == .malformed(.note(.malformedNote("no blank line between text and signatures"))))
        let big = [UInt8](repeating: 0x41, count: Statement.maxSize + 1)
        #expect(w.submit(big).rejection == .tooLarge(size: Statement.maxSize + 1, limit: Statement.maxSize))
        // A signed note whose text is not a statement.
        let note = try SignedNote.sign(Array("not a statement\n".utf8), signers: [try w.fra.signer.noteSigner()])
        #expect(w.submit(note).rejection == .malformed(.wrongHeader))
        #expect(w.state.unreadable.count == 3)
        #expect(w.state.rejected.count == 3 && w.state.accepted.count == 3)
    }

    @Test func outOfBandEnrolmentCheck() throws {
        var w = try DirWorld()
        let fp = w.fra.key.fingerprint
        #expect(try w.state.checkEnrolment(of: w.fra.code, fingerprint: fp) == w.fra.key)
        #expect(try w.state.checkEnrolment(of: w.fra.code, fingerprint: String(fp.prefix(32)).uppercased()) == w.fra.key)
        #expect(throws: EnrolmentCheckError.fingerprintMismatch(w.fra.code, keyID: w.fra.id, pinned: w.nga.key.fingerprint, actual: fp)) {
            try w.state.checkEnrolment(of: w.fra.code, fingerprint: w.nga.key.fingerprint)
        }
        #expect(throws: EnrolmentCheckError.notEnrolled(try PartyCode("CHE"))) {
            try w.state.checkEnrolment(of: try PartyCode("CHE"), fingerprint: fp)
        }
        for bad in [String(fp.prefix(31)), fp + "0", String(fp.dropLast()) + "g", ""] {
            #expect(throws: EnrolmentCheckError.malformedFingerprint(bad)) { try w.state.checkEnrolment(of: w.fra.code, fingerprint: bad) }
        }
        // After a rotation the check is still about the FIRST enrolled key.
        let k2 = try DirKey("FRA", label: "officer-2", created: DirTime.h(3))
        try w.expectAccepted(.rotateKey(party: w.fra.code, replacing: w.fra.id, with: k2.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        #expect(try w.state.checkEnrolment(of: w.fra.code, fingerprint: fp).keyID == w.fra.id)
        #expect(throws: EnrolmentCheckError.self) { try w.state.checkEnrolment(of: w.fra.code, fingerprint: k2.key.fingerprint) }
        // The Secretariat itself, pinned by clients.
        #expect(try w.state.checkEnrolment(of: w.sec.code, fingerprint: w.sec.key.fingerprint) == w.sec.key)
    }
}

@Suite("directory replay at scale")
struct DirectoryReplayScaleTests {
    /// 150 States, each enrolled and then updating itself four times: 751 entries.
    @Test func manyPartiesReplayInOrder() throws {
        var w = try DirWorld()
        var keys: [DirKey] = []
        for i in 0..<150 {
            let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            let code = "Z" + String(letters[i / 26]) + String(letters[i % 26])
            let k = try DirKey(code)
            keys.append(k)
            try w.expectAccepted(.enrol(party: k.code, name: "State \(code)", role: .stateParty, inForce: nil, key: k.key, time: DirTime.h(3)), by: [k, w.sec])
        }
        for round in 0..<4 {
            for k in keys {
                try w.expectAccepted(.setContacts(party: k.code, document: Array("\(k.code) \(round)".utf8), time: DirTime.h(4 + Int64(round))), by: [k, w.sec])
            }
        }
        #expect(w.state.outcomes.count == 3 + 150 * 5)
        let replayed = DirectoryState(replaying: w.entries)
        #expect(replayed.parties == w.state.parties)
        #expect(replayed.rejected.isEmpty)
        #expect(try Disclosure.resolve(directory: replayed, sender: w.fra.code, level: .statesParties, at: DirTime.h(9)).count == 152)
    }
}
