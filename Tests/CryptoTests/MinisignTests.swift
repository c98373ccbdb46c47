import Crypto
import Testing
import TestSupport

@Suite("minisign")
struct MinisignTests {
    static func kat() throws -> (MinisignPublicKey, [UInt8]) {
        (try MinisignPublicKey(parsing: try Vectors.data("minisign/kat.pub")), try Vectors.data("minisign/test"))
    }

    @Test("known answer: prehashed signature verifies, with its trusted comment")
    func prehashedKAT() throws {
        let (pk, message) = try Self.kat()
        #expect(pk.keyIDString == "E7620F1842B4E81F")
        let sig = try MinisignSignature(parsing: try Vectors.data("minisign/test.prehashed.minisig"))
        #expect(sig.prehashed)
        #expect(try sig.verify(MemorySource(message), with: pk) == "timestamp:1556193335\tfile:test")
        // Byte-exact re-serialisation.
        #expect(Array(sig.encodeFile().utf8) == (try Vectors.data("minisign/test.prehashed.minisig")))
    }

    @Test("known answer: legacy signature is refused unless allowed")
    func legacyKAT() throws {
        let (pk, message) = try Self.kat()
        let sig = try MinisignSignature(parsing: try Vectors.data("minisign/test.legacy.minisig"))
        #expect(!sig.prehashed)
        #expect(throws: MinisignError.legacySignatureRefused) { try sig.verify(MemorySource(message), with: pk) }
        #expect(try sig.verify(MemorySource(message), with: pk, allowLegacy: true) == "timestamp:1555779966\tfile:test")
    }

    @Test("known answer: tampering is caught")
    func tamperedKAT() throws {
        let (pk, message) = try Self.kat()
        let text = String(decoding: try Vectors.data("minisign/test.prehashed.minisig"), as: UTF8.self)
        let sig = try MinisignSignature(parsing: Array(text.utf8))
        #expect(throws: MinisignError.invalidSignature) { try sig.verify(MemorySource(message + [0x0A]), with: pk) }
        let forged = text.replacingOccurrences(of: "file:test", with: "file:tesT")
        #expect(throws: MinisignError.invalidGlobalSignature) {
            try MinisignSignature(parsing: Array(forged.utf8)).verify(MemorySource(message), with: pk)
        }
        let other = try MinisignSecretKey.generate().publicKey
        #expect(throws: MinisignError.keyIDMismatch(signature: "E7620F1842B4E81F", publicKey: other.keyIDString)) {
            try sig.verify(MemorySource(message), with: other)
        }
    }

    @Test func signVerifyAndKeyFiles() throws {
        let key = try MinisignSecretKey.generate()
        let pass = SecureBytes(copying: Array("pw".utf8))
        // Light scrypt limits keep the test fast; the format is the same.
        let file = try key.encodeFile(passphrase: pass, opslimit: 524_288, memlimit: 16 << 20)
        #expect(try MinisignSecretKey.isEncrypted(Array(file.utf8)))
        let loaded = try MinisignSecretKey.load(Array(file.utf8)) { pass }
        #expect(loaded.publicKey == key.publicKey)
        #expect(throws: MinisignError.wrongPassphrase) {
            try MinisignSecretKey.load(Array(file.utf8)) { SecureBytes(copying: Array("wrong".utf8)) }
        }
        let clear = try key.encodeFile(passphrase: nil)
        #expect(try !MinisignSecretKey.isEncrypted(Array(clear.utf8)))
        let loadedClear = try MinisignSecretKey.load(Array(clear.utf8)) { throw MinisignError.passphraseRequired }
        #expect(loadedClear.publicKey == key.publicKey)

        let pub = try MinisignPublicKey(parsing: key.publicKey.encodeFile())
        let message = randomBytes(100_000)
        let sig = try MinisignSignature.sign(MemorySource(message), with: loaded, trustedComment: "report FRA 2025")
        let reparsed = try MinisignSignature(parsing: Array(sig.encodeFile().utf8))
        #expect(try reparsed.verify(MemorySource(message), with: pub) == "report FRA 2025")
        #expect(throws: MinisignError.invalidComment("contains a line break or NUL")) {
            try MinisignSignature.sign(MemorySource(message), with: loaded, trustedComment: "a\nb")
        }
    }

    @Test func malformedInputsAreRefused() {
        #expect(throws: MinisignError.self) { try MinisignPublicKey(parsing: "untrusted comment: x\nRWQ=\n") }
        #expect(throws: MinisignError.self) { try MinisignSignature(parsing: Array("untrusted comment: x\n".utf8)) }
        #expect(throws: MinisignError.self) { try MinisignSecretKey.load(Array("nonsense".utf8)) { SecureBytes(count: 0) } }
    }
}
