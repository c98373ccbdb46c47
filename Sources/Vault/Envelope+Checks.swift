import Crypto
import Dispatch

/// The checks of docs/FORMATS.md §6.4, one function each.
extension Envelope {
    // MARK: - The checks

    /// Check 1 before any input: the signature is prehashed and its key id names at least
    /// one directory key (several only if the directory has a key id twice).
    static func signerCandidates(_ signature: MinisignSignature, directory: KeyDirectory) throws -> [Signer] {
        guard signature.prehashed else {
            throw EnvelopeError.outerSignatureInvalid("a legacy (Ed) signature; envelopes use prehashed (ED) signatures")
        }
        let found = keys(withID: signature.keyIDString, in: directory)
        guard !found.isEmpty else { throw EnvelopeError.unknownSigner(keyID: signature.keyIDString) }
        return found
    }

    static func keys(withID id: String, in directory: KeyDirectory) -> [Signer] {
        directory.parties.values.sorted { $0.code < $1.code }.flatMap { p in
            p.keys.filter { $0.keyID == id }.map { Signer(party: p.code, key: $0) }
        }
    }

    /// Checks 1 (the signature verifies), 2 and 3, given the sealed file's digest and size.
    static func checkOuter(_ signature: MinisignSignature, digest: [UInt8], sealedSize: UInt64,
                           candidates: [Signer]) throws -> (Signer, Manifest) {
        var signer: Signer?
        var failure: MinisignError?
        for c in candidates {
            if let e = verify(signature, digest: digest, with: c.key.signingKey) { failure = e } else { signer = c; break }
        }
        guard let signer else {
            throw EnvelopeError.outerSignatureInvalid(failure == .invalidGlobalSignature
                ? "its trusted comment (the manifest) was modified after signing"
                : "it does not match the sealed file (signed by key \(signature.keyIDString))")
        }
        let (manifest, declared) = try Manifest.parseOuterComment(signature.trustedComment)
        guard declared == sealedSize else { throw EnvelopeError.sealedSizeMismatch(declared: declared, actual: sealedSize) }
        guard manifest.from == signer.party, manifest.keyID == signer.key.keyID else {
            throw EnvelopeError.signerMismatch("the outer signature was made by \(signer), but the manifest says from=\(manifest.from) key=\(manifest.keyID)")
        }
        try checkValidity(signer, at: manifest.time)
        return (signer, manifest)
    }

    static func checkValidity(_ signer: Signer, at time: UTCTime) throws {
        let k = signer.key
        switch k.validity(at: time) {
        case .valid: return
        case .revoked: throw EnvelopeError.signingKeyRevoked(party: signer.party, keyID: k.keyID, revoked: k.revoked!, at: time)
        case .expired: throw EnvelopeError.signingKeyExpired(party: signer.party, keyID: k.keyID, expires: k.expires!, at: time)
        case .notYetValid: throw EnvelopeError.signingKeyNotYetValid(party: signer.party, keyID: k.keyID, created: k.created, at: time)
        }
    }

    /// Check 4 before decryption: the reader's identities of parties in `to=` (none are
    /// needed for `public`).
    static func readerIdentities(_ identities: [ReaderIdentity], for manifest: Manifest) throws -> [AgeIdentity] {
        if manifest.level == .public { return [] }
        guard !identities.isEmpty else { throw EnvelopeError.notARecipient("no age identity was given to open it with") }
        let usable = identities.filter { manifest.to.contains($0.party) }
        guard !usable.isEmpty else {
            let mine = Array(Set(identities.map(\.party))).sorted().map(\.rawValue).joined(separator: ",")
            throw EnvelopeError.notARecipient("it is sealed to \(manifest.to.map(\.rawValue).joined(separator: ",")), and the reader is \(mine)")
        }
        return usable.map { $0.identity as AgeIdentity }
    }

    /// `manifest.txt`: the manifest line, LF, then `<party> <key id> <age recipient>` LF lines.
    static func parseManifestMember(_ bytes: [UInt8]) throws -> (line: String, keyList: [UInt8], recipients: [ResolvedRecipient]) {
        func bad(_ why: String) -> EnvelopeError { .malformedContainer("manifest.txt: \(why)") }
        guard let lf = bytes.firstIndex(of: 0x0A) else { throw bad("no line feed after the manifest line") }
        let first = bytes[..<lf]
        guard first.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else { throw bad("the manifest line is not printable ASCII") }
        let list = Array(bytes[(lf + 1)...])
        guard list.isEmpty || list.last == 0x0A else { throw bad("the last line does not end with a line feed") }
        var recipients: [ResolvedRecipient] = []
        for (n, raw) in list.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().enumerated() {
            let where_ = "line \(n + 2)"
            guard raw.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E || $0 == 0x20 }) else { throw bad("\(where_) is not printable ASCII") }
            let t = String(decoding: raw, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard t.count == 3 else { throw bad("\(where_) is not \"<party> <key id> <age recipient>\"") }
            guard let party = try? PartyCode(t[0]) else { throw bad("\(where_): \"\(t[0].prefix(40))\" is not a party code") }
            guard Manifest.isValidKeyID(t[1]) else { throw bad("\(where_): \"\(t[1].prefix(40))\" is not a key id") }
            guard let r = try? AgeX25519Recipient(parsing: t[2]), r.encoded == t[2] else {
                throw bad("\(where_): \"\(t[2].prefix(80))\" is not an age X25519 recipient")
            }
            recipients.append(ResolvedRecipient(party: party, keyID: t[1], recipient: r))
        }
        return (String(decoding: first, as: UTF8.self), list, recipients)
    }

    /// Says which field of two manifest lines differs first.
    static func difference(_ found: String, _ expected: String) -> String {
        let a = found.split(separator: " ", omittingEmptySubsequences: false)
        let b = expected.split(separator: " ", omittingEmptySubsequences: false)
        if a.count == b.count, let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return "it has \"\(a[i].prefix(100))\" where the outer manifest has \"\(b[i].prefix(100))\""
        }
        return "\"\(found.prefix(120))\""
    }

    /// Verifies a prehashed minisign signature against a BLAKE2b-512 digest computed
    /// elsewhere (while the data streamed past); nil when it verifies.
    static func verify(_ signature: MinisignSignature, digest: [UInt8], with key: MinisignPublicKey) -> MinisignError? {
        do {
            _ = try signature.verify(digest: digest, with: key)
            return nil
        } catch let e as MinisignError {
            return e
        } catch {
            return .invalidSignature
        }
    }

    /// Copies a source to a sink in 1 MiB blocks.
    static func pump(_ source: ByteSource, to sink: ByteSink) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
