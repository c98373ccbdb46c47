import Crypto
import Dispatch

/// Reading envelopes: inspect (unverified), verify (auditors), open (readers).
extension Envelope {
    // MARK: - Inspecting, verifying, opening

    /// The manifest in an outer signature's trusted comment, parsed but NOT verified.
    public static func inspect(signature: MinisignSignature) throws -> UnverifiedManifest {
        let (manifest, size) = try Manifest.parseOuterComment(signature.trustedComment)
        return UnverifiedManifest(manifest: manifest, declaredSealedSize: size, signatureKeyID: signature.keyIDString)
    }

    /// Checks 1–3 of §6.4, for auditors without a secret key: who sealed the file, when,
    /// under which manifest. Reads `sealed` once.
    public static func verify(sealed: ByteSource, signature: MinisignSignature, directory: KeyDirectory) throws -> Verified {
        let candidates = try signerCandidates(signature, directory: directory)
        let hasher = BackgroundHasher()
        let input = HashingSource(sealed, hasher: hasher)
        try input.drain()
        let digest = hasher.finalize()
        let (signer, manifest) = try checkOuter(signature, digest: digest, sealedSize: input.count, candidates: candidates)
        return Verified(manifest: manifest, signer: signer, sealedSize: input.count)
    }

    /// The same checks, for a caller that hashed the sealed file as it arrived:
    /// `sealedBLAKE2b512` is its BLAKE2b-512 (what a prehashed minisign signature signs)
    /// and `sealedSize` its length in bytes.
    public static func verify(sealedBLAKE2b512: [UInt8], sealedSize: UInt64, signature: MinisignSignature,
                              directory: KeyDirectory) throws -> Verified {
        let candidates = try signerCandidates(signature, directory: directory)
        let (signer, manifest) = try checkOuter(signature, digest: sealedBLAKE2b512, sealedSize: sealedSize, candidates: candidates)
        return Verified(manifest: manifest, signer: signer, sealedSize: sealedSize)
    }

