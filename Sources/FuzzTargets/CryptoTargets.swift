import Crypto

/// Targets for the parsers in Crypto. Each parses, and on success checks that the value
/// re-encodes to exactly the input (the formats are canonical) or another property that
/// a bug could break.
enum CryptoTargets {
    // MARK: Fixed keys (from ../shared/vectors, so the seeds reach the code behind them)

    /// The X25519 identity of the C2SP CCTV age vectors.
    static let ageIdentity = try! AgeX25519Identity(
        parsing: "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0")
    /// The file key of the CCTV age vectors ("YELLOW SUBMARINE").
    static let cctvFileKey: [UInt8] = Array("YELLOW SUBMARINE".utf8)

    /// Verifier keys of the signed-note vectors, and of the demo relay's logs (the
    /// committed tlog-proof seeds are from that relay).
    static let noteVerifiers: [NoteVerifierKey] = [
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        "witness.example.org+b8a2cf20+BFLN3yikSfFkVAJtrnh/CiY3Zozkoy7clp+P7XB28qUN",
        "att-relay.localhost/submissions+c98fd178+AbnLiq1quQ37rVYCaeSNZSubq2R7NKkqNynq1aTFsiaU",
    ].map { try! NoteVerifierKey(parsing: $0) }
    static let relayLogKey = noteVerifiers[4]
    static let relayOrigin = "att-relay.localhost/submissions"

    // MARK: age

    static func ageHeader(_ data: [UInt8]) {
        let name = "age-header"
        if let (header, macInput) = try? AgeHeader.parse(data) {
            require(header.encode() == data, name, "a parsed header does not re-encode to its bytes")
            require(macInput == header.encodeWithoutMAC(), name, "the MAC input is not the header through \"---\"")
            require(!header.stanzas.isEmpty && header.mac.count == 32, name, "a parsed header has no stanza or a bad MAC")
        }
        // The streaming path: header lines from a buffered source, stanza checks, X25519
        // unwrap and the MAC. A header it accepts must parse on its own.
        let source = BufferedSource(MemorySource(data))
        if let fileKey = try? Age.decryptHeader(from: source, identities: [ageIdentity]) {
            require(fileKey.count == 16, name, "decryptHeader returned a file key of \(fileKey.count) bytes")
            var rest = [UInt8](repeating: 0, count: data.count)
            let n = (try? rest.withUnsafeMutableBytes { try source.readFull(into: $0) }) ?? -1
            require(n >= 0 && n < data.count, name, "decryptHeader consumed nothing")
            require((try? AgeHeader.parse(Array(data[..<(data.count - n)]))) != nil, name,
                    "decryptHeader accepted a header that AgeHeader.parse refuses")
        }
    }

    static func armorDecode(_ data: [UInt8], capacity: Int) -> Outcome<[UInt8]> {
        Outcome { try ArmorDecoder(BufferedSource(MemorySource(data), capacity: capacity)).readAll(limit: 1 << 20) }
    }

    static func ageArmor(_ data: [UInt8]) {
        let name = "age-armor"
        let small = 66 + Int(mix(data) % 200)
        let a = armorDecode(data, capacity: 64 * 1024)
        let b = armorDecode(data, capacity: small)
        switch (a, b) {
        case let (.value(x), .value(y)):
            require(x == y, name, "the decoded bytes depend on the read buffer size")
        case (.failure, .failure): break
        default: violated(name, "accepting the armor depends on the read buffer size (\(small)): \(a) vs \(b)")
        }
        guard let decoded = a.value else { return }
        // Re-armor and decode again.
        let sink = MemorySink()
        let encoder = ArmorEncoder(sink)
        do {
            try encoder.write(decoded)
            try encoder.finish()
        } catch { violated(name, "ArmorEncoder failed: \(error)") }
        require(armorDecode(sink.bytes, capacity: 64 * 1024) == .value(decoded), name,
                "re-armored bytes do not decode to the same bytes")
        // The canonical armor of the bytes is the input itself when the input has no
        // optional whitespace and LF line endings.
        if !data.contains(0x0D), data.first != 0x20, data.first != 0x09, data.first != 0x0A,
           data.last == 0x0A, data.count >= 2, data[data.count - 2] != 0x0A, data[data.count - 2] != 0x20, data[data.count - 2] != 0x09 {
            require(sink.bytes == data, name, "a canonical armor does not re-encode to itself")
        }
    }

