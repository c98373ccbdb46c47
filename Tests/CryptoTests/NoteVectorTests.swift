import Crypto
import Foundation
import Testing
import TestSupport

/// One case of `tlog/notes/note_vectors.json`.
struct NoteVector: Decodable, Sendable {
    let id: String
    let src: String
    let note: String
    let vkeys: [String]
    let want: String
    let want_verified: [String]?
    let checkpoint: Bool?

    static let all: [NoteVector] = {
        guard let data = try? Vectors.data("tlog/notes/note_vectors.json"),
              let list = try? JSONDecoder().decode([NoteVector].self, from: Data(data)) else { return [] }
        return list
    }()

    static var ids: [String] { all.map(\.id) }
    static func named(_ id: String) -> NoteVector { all.first { $0.id == id }! }
}

struct SignVector: Decodable, Sendable {
    let skey: String
    let vkey: String
    let text: String
    let want_signed_note: String

    static func load() throws -> SignVector {
        try JSONDecoder().decode(SignVector.self, from: Data(try Vectors.data("tlog/notes/sign_vector.json")))
    }
}

/// The error each failing vector must produce (not just "some error").
private let expectedErrors: [String: NoteError] = [
    "go-note-no-known-key": .noVerifiedSignature(unknownSignatures: 2),
    "go-note-tampered-sig": .invalidSignature(name: "PeterNeumann", keyID: 0xc74f20a3),
    "sumdb-checkpoint-wrong-body": .invalidSignature(name: "sum.golang.org", keyID: 0x033de0ae),
    "cosignature-v1-wrong-root": .invalidSignature(name: "witness.example.org", keyID: 0xb8a2cf20),
]

