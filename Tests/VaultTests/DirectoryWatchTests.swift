import Crypto
import Testing
@testable import Vault

@Suite("directory watch")
struct DirectoryWatchTests {
    /// The attack the directory exists to stop: the Secretariat replaces a State's key
    /// with one it controls. Rejected, and FRA's watch shows it.
    @Test func secretariatSubstitutingAStatesKeyIsRejectedAndReported() throws {
        var w = try DirWorld()
        let planted = try DirKey("FRA", label: "officer-1", created: DirTime.h(3))
        let substitution = try Statement.rotateKey(party: w.fra.code, replacing: w.fra.id, with: planted.key, time: DirTime.h(3))
        let outcome = try w.submit(substitution, by: [w.sec])
        #expect(outcome.rejection == .notSignedByParty(w.fra.code))
        #expect(!outcome.signedByParty)
        #expect(outcome.signers.map(\.noteName) == ["SEC/\(w.sec.id)"])
        // Nothing changed: FRA's key is still the only one, and valid.
        #expect(w.state.parties[w.fra.code]?.keys == [w.fra.key])
        // Signed by the planted key too (it is not FRA's key): still rejected.
        #expect(try w.rejection(substitution, by: [planted, w.sec]) == .notSignedByParty(w.fra.code))
        // Signed by another State as well: still not FRA.
        #expect(try w.rejection(.addKey(party: w.fra.code, key: planted.key, time: DirTime.h(3)), by: [w.nga, w.sec])
            == .notSignedByParty(w.fra.code))

        let alarms = w.state.watch(party: w.fra.code)
        #expect(alarms.map(\.index) == [3, 4, 5])
        #expect(alarms.allSatisfy { !$0.isAccepted && $0.statement?.party == w.fra.code })
        #expect(alarms[0].description == "#3 rotate-key FRA \(DirTime.h(3)) rejected (not signed by FRA's own key); signed by SEC/\(w.sec.id)")
        #expect(w.state.watch(party: w.nga.code).isEmpty)
        #expect(w.state.watch(party: w.sec.code).isEmpty)
    }

    @Test func honestHistoryShowsNothing() throws {
        var w = try DirWorld()
        let k2 = try DirKey("FRA", label: "officer-2", created: DirTime.h(3))
        try w.expectAccepted(.rotateKey(party: w.fra.code, replacing: w.fra.id, with: k2.key, time: DirTime.h(3)), by: [w.fra, w.sec])
        try w.expectAccepted(.setPreference(party: w.fra.code, [.annual: .public], time: DirTime.h(4)), by: [k2, w.sec])
        try w.expectAccepted(.revokeKey(party: w.nga.code, keyID: w.nga.id, reason: "lost", time: DirTime.h(4)), by: [w.nga])
        for p in [w.sec, w.fra, w.nga] { #expect(w.state.watch(party: p.code).isEmpty) }
        // FRA's own mistake (signing with its revoked key) is listed: FRA's valid keys did not sign it.
        #expect(try w.rejection(.setContacts(party: w.fra.code, sha256: String(repeating: "0", count: 64), time: DirTime.h(5)), by: [w.fra, w.sec])
            == .partySignerNotValid(w.fra.code, keyID: w.fra.id, .revoked))
        #expect(w.state.watch(party: w.fra.code).map(\.index) == [6])
    }

    @Test func reEnrolmentWithAnotherKeyIsReported() throws {
        var w = try DirWorld()
        // The Secretariat "re-enrols" FRA with a key it holds, self-signed by that key.
        let planted = try DirKey("FRA")
        let outcome = try w.submit(.enrol(party: w.fra.code, name: "France", role: .stateParty, inForce: nil, key: planted.key, time: DirTime.h(3)),
                                   by: [planted, w.sec])
        #expect(outcome.rejection == .alreadyEnrolled(w.fra.code))
        #expect(w.state.watch(party: w.fra.code).map(\.index) == [3])
    }

    @Test func forgedSignaturesInThePartysNameAreReported() throws {
        var w = try DirWorld()
        // A note that claims FRA's key but whose signature is someone else's.
        let s = try Statement.addKey(party: w.fra.code, key: try DirKey("FRA", label: "x", created: DirTime.h(3)).key, time: DirTime.h(3))
        let forger = try w.sec.secret.noteSigner(name: "FRA/\(w.fra.id)")
        let forgedNote = try SignedNote.sign(s.bytes, signers: [forger, try w.sec.signer.noteSigner()])
        // As signed, the line's note key id is the forger's, not FRA's key: an unknown signer.
        var outcome = w.submit(forgedNote)
        #expect(outcome.rejection == .notSignedByParty(w.fra.code))
        #expect(outcome.signers.map(\.party) == [w.sec.code])
        // With FRA's note key id written in: a known key whose signature fails.
        let parsed = try SignedNote(parsing: forgedNote)
        let line = try NoteSignature(name: "FRA/\(w.fra.id)", keyID: w.fra.key.noteVerifier(party: w.fra.code).keyID,
                                     signature: parsed.signatures[0].signature)
        outcome = w.submit(try SignedNote(text: s.bytes, signatures: [line, parsed.signatures[1]]).encoded)
        #expect(outcome.rejection == .invalidSignature(signer: "FRA/\(w.fra.id)"))
        #expect(outcome.signers.isEmpty && outcome.statement == s)
        #expect(w.state.watch(party: w.fra.code).map(\.index) == [3, 4])
    }

    @Test func acceptedStatementsNotSignedByThePartyAreListed() throws {
        // The first statement of a directory enrols the Secretariat by its own key; nothing
        // else about a party can be accepted without its key, so the watch of a party whose
        // keys were all honest only ever lists rejections. (Checked over a longer history.)
        var w = try DirWorld()
        let k2 = try DirKey("NGA", label: "officer-2", created: DirTime.h(3))
        try w.expectAccepted(.addKey(party: w.nga.code, key: k2.key, time: DirTime.h(3)), by: [w.nga, w.sec])
        _ = try w.submit(.revokeKey(party: w.nga.code, keyID: k2.id, reason: "test", time: DirTime.h(3)), by: [w.sec])
        _ = try w.submit(.setRole(party: w.nga.code, role: .auditor, inForce: nil, time: DirTime.h(3)), by: [w.sec, w.fra])
        let alarms = w.state.watch(party: w.nga.code)
        #expect(alarms.count == 2 && alarms.allSatisfy { !$0.isAccepted })
        #expect(w.state.outcomes.filter { $0.isAccepted && !$0.signedByParty }.isEmpty)
    }
}
