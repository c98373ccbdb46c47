import Crypto
import Testing
@testable import Vault

// MARK: - Fixtures shared by the directory tests

/// Times relative to 2026-01-01T00:00:00Z.
enum DirTime {
    static let zero = try! UTCTime(parsing: "2026-01-01T00:00:00Z")
    static func h(_ hours: Int64) -> UTCTime { UTCTime(seconds: zero.seconds + hours * 3600) }
}

/// A party key with its secret.
struct DirKey {
    let code: PartyCode
    let secret: MinisignSecretKey
    let key: PartyKey

    init(_ code: String, label: String = "officer-1", created: UTCTime = DirTime.zero, expires: UTCTime? = nil) throws {
        self.code = try PartyCode(code)
        secret = try MinisignSecretKey.generate()
        key = try PartyKey(label: label, signingKey: secret.publicKey, recipient: try AgeX25519Identity.generate().recipient,
                           created: created, expires: expires)
    }

    var signer: StatementSigner { StatementSigner(party: code, key: secret) }
    var id: String { key.keyID }
}

/// A directory under construction: statements signed, logged and replayed.
struct DirWorld {
    var entries: [[UInt8]] = []
    var state = DirectoryState()
    let sec: DirKey
    let fra: DirKey
    let nga: DirKey

    /// SEC (the Secretariat), FRA and NGA enrolled at hours 0, 1 and 2.
    init() throws {
        sec = try DirKey("SEC", label: "registry")
        fra = try DirKey("FRA")
        nga = try DirKey("NGA")
        try expectAccepted(.enrol(party: sec.code, name: "ATT Secretariat", role: .secretariat, inForce: nil, key: sec.key, time: DirTime.h(0)),
                           by: [sec])
        try expectAccepted(.enrol(party: fra.code, name: "France", role: .stateParty, inForce: try CivilDate(parsing: "2014-12-24"),
                                  key: fra.key, time: DirTime.h(1)), by: [fra, sec])
        try expectAccepted(.enrol(party: nga.code, name: "Nigeria", role: .stateParty, inForce: try CivilDate(parsing: "2014-12-24"),
                                  key: nga.key, time: DirTime.h(2)), by: [nga, sec])
    }

    /// Signs, logs and replays one statement.
    @discardableResult
    mutating func submit(_ s: Statement, by signers: [DirKey]) throws -> StatementOutcome {
        try submit(SignedStatement.sign(s, with: signers.map(\.signer)).note)
    }

    @discardableResult
    mutating func submit(_ entry: [UInt8]) -> StatementOutcome {
        entries.append(entry)
        return state.apply(entry)
    }

    mutating func expectAccepted(_ s: Statement, by signers: [DirKey], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let o = try submit(s, by: signers)
        #expect(o.rejection == nil, "\(o)", sourceLocation: sourceLocation)
    }

    /// Submits and returns the rejection (nil if accepted).
    mutating func rejection(_ s: Statement, by signers: [DirKey]) throws -> StatementRejection? {
        try submit(s, by: signers).rejection
    }
}

// MARK: - Signing

@Suite("statement signing")
struct StatementSigningTests {
    @Test func signsWithPartyKeyNamesAndVerifiesUnderTheKeysNoteVerifier() throws {
        let fra = try DirKey("FRA")
        let s = try Statement.setContacts(party: fra.code, document: Array("contacts\n".utf8), time: DirTime.h(1))
        let signed = try s.signed(by: [fra.signer])
        #expect(signed.statement == s)
        #expect(signed.claimedSigners == [try StatementSignerID(party: fra.code, keyID: fra.id)])
        #expect(signed.signatures.map(\.name) == ["FRA/\(fra.id)"])
        // The signer's verifier key is the one the directory builds from the public key.
        let signer = try fra.signer.noteSigner()
        #expect(signer.verifierKey == fra.key.noteVerifier(party: fra.code))
        #expect(signer.verifierKey == (try fra.secret.publicKey.noteVerifier(name: "FRA/\(fra.id)")))
        let opened = try SignedNote.open(signed.note, verifiers: [fra.key.noteVerifier(party: fra.code)])
        #expect(opened.text == s.bytes)
        // Deterministic (Ed25519), and the note is the text, a blank line and one signature line.
        #expect(try s.signed(by: [fra.signer]) == signed)
        #expect(signed.note.starts(with: s.bytes + [0x0A] + Array("— FRA/\(fra.id) ".utf8)))
        // Another party's key signs under its own party code only.
        let nga = try DirKey("NGA")
        #expect(try s.signed(by: [nga.signer]).claimedSigners.map(\.party) == [nga.code])
    }

    @Test func countersigningAddsLinesInOrder() throws {
        let (fra, sec) = (try DirKey("FRA"), try DirKey("SEC"))
        let s = try Statement.setRole(party: fra.code, role: .signatory, inForce: nil, time: DirTime.h(1))
        let partyOnly = try s.signed(by: [fra.signer])
        let both = try partyOnly.addingSignatures([sec.signer])
        #expect(both == (try s.signed(by: [fra.signer, sec.signer])))
        #expect(both.claimedSigners.map(\.noteName) == ["FRA/\(fra.id)", "SEC/\(sec.id)"])
        #expect(throws: StatementError.note(.duplicateSigner(name: "FRA/\(fra.id)", keyID: try fra.signer.noteSigner().keyID))) {
            try s.signed(by: [fra.signer, fra.signer])
        }
    }

    @Test func signerNames() throws {
        let id = try #require(StatementSignerID(noteName: "FRA/E7620F1842B4E81F"))
        #expect(id.party.rawValue == "FRA" && id.keyID == "E7620F1842B4E81F" && id.noteName == "FRA/E7620F1842B4E81F")
        for bad in ["fra/E7620F1842B4E81F", "FRA/e7620f1842b4e81f", "FRA/E7620F1842B4E81", "FRA E7620F1842B4E81F",
                    "FRA/E7620F1842B4E81F/", "att-relay.example/directory", "FRAN/E7620F1842B4E81F"] {
            #expect(StatementSignerID(noteName: bad) == nil, "\(bad)")
        }
    }

    /// Changing any byte of a signed statement makes the replay reject it; when the changed
    /// text still reads as a statement, the reason is the broken signature.
    @Test func tamperingWithAnyByteBreaksTheStatement() throws {
        var world = try DirWorld()
        let s = try Statement.setPreference(party: world.fra.code, [.annual: .public, .message: .selected], time: DirTime.h(3))
        let note = try s.signed(by: [world.fra.signer, world.sec.signer]).note
        let textEnd = s.bytes.count
        var invalidSignatures = 0
        for i in note.indices {
            for flip: UInt8 in [0x01, 0x20] {
                var bad = note
                bad[i] ^= flip
                var state = world.state
                let o = state.apply(bad)
                #expect(!o.isAccepted, "byte \(i) ^ \(flip) was accepted")
                if i < textEnd, (try? Statement(parsing: Array(bad[0..<textEnd]))) != nil {
                    #expect(o.rejection == .invalidSignature(signer: "FRA/\(world.fra.id)"), "byte \(i): \(o)")
                    invalidSignatures += 1
                }
            }
        }
        #expect(invalidSignatures > 10)
        // The untouched note is accepted.
        #expect(world.submit(note).isAccepted)
    }
}