@Suite("Signed note vectors")
struct NoteVectorTests {
    @Test func allVectorsLoaded() {
        #expect(NoteVector.all.count == 11)
        for id in expectedErrors.keys { #expect(NoteVector.ids.contains(id)) }
    }

    @Test("note_vectors.json", arguments: NoteVector.ids)
    func noteVector(id: String) throws {
        let v = NoteVector.named(id)
        let keys = try v.vkeys.map { try NoteVerifierKey(parsing: $0) }
        // Every vkey re-encodes to itself.
        #expect(keys.map(\.encoded) == v.vkeys)
        let note = Array(v.note.utf8)
        switch v.want {
        case "ok":
            let opened = try SignedNote.open(note, verifiers: keys)
            #expect(opened.verifiedNames.sorted() == (v.want_verified ?? []).sorted())
            #expect(Set(opened.verifiedNames).count == opened.verifiedNames.count)
            // The text is everything before the last blank line.
            #expect(opened.text + [0x0A] == Array(note.prefix(opened.text.count + 1)))
            // Re-encoding the parsed note gives the same bytes.
            #expect(try SignedNote(parsing: note).encoded == note)
            if v.checkpoint == true {
                let cp = try Checkpoint(parsing: opened.text)
                #expect(cp.text == opened.text)
                // As a SignedCheckpoint, with the first verified key as the log key.
                let first = opened.signatures[0].key
                let sc = try SignedCheckpoint(opening: note, origin: cp.origin, logKey: first,
                                              cosigners: keys.filter { $0 != first })
                #expect(sc.checkpoint == cp)
                #expect(sc.cosignatures.count == opened.signatures.count - 1)
            }
            for s in opened.signatures where s.type == .cosignatureV1 { #expect(s.timestamp != nil) }
        case "err":
            let expected = try #require(expectedErrors[id], "no expected error recorded for \(id)")
            #expect(throws: expected) { try SignedNote.open(note, verifiers: keys) }
        default:
            Issue.record("unknown verdict \(v.want)")
        }
    }

    @Test("sign_vector.json: deterministic Ed25519 note, byte for byte")
    func signVector() throws {
        let v = try SignVector.load()
        let signer = try NoteSignerKey(parsing: v.skey)
        #expect(signer.verifierKey.encoded == v.vkey)
        #expect(signer.encoded() == v.skey)
        #expect(signer.name == "PeterNeumann" && signer.keyID == 0xc74f20a3 && signer.type == .ed25519)
        let signed = try SignedNote.sign(Array(v.text.utf8), signers: [signer])
        #expect(signed == Array(v.want_signed_note.utf8))
        let opened = try SignedNote.open(signed, verifiers: [try NoteVerifierKey(parsing: v.vkey)])
        #expect(opened.textString == v.text)
    }

    @Test("C2SP example note parses with its em dash signature line")
    func c2spExampleStructure() throws {
        let v = NoteVector.named("c2sp-signed-note-example")
        let parsed = try SignedNote(parsing: Array(v.note.utf8))
        #expect(parsed.signatures.count == 1)
        #expect(parsed.signatures[0].name == "example.com/foo")
        #expect(parsed.signatures[0].keyID == 0x530d903a)
        #expect(parsed.signatures[0].signature.count == 64)
    }
}

@Suite("Note keys")
struct NoteKeyTests {
    static let good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

    @Test func verifierKeyParts() throws {
        let k = try NoteVerifierKey(parsing: Self.good)
        #expect(k.name == "PeterNeumann")
        #expect(k.keyID == 0xc74f20a3 && k.keyIDHex == "c74f20a3")
        #expect(k.type == .ed25519 && k.publicKey.count == 32)
        #expect(NoteVerifierKey.keyID(name: k.name, type: k.type, publicKey: k.publicKey) == k.keyID)
        // The key id is SHA-256(name || LF || type || key)[:4].
        let h = SHA256.hash(Array("PeterNeumann\n".utf8) + [0x01] + k.publicKey)
        #expect(Array(h.prefix(4)) == [0xc7, 0x4f, 0x20, 0xa3])
        // The same key as a cosigner has another id.
        let c = k.withType(.cosignatureV1)
        #expect(c.keyID != k.keyID && c.publicKey == k.publicKey)
        #expect(try NoteVerifierKey(parsing: c.encoded) == c)
    }

    @Test("malformed verifier keys are refused with precise errors")
    func badVerifierKeys() throws {
        let k = try NoteVerifierKey(parsing: Self.good)
        let b64 = Base64.encode([0x01] + k.publicKey, padded: true)
        let cases: [(String, NoteError)] = [
            ("PeterNeumann+c74f20a4+\(b64)", .keyIDMismatch(stated: 0xc74f20a4, computed: 0xc74f20a3)),
            ("PeterNeumann+C74F20A3+\(b64)", .malformedKey("key id is not 8 lowercase hex digits")),
            ("PeterNeumann+c74f20a+\(b64)", .malformedKey("key id is not 8 lowercase hex digits")),
            ("PeterNeumann+c74f20a3", .malformedKey("expected name+keyid+key")),
            ("PeterNeumann", .malformedKey("expected name+keyid+key")),
            ("PeterNeumann+c74f20a3+", .malformedKey("no key material")),
            ("+c74f20a3+\(b64)", .invalidKeyName("empty")),
            ("Peter Neumann+c74f20a3+\(b64)", .invalidKeyName("contains whitespace")),
            ("Peter\u{00A0}Neumann+c74f20a3+\(b64)", .invalidKeyName("contains whitespace")),
            ("Peter\u{3000}Neumann+c74f20a3+\(b64)", .invalidKeyName("contains whitespace")),
            ("Peter\u{0001}Neumann+c74f20a3+\(b64)", .invalidKeyName("contains a control character")),
            ("PeterNeumann+c74f20a3+\(b64.dropLast())", .malformedKey("key is not canonical padded base64")),
            ("PeterNeumann+c74f20a3+\(b64)\n", .malformedKey("key is not canonical padded base64")),
            ("PeterNeumann+c74f20a3+\(Base64.encode([0x02] + k.publicKey, padded: true))", .unsupportedKeyType(0x02)),
            ("PeterNeumann+c74f20a3+\(Base64.encode([0x05] + k.publicKey, padded: true))", .unsupportedKeyType(0x05)),
            ("PeterNeumann+c74f20a3+\(Base64.encode([0x01] + k.publicKey.dropLast(), padded: true))",
             .wrongKeyLength(expected: 32, got: 31)),
            ("PeterNeumann+c74f20a3+\(Base64.encode([0x01] + k.publicKey + [0], padded: true))",
             .wrongKeyLength(expected: 32, got: 33)),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text.debugDescription)") { try NoteVerifierKey(parsing: text) }
        }
        #expect(!NoteVerifierKey.isValidName("a+b"))
        #expect(!NoteVerifierKey.isValidName("a\u{2028}b"))
        #expect(NoteVerifierKey.isValidName("example.com/log42"))
        #expect(NoteVerifierKey.isValidName("oid/1.3.6.1.4.1.44363.47.1"))
    }

    @Test("non-ASCII bytes in base64 are refused (libsodium 1.0.18 reads them as '/')")
    func base64HighBytes() throws {
        // A signer key whose base64 has a '/' (about half of all keys do).
        var bytes: [UInt8] = []
        while !bytes.suffix(44).contains(UInt8(ascii: "/")) { bytes = try NoteSignerKey.generate(name: "k").encodedBytes() }
        let slash = try #require(bytes.lastIndex(of: UInt8(ascii: "/")))
        #expect(throws: Never.self) { try NoteSignerKey(parsingBytes: bytes) }
        bytes[slash] = 0xAF
        #expect(throws: NoteError.malformedKey("key is not canonical padded base64")) { try NoteSignerKey(parsingBytes: bytes) }
        // The shared decoder itself: libsodium 1.0.18 alone decodes any byte >= 0x80 as '/'.
        #expect(Base64.decode([0x41, 0x41, 0x41, 0xAF], padded: true) == nil)
        #expect(Base64.decode([0x41, 0x41, 0xFF], padded: false) == nil)
    }

    @Test func signerKeyRoundTripAndRefusals() throws {
        let s = try NoteSignerKey.generate(name: "example.org/log")
        let again = try NoteSignerKey(parsingBytes: s.encodedBytes())
        #expect(again.verifierKey == s.verifierKey)
        #expect(!s.description.contains(s.encoded()))
        let cos = s.withType(.cosignatureV1)
        #expect(cos.verifierKey == s.verifierKey.withType(.cosignatureV1))
        #expect(try NoteSignerKey(parsing: cos.encoded()).verifierKey == cos.verifierKey)

        let v = try SignVector.load()
        let parts = v.skey.split(separator: "+", maxSplits: 4).map(String.init)
        #expect(throws: NoteError.malformedKey("a signer key starts with PRIVATE+KEY+")) {
            try NoteSignerKey(parsing: "PRIVATE+KEX+" + parts[2...].joined(separator: "+"))
        }
        #expect(throws: NoteError.keyIDMismatch(stated: 0xc74f20a4, computed: 0xc74f20a3)) {
            try NoteSignerKey(parsing: "PRIVATE+KEY+PeterNeumann+c74f20a4+\(parts[4])")
        }
        // Same seed, other name: the stated id no longer matches.
        #expect(throws: NoteError.self) { try NoteSignerKey(parsing: "PRIVATE+KEY+PeterNeuman+c74f20a3+\(parts[4])") }
        var seed = Base64.decode(parts[4], padded: true)!
        seed[0] = 0x07
        #expect(throws: NoteError.unsupportedKeyType(0x07)) {
            try NoteSignerKey(parsing: "PRIVATE+KEY+PeterNeumann+c74f20a3+\(Base64.encode(seed, padded: true))")
        }
        #expect(throws: NoteError.wrongKeyLength(expected: 32, got: 16)) {
            try NoteSignerKey(name: "x", seed: SecureBytes(count: 16))
        }
        #expect(throws: NoteError.invalidKeyName("contains '+'")) { try NoteSignerKey.generate(name: "a+b") }
    }
}

