import Crypto
import Foundation
import Testing
import Vault

@Suite("keystore")
struct KeystoreTests {
    @Test func generateLoadAndProtect() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("att-keystore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let store = Keystore(home: home)
        let fra = try PartyCode("FRA")
        let pass = SecureBytes(copying: Array("correct horse".utf8))
        let t = try UTCTime(parsing: "2026-12-04T10:00:00Z")
        // Light scrypt settings keep the test fast; the formats are the defaults'.
        let key = try store.generate(party: fra, label: "officer-1", passphrase: pass, created: t,
                                     scryptWorkFactor: 10, minisignLimits: (524_288, 16 << 20))
        #expect(store.parties() == [fra])
        #expect(store.labels(party: fra) == ["officer-1"])
        let signing = try store.signingKey(party: fra, label: "officer-1") { pass }
        #expect(signing.publicKey == key.signingKey)
        let identity = try store.identity(party: fra, label: "officer-1") { pass }
        #expect(identity.recipient == key.recipient)
        let (pub, recipient) = try store.publicKey(party: fra, label: "officer-1")
        #expect(pub == key.signingKey && recipient == key.recipient)
        // Wrong passphrase: both halves refuse.
        let wrong = SecureBytes(copying: Array("battery staple".utf8))
        #expect(throws: MinisignError.wrongPassphrase) { try store.signingKey(party: fra, label: "officer-1") { wrong } }
        #expect(throws: AgeError.self) { try store.identity(party: fra, label: "officer-1") { wrong } }
        // Secret files are 0600 in a 0700 tree, and never overwritten.
        let dir = home.appendingPathComponent("keys/FRA")
        for (name, mode) in [("officer-1.minisign.key", 0o600), ("officer-1.age", 0o600), ("officer-1.minisign.pub", 0o644)] {
            let attrs = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)
            #expect((attrs[.posixPermissions] as? Int) == mode, "\(name)")
        }
        for d in [home, home.appendingPathComponent("keys"), dir] {
            #expect((try FileManager.default.attributesOfItem(atPath: d.path)[.posixPermissions] as? Int) == 0o700)
        }
        #expect(throws: Keystore.Error.self) {
            try store.generate(party: fra, label: "officer-1", passphrase: nil, created: t)
        }
        // The protected identity file is an armored age file, which is what `age -d -i` reads.
        let text = try String(contentsOf: dir.appendingPathComponent("officer-1.age"), encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----"))
        #expect(!text.contains("AGE-SECRET-KEY"))
    }
}
