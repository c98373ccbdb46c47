import Crypto
import Testing
import Vault

@Suite("directory values")
struct ModelTests {
    @Test func timesRoundTripAndRefuseNonsense() throws {
        for s in ["1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "2026-12-04T10:00:00Z", "2000-03-01T00:00:00Z"] {
            #expect(try UTCTime(parsing: s).description == s)
        }
        #expect(try UTCTime(parsing: "1970-01-02T00:00:01Z").seconds == 86_401)
        for bad in ["2023-02-29T00:00:00Z", "2026-12-04T24:00:00Z", "2026-12-04 10:00:00Z", "2026-12-04T10:00:00", "2026-13-01T00:00:00Z", "2026-12-04T10:00:00+00:00"] {
            #expect(throws: VaultError.self) { try UTCTime(parsing: bad) }
        }
        #expect(try CivilDate(parsing: "2024-02-29").description == "2024-02-29")
        #expect(throws: VaultError.self) { try CivilDate(parsing: "2100-02-29") }
        #expect(try PartyCode("FRA").rawValue == "FRA")
        for bad in ["fra", "FR", "FRAN", "F1A"] { #expect(throws: VaultError.self) { try PartyCode(bad) } }
    }

    @Test func keyValidity() throws {
        let sk = try MinisignSecretKey.generate()
        let t = try UTCTime(parsing: "2026-01-01T00:00:00Z")
        var key = try PartyKey(label: "officer-1", signingKey: sk.publicKey, recipient: try AgeX25519Identity.generate().recipient,
                               created: t, expires: UTCTime(seconds: t.seconds + 1000))
        #expect(key.validity(at: UTCTime(seconds: t.seconds - 1)) == .notYetValid)
        #expect(key.validity(at: t) == .valid)
        #expect(key.validity(at: UTCTime(seconds: t.seconds + 1000)) == .expired)
        key = try PartyKey(label: "officer-1", signingKey: key.signingKey, recipient: key.recipient, created: t, revoked: UTCTime(seconds: t.seconds + 10))
        #expect(key.validity(at: UTCTime(seconds: t.seconds + 9)) == .valid)
        #expect(key.validity(at: UTCTime(seconds: t.seconds + 10)) == .revoked)
        #expect(key.fingerprint.count == 64)
        #expect(throws: VaultError.self) { try PartyKey(label: "Bad Label", signingKey: sk.publicKey, recipient: key.recipient, created: t) }
    }
}