@Suite("Signed notes")
struct SignedNoteTests {
    static let text = Array("If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n".utf8)

    static func peter() throws -> NoteSignerKey { try NoteSignerKey(parsing: try SignVector.load().skey) }

    @Test func roundTripWithSeveralSigners() throws {
        let a = try NoteSignerKey.generate(name: "a.example/log")
        let b = try NoteSignerKey.generate(name: "b.example/witness")
        let c = try NoteSignerKey.generate(name: "c.example/unknown")
        let note = try SignedNote.sign(Self.text, signers: [a, b, c])
        let opened = try SignedNote.open(note, verifiers: [b.verifierKey, a.verifierKey])
        #expect(opened.text == Self.text)
        #expect(opened.verifiedNames == ["a.example/log", "b.example/witness"])  // note order
        #expect(opened.unknownSignatures == 1)
        // Signature lines come in the signers' order.
        let parsed = try SignedNote(parsing: note)
        #expect(parsed.signatures.map(\.name) == ["a.example/log", "b.example/witness", "c.example/unknown"])
        // Texts with empty lines inside and at the end round-trip (split at the LAST blank line).
        for t in ["a\n\nb\n", "a\n\n", "\n", "x\n\n\n", "émoji ✓ 🚀\n"] {
            let n = try SignedNote.sign(Array(t.utf8), signers: [a])
            #expect(try SignedNote.open(n, verifiers: [a.verifierKey]).textString == t)
        }
    }