    /// First byte even: `nonce (16) || payload`, decrypted with the CCTV file key, with two
    /// batch sizes (the output must not depend on batching), and on success re-encrypted
    /// (STREAM is deterministic, so that must give the payload back).
    /// First byte odd: a plaintext described by the input is encrypted, optionally
    /// tampered with (bit flip, truncation, extension), and decrypted: untampered it must
    /// round-trip; tampered it must fail, having written a whole-chunk prefix at most.
    static func stream(_ data: [UInt8]) {
        let name = "stream"
        guard let mode = data.first else { return }
        if mode & 1 == 0 {
            guard data.count >= 17 else { return }
            let nonce = Array(data[1..<17])
            let payload = Array(data[17...])
            guard let key = try? STREAM.payloadKey(fileKey: SecureBytes(copying: cctvFileKey), nonce: nonce) else {
                violated(name, "payload key derivation failed")
            }
            let batch = 1 + Int(mode >> 1) % 3
            func decrypt(_ batch: Int) -> (Outcome<Bool>, [UInt8]) {
                let sink = MemorySink()
                var s = STREAM(key: key, chunksPerBatch: batch)
                let r = Outcome { try s.decrypt(from: MemorySource(payload), to: sink); return true }
                return (r, sink.bytes)
            }
            let (r1, out1) = decrypt(batch)
            let (r2, out2) = decrypt(batch == 1 ? 2 : 1)
            require(r1 == r2 && out1 == out2, name, "decryption depends on the batch size: \(r1) vs \(r2), \(out1.count) vs \(out2.count) bytes")
            if r1.value == true {
                let sink = MemorySink()
                var s = STREAM(key: key, chunksPerBatch: batch)
                do { try s.encrypt(from: MemorySource(out1), to: sink) } catch { violated(name, "encryption failed: \(error)") }
                require(sink.bytes == payload, name, "a payload that decrypts does not re-encrypt to itself")
            } else {
                require(out1.count % STREAM.chunkSize == 0, name, "a failed decryption wrote a partial chunk")
            }
            return
        }
        // Encrypt, tamper, decrypt.
        let p = Array(data.dropFirst())
        func byte(_ i: Int) -> Int { i < p.count ? Int(p[i]) : 0 }
        let length = min(3 * STREAM.chunkSize + 64, (byte(0) << 10 | byte(1) << 2 | byte(2) >> 6))
        let pattern = p.count > 8 ? Array(p[8...]) : [0x61]
        var plain = [UInt8](repeating: 0, count: length)
        for i in 0..<length { plain[i] = pattern[i % pattern.count] }
        let batch = 1 + byte(3) % 3
        let key = SecureBytes(copying: Array(repeating: UInt8(truncatingIfNeeded: byte(4)), count: 32))
        let sealedSink = MemorySink()
        var enc = STREAM(key: key, chunksPerBatch: batch)
        do { try enc.encrypt(from: MemorySource(plain), to: sealedSink) } catch { violated(name, "encryption failed: \(error)") }
        let sealed = sealedSink.bytes
        let chunks = max(1, (length + STREAM.chunkSize - 1) / STREAM.chunkSize)
        require(sealed.count == length + chunks * STREAM.tagSize, name, "ciphertext length \(sealed.count) for \(length) bytes")
        var tampered = sealed
        let position = (byte(5) << 16 | byte(6) << 8 | byte(7)) % (sealed.count + 1)
        switch byte(3) / 3 % 4 {
        case 1 where position < sealed.count: tampered[position] ^= UInt8(1 << (byte(4) % 8))
        case 2: tampered.removeSubrange(position...)
        case 3: tampered.append(UInt8(truncatingIfNeeded: byte(4)))
        default: break
        }
        let out = MemorySink()
        var dec = STREAM(key: key, chunksPerBatch: 1 + (batch % 3))
        let result = Outcome { try dec.decrypt(from: MemorySource(tampered), to: out); return true }
        if tampered == sealed {
            require(result == .value(true), name, "an untampered payload does not decrypt: \(result)")
            require(out.bytes == plain, name, "an untampered payload decrypts to other bytes")
        } else {
            require(result != .value(true), name, "a tampered payload decrypted")
            require(out.bytes.count % STREAM.chunkSize == 0 && plain.starts(with: out.bytes), name,
                    "a tampered payload wrote \(out.bytes.count) bytes that are not whole authenticated chunks")
        }
    }

    // MARK: minisign

    static func minisignPublicKey(_ data: [UInt8]) {
        let name = "minisign-pubkey"
        guard let key = try? MinisignPublicKey(parsing: data) else { return }
        require((try? MinisignPublicKey(parsing: key.encodeFile())) == key, name, "the re-encoded key file does not parse back")
        require((try? MinisignPublicKey(base64: key.base64)) == key, name, "the key line does not parse back")
        // Lines as minisign reads them: LF or CRLF, a final newline ignored.
        var l = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { $0.last == 0x0D ? Array($0.dropLast()) : Array($0) }
        if l.last?.isEmpty == true { l.removeLast() }
        let keyLine = l.count == 2 ? l[1] : []
        require(keyLine == Array(key.base64.utf8), name, "the accepted key line is not the canonical base64 of the key")
        require(key.keyIDString.utf8.count == 16, name, "key id string is not 16 hex digits")
    }

    struct NoPassphrase: Error {}

