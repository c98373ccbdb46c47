import Crypto
import Testing
import TestSupport

@Suite("age round trips")
struct AgeRoundTripTests {
    static let successWithKey = AgeVectorTests.classical.filter {
        guard let v = try? AgeVector.load($0) else { return false }
        return v.expect == "success" && v.fileKey != nil
    }

    /// Header: parse and re-serialise with the vector's file key gives the same bytes,
    /// MAC included. STREAM: re-encrypting the plaintext under the same key and nonce
    /// gives the same payload.
    @Test("header and STREAM re-encryption reproduce the vector byte for byte", arguments: successWithKey)
    func reencrypt(_ name: String) throws {
        let v = try AgeVector.load(name)
        let fileKey = SecureBytes(copying: v.fileKey!)
        // Undo the armor, if any, to get the binary file.
        var binary = v.file
        if v.armored {
            let sink = MemorySink()
            let decoder = ArmorDecoder(BufferedSource(MemorySource(v.file)))
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try decoder.read(into: $0) }
                if n == 0 { break }
                try sink.write(Array(buffer[0..<n]))
            }
            binary = sink.bytes
        }
        let headerEnd = try #require(headerLength(binary))
        let (header, macInput) = try AgeHeader.parse(Array(binary[0..<headerEnd]))
        #expect(header.encodeWithoutMAC() == macInput)
        var rebuilt = header
        rebuilt.mac = try AgeHeader.computeMAC(fileKey: fileKey, macInput: header.encodeWithoutMAC())
        #expect(rebuilt.encode() == Array(binary[0..<headerEnd]), "header bytes")

        let nonce = Array(binary[headerEnd..<(headerEnd + 16)])
        let plaintext = MemorySink()
        var stream = STREAM(key: try STREAM.payloadKey(fileKey: fileKey, nonce: nonce))
        try stream.decrypt(from: MemorySource(Array(binary[(headerEnd + 16)...])), to: plaintext)
        #expect(hex(SHA256.hash(plaintext.bytes)) == v.payloadSHA256)
        let again = MemorySink()
        try Age.encryptPayload(from: MemorySource(plaintext.bytes), to: again, fileKey: fileKey, nonce: nonce)
        #expect(again.bytes == Array(binary[headerEnd...]), "payload bytes")
    }

    func headerLength(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            guard let nl = b[i...].firstIndex(of: 0x0A) else { return nil }
            if b[i...].starts(with: Array("---".utf8)) { return nl + 1 }
            i = nl + 1
        }
        return nil
    }

    static let sizes = [0, 1, 65535, 65536, 65537, 16 * 65536, 16 * 65536 + 1, 3 * 1024 * 1024 + 5]

    @Test("encrypt then decrypt, binary and armored", arguments: sizes, [false, true])
    func roundTrip(size: Int, armor: Bool) throws {
        let plaintext = randomBytes(size)
        let alice = try AgeX25519Identity.generate(), bob = try AgeX25519Identity.generate()
        let sealed = MemorySink()
        try Age.encrypt(from: MemorySource(plaintext), to: sealed, recipients: [alice.recipient, bob.recipient], armor: armor)
        for who in [alice, bob] {
            let opened = MemorySink()
            try Age.decrypt(from: MemorySource(sealed.bytes), to: opened, identities: [who])
            #expect(opened.bytes == plaintext)
        }
        let stranger = try AgeX25519Identity.generate()
        #expect(throws: AgeError.noMatchingIdentity(tried: [stranger.label])) {
            try Age.decrypt(from: MemorySource(sealed.bytes), to: MemorySink(), identities: [stranger])
        }
        // Expected size: header + 16-byte nonce + 16 bytes of tag per chunk.
        if !armor {
            let chunks = max(1, (size + 65535) / 65536)
            #expect(sealed.bytes.count > size + 16 + chunks * 16)
        }
    }

    @Test func passphraseRoundTripAndWrongPassphrase() throws {
        let sealed = MemorySink()
        let pass = SecureBytes(copying: Array("correct horse".utf8))
        try Age.encrypt(from: MemorySource(Array("hello".utf8)), to: sealed, recipients: [AgeScryptRecipient(passphrase: pass, workFactor: 10)])
        let opened = MemorySink()
        try Age.decrypt(from: MemorySource(sealed.bytes), to: opened, identities: [AgeScryptIdentity { pass }])
        #expect(opened.bytes == Array("hello".utf8))
        let wrong = AgeScryptIdentity { SecureBytes(copying: Array("battery staple".utf8)) }
        #expect(throws: AgeError.noMatchingIdentity(tried: ["passphrase"])) {
            try Age.decrypt(from: MemorySource(sealed.bytes), to: MemorySink(), identities: [wrong])
        }
        #expect(throws: AgeError.usage("a passphrase cannot be combined with other recipients")) {
            try Age.encrypt(from: MemorySource([]), to: MemorySink(),
                            recipients: [AgeScryptRecipient(passphrase: pass), try AgeX25519Identity.generate().recipient])
        }
    }

    @Test func everyFlippedBitIsCaught() throws {
        let id = try AgeX25519Identity.generate()
        let sealed = MemorySink()
        try Age.encrypt(from: MemorySource(randomBytes(70_000)), to: sealed, recipients: [id.recipient])
        // Flip one bit in each region: header line, MAC, nonce, first chunk, last chunk.
        let b = sealed.bytes
        for position in [30, b.firstRange(of: Array("--- ".utf8))!.upperBound + 3, b.count - 70_100, b.count - 70_000, b.count - 1] {
            var t = b
            t[position] ^= 0x04
            #expect(throws: AgeError.self) {
                try Age.decrypt(from: MemorySource(t), to: MemorySink(), identities: [id])
            }
        }
    }

    @Test func identityEncodingsRoundTrip() throws {
        let id = try AgeX25519Identity.generate()
        let text = id.encoded()
        #expect(text.hasPrefix("AGE-SECRET-KEY-1"))
        let again = try AgeX25519Identity(parsing: text)
        #expect(again.recipient == id.recipient)
        #expect(try AgeX25519Recipient(parsing: id.recipient.encoded) == id.recipient)
        #expect(throws: AgeError.self) { try AgeX25519Identity(parsing: text.lowercased()) }
        #expect(throws: AgeError.self) { try AgeX25519Recipient(parsing: "age1notakey") }
    }
}