    @Test("flipping any bit of the text or of a signature line is caught")
    func tamperEveryBit() throws {
        let a = try Self.peter()
        let note = try SignedNote.sign(Self.text, signers: [a])
        let keys = [a.verifierKey]
        _ = try SignedNote.open(note, verifiers: keys)
        var failures = 0
        for i in note.indices {
            for bit in 0..<8 {
                var t = note
                t[i] ^= UInt8(1 << bit)
                do {
                    _ = try SignedNote.open(t, verifiers: keys)
                    Issue.record("flip of bit \(bit) of byte \(i) was not caught")
                } catch {
                    failures += 1
                }
            }
        }
        #expect(failures == note.count * 8)
    }

    @Test("a bad signature from a known key rejects the note, even next to a good one")
    func badKnownSignatureRejects() throws {
        let a = try NoteSignerKey.generate(name: "a.example")
        let b = try NoteSignerKey.generate(name: "b.example")
        let good = try SignedNote(parsing: try SignedNote.sign(Self.text, signers: [a, b]))
        var badSig = good.signatures[1].signature
        badSig[10] ^= 1
        let bad = try SignedNote(text: Self.text, signatures: [good.signatures[0],
            try NoteSignature(name: "b.example", keyID: b.keyID, signature: badSig)]).encoded
        #expect(throws: NoteError.invalidSignature(name: "b.example", keyID: b.keyID)) {
            try SignedNote.open(bad, verifiers: [a.verifierKey, b.verifierKey])
        }
        // With b unknown, the bad line is ignored.
        #expect(try SignedNote.open(bad, verifiers: [a.verifierKey]).verifiedNames == ["a.example"])
        // A signature with the right name but another key id, or the right id but another
        // name, is from an unknown key.
        let other = try NoteSignature(name: "a.example", keyID: a.keyID ^ 1, signature: badSig)
        let renamed = try NoteSignature(name: "a.example2", keyID: a.keyID, signature: badSig)
        let n2 = try SignedNote(text: Self.text, signatures: [other, renamed, good.signatures[0]]).encoded
        let r = try SignedNote.open(n2, verifiers: [a.verifierKey])
        #expect(r.verifiedNames == ["a.example"] && r.unknownSignatures == 2)
        // A second line from a verified key is skipped (as Go does).
        let dup = try SignedNote(text: Self.text, signatures: [good.signatures[0], good.signatures[0]]).encoded
        #expect(try SignedNote.open(dup, verifiers: [a.verifierKey]).verifiedNames == ["a.example"])
    }

    @Test("structurally malformed notes are refused before any verification")
    func malformedNotes() throws {
        let a = try Self.peter()
        let note = String(decoding: try SignedNote.sign(Self.text, signers: [a]), as: UTF8.self)
        let sigLine = String(note.split(separator: "\n").last!)
        let b64 = String(sigLine.split(separator: " ").last!)
        let keys = [a.verifierKey]
        let cases: [(String, [UInt8])] = [
            ("no blank line", Array(note.replacingOccurrences(of: "\n\n", with: "\n").utf8)),
            ("no final newline", Array(note.dropLast().utf8)),
            ("no signatures", Array("hello\n\n".utf8)),
            ("en dash", Array(note.replacingOccurrences(of: "— ", with: "– ").utf8)),
            ("hyphen", Array(note.replacingOccurrences(of: "— ", with: "- ").utf8)),
            ("two spaces after the dash", Array(note.replacingOccurrences(of: "— ", with: "—  ").utf8)),
            ("CRLF", Array(note.replacingOccurrences(of: "\n", with: "\r\n").utf8)),
            ("tab in text", Array(note.replacingOccurrences(of: "If you", with: "If\tyou").utf8)),
            ("NUL in text", Array(note.replacingOccurrences(of: "If you", with: "If\u{0}you").utf8)),
            ("trailing space on the signature line", Array((note.dropLast() + " \n").utf8)),
            ("unpadded signature", Array(note.replacingOccurrences(of: b64, with: String(b64.dropLast())).utf8)),
            ("short signature", Array(note.replacingOccurrences(of: b64, with: "AAAAAA==").utf8)),
            ("empty line after signatures", Array((note + "\n").utf8)),
            ("garbage line after signatures", Array((note + "x\n").utf8)),
            ("invalid UTF-8", Array("caf".utf8) + [0xC3] + Array(note.utf8)),
            ("overlong UTF-8", [0xC0, 0xAF] + Array(note.utf8)),
            ("UTF-8 surrogate", [0xED, 0xA0, 0x80] + Array(note.utf8)),
        ]
        for (what, bytes) in cases {
            #expect(throws: NoteError.self, "\(what)") { try SignedNote.open(bytes, verifiers: keys) }
        }
        #expect(throws: NoteError.malformedNote("no blank line between text and signatures")) {
            try SignedNote(parsing: Array(note.replacingOccurrences(of: "\n\n", with: "\n").utf8))
        }
        #expect(throws: NoteError.invalidCharacters("control character 0x0d at byte 56")) {
            try SignedNote(parsing: Array(note.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        }
        // A space-separated garbage line carries the line number.
        #expect(throws: NoteError.malformedSignatureLine(line: 2, reason: "does not start with an em dash (U+2014) and a space")) {
            try SignedNote(parsing: Array((note + "x\n").utf8))
        }
        // Sign refuses texts that are not note texts.
        for bad in ["", "no newline", "a\r\n", "bell\u{7}\n"] {
            #expect(throws: NoteError.self, "\(bad.debugDescription)") { try SignedNote.sign(Array(bad.utf8), signers: [a]) }
        }
        #expect(throws: NoteError.invalidText("no signer given")) { try SignedNote.sign(Self.text, signers: []) }
        #expect(throws: NoteError.duplicateSigner(name: a.name, keyID: a.keyID)) {
            try SignedNote.sign(Self.text, signers: [a, a])
        }
    }

    @Test("limits: 100 signatures and 1 MiB, checked before verification")
    func limits() throws {
        let a = try Self.peter()
        let good = try SignedNote(parsing: try SignedNote.sign(Self.text, signers: [a])).signatures[0]
        let junk = try NoteSignature(name: "junk", keyID: 1, signature: [UInt8](repeating: 7, count: 64))
        let at100 = try SignedNote(text: Self.text, signatures: Array(repeating: junk, count: 99) + [good]).encoded
        #expect(try SignedNote.open(at100, verifiers: [a.verifierKey]).unknownSignatures == 99)
        let at101 = at100 + junk.line
        #expect(throws: NoteError.tooManySignatures(limit: 100)) { try SignedNote.open(at101, verifiers: [a.verifierKey]) }
        #expect(throws: NoteError.tooManySignatures(limit: 100)) {
            try SignedNote(text: Self.text, signatures: Array(repeating: junk, count: 101))
        }
        // 1 MiB of text: refused as too large whether signing or opening.
        let big = [UInt8](repeating: 0x61, count: SignedNote.maxSize - 1) + [0x0A]
        #expect(throws: NoteError.self) { try SignedNote.sign(big, signers: [a]) }
        let bigNote = big + [0x0A] + good.line
        #expect(throws: NoteError.noteTooLarge(size: bigNote.count, limit: SignedNote.maxSize)) {
            try SignedNote.open(bigNote, verifiers: [a.verifierKey])
        }
        // Just under the limit is fine.
        let fits = [UInt8](repeating: 0x61, count: SignedNote.maxSize - 200) + [0x0A]
        let n = try SignedNote.sign(fits, signers: [a])
        #expect(n.count <= SignedNote.maxSize)
        #expect(try SignedNote.open(n, verifiers: [a.verifierKey]).text == fits)
    }

    @Test func duplicateConfiguredKeysAreHarmless() throws {
        let a = try Self.peter()
        let note = try SignedNote.sign(Self.text, signers: [a])
        #expect(try SignedNote.open(note, verifiers: [a.verifierKey, a.verifierKey]).verifiedNames == [a.name])
        // A key with the same name but another seed has another id, so it is "unknown".
        let other = try NoteSignerKey.generate(name: a.name)
        #expect(other.keyID != a.keyID)
        #expect(throws: NoteError.noVerifiedSignature(unknownSignatures: 1)) {
            try SignedNote.open(note, verifiers: [other.verifierKey])
        }
    }
}