    /// Opens an envelope (§6.4): every check, in order, each failing with its own
    /// `EnvelopeError`. The report is written to the `output` the closure makes and
    /// committed only when every check has passed; on any failure it is aborted, so no
    /// unauthenticated or unchecked plaintext is ever final.
    ///
    /// `output` is called at most once, before the sealed file is read, with the manifest
    /// of the outer trusted comment: its fields are well formed (the file name is a safe
    /// base name) but NOT yet verified. Reads `sealed` once.
    public static func open(sealed: ByteSource, signature: MinisignSignature, directory: KeyDirectory,
                            identities: [ReaderIdentity], output: (Manifest) throws -> ReportOutput) throws -> Opened {
        // Check 1 as far as it can go before reading: a prehashed signature by a known key.
        let candidates = try signerCandidates(signature, directory: directory)

        // Checks 2–4 that need no input are evaluated now (and again, in order, at the
        // end) to know whether to decrypt at all; if one fails, the sealed file is only
        // hashed, so that an invalid outer signature is still reported first.
        var plan: (manifest: Manifest, identities: [AgeIdentity])?
        if let m = (try? Manifest.parseOuterComment(signature.trustedComment))?.manifest,
           candidates.contains(where: { $0.party == m.from && $0.key.keyID == m.keyID && $0.key.isValid(at: m.time) }),
           let ids = try? readerIdentities(identities, for: m) {
            plan = (m, ids)
        }

        let sealedHasher = BackgroundHasher()
        let input = HashingSource(sealed, hasher: sealedHasher)
        guard let plan else {
            try input.drain()
            let (_, manifest) = try checkOuter(signature, digest: sealedHasher.finalize(), sealedSize: input.count, candidates: candidates)
            _ = try readerIdentities(identities, for: manifest)
            // Unreachable unless a key id is shared by several keys of the from party.
            throw EnvelopeError.outerSignatureInvalid("key id \(signature.keyIDString) names more than one key of \(manifest.from)")
        }
        let expected = plan.manifest

        let out = try output(expected)
        var committed = false
        defer { if !committed { out.abort() } }
        let reportHasher = BackgroundHasher()
        let reader = UstarContainerReader(fileName: expected.fileName, mtime: expected.time.seconds, report: out,
                                          observe: { reportHasher.update($0) })
        let guarded = FirstErrorSink(reader)
        var ageError: AgeError?
        if expected.level == .public {
            try pump(input, to: guarded)
        } else {
            // Binary only: att-report never armors a sealed file (§6.3).
            do { try Age.decrypt(from: input, to: guarded, identities: plan.identities, armored: false) } catch let e as AgeError { ageError = e }
        }
        try input.drain()  // after a failure, the rest still counts for the outer signature

        // 1–3
        let (signer, manifest) = try checkOuter(signature, digest: sealedHasher.finalize(), sealedSize: input.count, candidates: candidates)
        // 4
        _ = try readerIdentities(identities, for: manifest)
        if let e = ageError {
            if case .noMatchingIdentity = e {
                let keys = identities.filter { manifest.to.contains($0.party) }.map { "\($0.party)/\($0.keyID)" }
                throw EnvelopeError.notARecipient("none of the reader's keys (\(keys.joined(separator: ", "))) opens the sealed file: it was not sealed to them")
            }
            throw EnvelopeError.decryptionFailed(e)
        }
        // 5
        if let e = guarded.error { throw e }
        let container = try reader.finish()
        let parts = try parseManifestMember(container.manifest)
        // 6
        let listHash = hexString(SHA256.hash(parts.keyList))
        guard listHash == manifest.keysSHA256 else {
            throw EnvelopeError.recipientListMismatch("the list hashes to \(listHash), but the manifest says keys=\(manifest.keysSHA256)")
        }
        let listed = Array(Set(parts.recipients.map(\.party))).sorted()
        guard listed == manifest.to else {
            func show(_ p: [PartyCode]) -> String { p.isEmpty ? "-" : p.map(\.rawValue).joined(separator: ",") }
            throw EnvelopeError.recipientListMismatch("it lists the parties \(show(listed)), but the manifest says to=\(show(manifest.to))")
        }
        guard zip(parts.recipients, parts.recipients.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw EnvelopeError.recipientListMismatch("it is not sorted by party, then key id, without duplicates")
        }
        // 7
        let inner: MinisignSignature
        do { inner = try MinisignSignature(parsing: container.signature) } catch {
            throw EnvelopeError.innerSignatureInvalid("\(container.fileName)\(Ustar.signatureSuffix) is not a minisign signature: \(error)")
        }
        guard inner.prehashed else {
            throw EnvelopeError.innerSignatureInvalid("a legacy (Ed) signature; envelopes use prehashed (ED) signatures")
        }
        let innerCandidates = keys(withID: inner.keyIDString, in: directory)
        guard !innerCandidates.isEmpty else {
            throw EnvelopeError.innerSignatureInvalid("made with key \(inner.keyIDString), which is not a key of any party in the directory")
        }
        let reportDigest = reportHasher.finalize()
        var innerSigner: Signer?
        var innerFailure: MinisignError?
        for c in innerCandidates {
            if let e = verify(inner, digest: reportDigest, with: c.key.signingKey) { innerFailure = e } else { innerSigner = c; break }
        }
        guard let innerSigner else {
            throw EnvelopeError.innerSignatureInvalid(innerFailure == .invalidGlobalSignature
                ? "its trusted comment was modified after signing"
                : "it does not verify over the report \(container.fileName) with key \(inner.keyIDString)")
        }
        guard innerSigner == signer else {
            throw EnvelopeError.signerMismatch("the report was signed by \(innerSigner) (inner signature), but the envelope by \(signer) (outer signature)")
        }
        guard inner.trustedComment == manifest.line else {
            throw EnvelopeError.manifestMismatch("the inner signature's trusted comment is not the outer manifest: \(difference(inner.trustedComment, manifest.line))")
        }
        guard parts.line == manifest.line else {
            throw EnvelopeError.manifestMismatch("the first line of manifest.txt is not the outer manifest: \(difference(parts.line, manifest.line))")
        }
        try out.commit()
        committed = true
        return Opened(manifest: manifest, signer: signer, recipients: parts.recipients, reportSize: container.reportSize,
                      sealedSize: input.count)
    }

    /// `open` writing the report to `outputPath` (a temporary file in its directory, renamed
    /// into place at the end; an existing file is replaced only when `overwrite`).
    public static func open(sealed: ByteSource, signature: MinisignSignature, directory: KeyDirectory,
                            identities: [ReaderIdentity], outputPath: String, overwrite: Bool = false) throws -> Opened {
        try open(sealed: sealed, signature: signature, directory: directory, identities: identities,
                 output: { _ in try AtomicFileSink(path: outputPath, overwrite: overwrite) })
    }
}
