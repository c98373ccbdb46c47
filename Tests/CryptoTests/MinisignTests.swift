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

    /// Found by fuzzing (fuzz/regressions/minisign-seckey): an unencrypted key file whose
    /// stored public half is not its seed's loaded, and signed with the wrong public key.
    @Test func secretKeyWithMismatchedHalvesIsRefused() throws {
        let clear = try MinisignSecretKey.generate().encodeFile(passphrase: nil)
        let lines = clear.split(separator: "\n")
        var raw = try #require(Base64.decode(String(lines[1]), padded: true))
        #expect(raw.count == 158)
        raw[54 + 8 + 32 + 5] ^= 0x01  // header (54), key id (8), seed (32), then the public half
        let tampered = "\(lines[0])\n\(Base64.encode(raw, padded: true))\n"
        #expect(throws: MinisignError.malformedSecretKey("the public key stored in the secret key does not match its seed")) {
            try MinisignSecretKey.load(Array(tampered.utf8)) { throw MinisignError.passphraseRequired }
        }
    }

    /// Found by fuzzing (fuzz/regressions/minisign-sig): a trusted comment that is not
    /// UTF-8 was decoded with replacement characters, so the global signature was checked
    /// over other bytes than the file's.
    @Test func signatureWithNonUTF8TrustedCommentIsRefused() throws {
        var lines = try Vectors.data("minisign/test.prehashed.minisig").split(separator: 0x0A, omittingEmptySubsequences: false)
        lines[2] = ArraySlice(Array("trusted comment: ".utf8) + [0xCC, 0xCC])
        let bytes = Array(lines.joined(separator: [0x0A]))
        #expect(throws: MinisignError.malformedSignature("the trusted comment (line 3) is not UTF-8")) {
            try MinisignSignature(parsing: bytes)
        }
    }
}