@Suite("Cosignatures and checkpoints")
struct CheckpointTests {
    static let root = SHA256.hash(Array("root".utf8))

    @Test func checkpointTextAndParsing() throws {
        let cp = try Checkpoint(origin: "example.com/log", size: 20852163, rootHash: Self.root)
        let text = String(decoding: cp.text, as: UTF8.self)
        #expect(text == "example.com/log\n20852163\n\(Base64.encode(Self.root, padded: true))\n")
        #expect(try Checkpoint(parsing: cp.text) == cp)
        let ext = try Checkpoint(origin: "o", size: 0, rootHash: Merkle.emptyRoot, extensions: ["ext one", "ext two"])
        #expect(try Checkpoint(parsing: ext.text) == ext)
        let r = Base64.encode(Self.root, padded: true)
        let bad: [String] = [
            "o\n1\n\(r)", "\n1\n\(r)\n", "o\n01\n\(r)\n", "o\n+1\n\(r)\n", "o\n-1\n\(r)\n", "o\n 1\n\(r)\n",
            "o\n18446744073709551616\n\(r)\n", "o\n1\n\(r.dropLast())\n", "o\n1\n\(Base64.encode(Self.root + [0], padded: true))\n",
            "o\n1\n\(r)\n\n", "o\n1\n\(r)\next\n\n", "o\n1\n", "o\n1\n\(r)\r\n", "o\n1e3\n\(r)\n", "o\n\n\(r)\n",
        ]
        for b in bad { #expect(throws: CheckpointError.self, "\(b.debugDescription)") { try Checkpoint(parsing: Array(b.utf8)) } }
        #expect(try Checkpoint(parsing: Array("o\n18446744073709551615\n\(r)\n".utf8)).size == UInt64.max)
        #expect(try Checkpoint(parsing: Array("o\n0\n\(r)\n".utf8)).size == 0)
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "", size: 1, rootHash: Self.root) }
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "a\nb", size: 1, rootHash: Self.root) }
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "o", size: 1, rootHash: [1, 2]) }
        #expect(throws: CheckpointError.self) { try Checkpoint(origin: "o", size: 1, rootHash: Self.root, extensions: [""]) }
    }

    @Test("log signature plus witness cosignatures, appended later")
    func cosignedCheckpoint() throws {
        let log = try NoteSignerKey.generate(name: "example.com/log")
        let w1 = try NoteSignerKey.generate(name: "w1.example", type: .cosignatureV1)
        let w2 = try NoteSignerKey.generate(name: "w2.example").withType(.cosignatureV1)
        let cp = try Checkpoint(origin: "example.com/log", size: 42, rootHash: Self.root)
        let signed = try cp.sign(signers: [log])
        let cosigned = try SignedNote.addSignatures(to: signed, signers: [w1, w2], timestamp: 1_700_000_000)
        #expect(Array(cosigned.prefix(signed.count)) == signed)
        let sc = try SignedCheckpoint(opening: cosigned, origin: "example.com/log", logKey: log.verifierKey,
                                      cosigners: [w1.verifierKey, w2.verifierKey], minimumCosignatures: 2)
        #expect(sc.checkpoint == cp)
        #expect(sc.cosignatures.map(\.name) == ["w1.example", "w2.example"])
        #expect(sc.cosignatures.allSatisfy { $0.timestamp == 1_700_000_000 })
        // The cosignature is Ed25519 over "cosignature/v1\ntime <t>\n" || text.
        let line = try SignedNote(parsing: cosigned).signatures[1]
        #expect(line.cosignatureTimestamp == 1_700_000_000)
        let msg = SignedNote.cosignatureMessage(text: cp.text, timestamp: 1_700_000_000)
        #expect(String(decoding: msg, as: UTF8.self).hasPrefix("cosignature/v1\ntime 1700000000\nexample.com/log\n42\n"))

        // Policy failures.
        #expect(throws: CheckpointError.notEnoughCosignatures(required: 3, got: 2)) {
            try SignedCheckpoint(opening: cosigned, origin: "example.com/log", logKey: log.verifierKey,
                                 cosigners: [w1.verifierKey, w2.verifierKey], minimumCosignatures: 3)
        }
        #expect(throws: CheckpointError.originMismatch(expected: "example.com/other", got: "example.com/log")) {
            try SignedCheckpoint(opening: cosigned, origin: "example.com/other", logKey: log.verifierKey)
        }
        let otherLog = try NoteSignerKey.generate(name: "example.com/log")
        #expect(throws: CheckpointError.missingLogSignature(otherLog.verifierKey.encoded)) {
            try SignedCheckpoint(opening: cosigned, origin: "example.com/log", logKey: otherLog.verifierKey,
                                 cosigners: [w1.verifierKey])
        }
        // A witness key configured as plain Ed25519 does not match a cosignature/v1 line.
        #expect(throws: CheckpointError.notEnoughCosignatures(required: 1, got: 0)) {
            try SignedCheckpoint(opening: cosigned, origin: "example.com/log", logKey: log.verifierKey,
                                 cosigners: [w1.verifierKey.withType(.ed25519)], minimumCosignatures: 1)
        }
        // Re-cosigning replaces the witness's old line.
        let again = try SignedNote.addSignatures(to: cosigned, signers: [w1], timestamp: 1_700_000_100)
        let sigs = try SignedNote(parsing: again).signatures
        #expect(sigs.map(\.name) == ["example.com/log", "w2.example", "w1.example"])
        #expect(sigs[2].cosignatureTimestamp == 1_700_000_100)
    }

    @Test func cosignatureRules() throws {
        let w = try NoteSignerKey.generate(name: "w.example", type: .cosignatureV1)
        // Only checkpoints can be cosigned.
        #expect(throws: NoteError.cosignatureRequiresCheckpoint) {
            try SignedNote.sign(Array("hello\n".utf8), signers: [w], timestamp: 1)
        }
        let cp = try Checkpoint(origin: "o", size: 1, rootHash: Self.root)
        #expect(throws: NoteError.timestampOutOfRange(UInt64(Int64.max) + 1)) {
            try cp.sign(signers: [w], timestamp: UInt64(Int64.max) + 1)
        }
        // The maximal timestamp works; "now" is used when none is given.
        _ = try SignedNote.open(try cp.sign(signers: [w], timestamp: UInt64(Int64.max)), verifiers: [w.verifierKey])
        let now = try SignedNote.open(try cp.sign(signers: [w]), verifiers: [w.verifierKey])
        let t = try #require(now.signatures[0].timestamp)
        #expect(t + 60 >= SignedNote.currentTimestamp() && t <= SignedNote.currentTimestamp())
        // A timestamp changed in the line breaks the signature.
        let note = try cp.sign(signers: [w], timestamp: 5)
        var s = try SignedNote(parsing: note).signatures[0].signature
        s[7] = 6
        let forged = try SignedNote(text: cp.text, signatures: [try NoteSignature(name: w.name, keyID: w.keyID, signature: s)]).encoded
        #expect(throws: NoteError.invalidSignature(name: w.name, keyID: w.keyID)) {
            try SignedNote.open(forged, verifiers: [w.verifierKey])
        }
        // Build cosignature lines by hand: an Ed25519 signature (same key, used as a plain
        // signer over the cosigned message as note text) behind a chosen timestamp.
        func handMade(_ t: UInt64) throws -> [UInt8] {
            let msg = SignedNote.cosignatureMessage(text: cp.text, timestamp: t)
            let raw = try SignedNote(parsing: try SignedNote.sign(msg, signers: [w.withType(.ed25519)])).signatures[0].signature
            let be = (0..<8).map { UInt8(truncatingIfNeeded: t >> UInt64(56 - 8 * $0)) }
            return try SignedNote(text: cp.text, signatures: [try NoteSignature(name: w.name, keyID: w.keyID, signature: be + raw)]).encoded
        }
        #expect(try SignedNote.open(try handMade(5), verifiers: [w.verifierKey]).signatures[0].timestamp == 5)
        #expect(try handMade(5) == note)
        // A timestamp above 2^63 - 1 is refused even with a valid signature over it.
        #expect(throws: NoteError.invalidSignature(name: w.name, keyID: w.keyID)) {
            try SignedNote.open(try handMade(UInt64(Int64.max) + 1), verifiers: [w.verifierKey])
        }
        // A plain 64-byte Ed25519 signature under a cosigner key is refused.
        let plain = try SignedNote(parsing: try cp.sign(signers: [w.withType(.ed25519)])).signatures[0].signature
        let wrongLength = try SignedNote(text: cp.text, signatures: [try NoteSignature(name: w.name, keyID: w.keyID, signature: plain)]).encoded
        #expect(throws: NoteError.invalidSignature(name: w.name, keyID: w.keyID)) {
            try SignedNote.open(wrongLength, verifiers: [w.verifierKey])
        }
    }
}