    static func minisignSecretKey(_ data: [UInt8]) {
        let name = "minisign-seckey"
        // The passphrase callback refuses, so scrypt never runs: an encrypted key stops there.
        var asked = false
        let key = try? MinisignSecretKey.load(data) { asked = true; throw NoPassphrase() }
        let encrypted = try? MinisignSecretKey.isEncrypted(data)
        if asked { require(encrypted == true, name, "the passphrase was asked for a key that isEncrypted calls unencrypted") }
        guard let key else { return }
        require(!asked && encrypted == false, name, "an encrypted key loaded without a passphrase")
        // The key must sign what its own public key verifies.
        let message: [UInt8] = Array("att-report fuzz".utf8)
        guard let sig = try? key.signRaw(message) else { violated(name, "a loaded key cannot sign") }
        require(key.publicKey.verifyRaw(sig, message: message), name,
                "a loaded secret key makes signatures its own public key does not verify (public half does not match the seed)")
        // Written out unencrypted and loaded again: the same key.
        guard let file = try? key.encodeFile(passphrase: nil),
              let again = try? MinisignSecretKey.load(Array(file.utf8), passphrase: { throw NoPassphrase() }) else {
            violated(name, "a loaded key does not re-encode and load again")
        }
        require(again.keyID == key.keyID && again.publicKey == key.publicKey, name, "a re-encoded key loads as another key")
    }

    static let minisignKAT = try! MinisignPublicKey(base64: "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3")

    static func minisignSignature(_ data: [UInt8]) {
        let name = "minisign-sig"
        guard let sig = try? MinisignSignature(parsing: data) else { return }
        let encoded = Array(sig.encodeFile().utf8)
        require((try? MinisignSignature(parsing: encoded)) == sig, name, "the re-encoded signature does not parse back")
        // The untrusted comment is not signed and may be any bytes (decoded with
        // replacement); everything else is kept exactly.
        if !data.contains(0x0D) && data.last == 0x0A && String(validating: data, as: UTF8.self) != nil {
            require(encoded == data, name, "a signature file with LF endings does not re-encode to itself")
        }
        if !data.contains(0x0D) {
            require(Array(sig.trustedComment.utf8) == Array(lines(data)[2].dropFirst(Minisign.trustedPrefix.utf8.count)), name,
                    "the trusted comment is not the file's bytes")
        }
        // Verification must not trap, whatever the key id or signature bytes.
        _ = try? sig.verify(MemorySource(Array("test".utf8)), with: minisignKAT, allowLegacy: true)
    }

    // MARK: Signed notes, checkpoints, proofs

    static func signedNote(_ data: [UInt8]) {
        let name = "signed-note"
        guard let note = try? SignedNote(parsing: data) else { return }
        require(note.encoded == data, name, "a parsed note does not re-encode to its bytes")
        require((try? SignedNote(text: note.unverifiedText, signatures: note.signatures))?.encoded == data, name,
                "a note rebuilt from its parts differs")
        if let verified = try? note.verify(noteVerifiers) {
            require(verified.text == note.unverifiedText && !verified.signatures.isEmpty, name, "a verified note lost its text or signatures")
            require(verified.signatures.count + verified.unknownSignatures <= note.signatures.count, name,
                    "more verified and unknown signatures than signature lines")
        }
    }

    static func checkpoint(_ data: [UInt8]) {
        let name = "checkpoint"
        if let cp = try? Checkpoint(parsing: data) {
            require(cp.text == data, name, "a parsed checkpoint does not re-encode to its bytes")
            require((try? Checkpoint(origin: cp.origin, size: cp.size, rootHash: cp.rootHash, extensions: cp.extensions)) == cp, name,
                    "a checkpoint rebuilt from its fields differs")
        }
        // As a whole signed checkpoint note.
        if let signed = try? SignedCheckpoint(opening: data, origin: relayOrigin, logKey: relayLogKey) {
            require(signed.note == data && signed.signatures.contains { $0.key == relayLogKey }, name,
                    "an opened checkpoint lacks the log's signature")
            require(signed.checkpoint.origin == relayOrigin, name, "an opened checkpoint has another origin")
        }
    }

    static func tlogProof(_ data: [UInt8]) {
        let name = "tlog-proof"
        guard let proof = try? TlogProof(parsing: data) else { return }
        require(proof.encoded == data, name, "a parsed proof does not re-encode to its bytes")
        require((try? TlogProof(index: proof.index, inclusionProof: proof.inclusionProof, checkpointNote: proof.checkpointNote,
                                extra: proof.extra))?.encoded == data, name, "a proof rebuilt from its fields differs")
        // Verification against the demo relay's key must not trap; if it verifies, the
        // index is inside the tree.
        let leaf = [UInt8](repeating: UInt8(truncatingIfNeeded: proof.index), count: 32)
        if let signed = try? proof.verify(leafHash: leaf, origin: relayOrigin, logKey: relayLogKey) {
            require(proof.index < signed.checkpoint.size, name, "a proof verified for an index outside the tree")
        }
    }
}
