import Crypto
import Dispatch

/// An age identity of the reader, with the party and key it belongs to.
public struct ReaderIdentity: Sendable {
    public let party: PartyCode
    public let keyID: String
    public let identity: AgeX25519Identity

    public init(party: PartyCode, keyID: String, identity: AgeX25519Identity) {
        self.party = party; self.keyID = keyID; self.identity = identity
    }
}

/// Where an opened report goes: nothing written to it is final until `commit()`, and
/// `abort()` discards it (an `AtomicFileSink`: a temporary file renamed on commit).
public protocol ReportOutput: ByteSink {
    func commit() throws
    func abort()
}

extension AtomicFileSink: ReportOutput {}

/// Sealed envelopes (docs/FORMATS.md §6): a report in a three-member ustar container,
/// signed inside, encrypted with age to the resolved recipients (or not, for `public`),
/// and signed outside.
///
/// Everything streams: `seal` reads the report once, and `open` and `verify` read the
/// sealed file once, hashing it on another thread while it is decrypted. Memory does not
/// grow with the report.
public enum Envelope {
    /// A directory key that made a signature.
    public struct Signer: Equatable, Sendable, CustomStringConvertible {
        public let party: PartyCode
        public let key: PartyKey
        public var description: String { "\(party)/\(key.keyID)" }
    }

    public struct Sealed: Sendable {
        public let manifest: Manifest
        /// Write it as `<sealed file>.minisig` (`outerSignature.encodeFile()`).
        public let outerSignature: MinisignSignature
        public let sealedSize: UInt64
    }

    /// What `verify` established: checks 1–3 of §6.4 passed.
    public struct Verified: Sendable {
        public let manifest: Manifest
        public let signer: Signer
        public let sealedSize: UInt64
    }

    /// What `open` established: every check of §6.4 passed and the report was committed.
    public struct Opened: Sendable {
        public let manifest: Manifest
        public let signer: Signer
        /// The recipient key list from the container (empty for `public`).
        public let recipients: [ResolvedRecipient]
        public let reportSize: UInt64
        public let sealedSize: UInt64
    }

    /// A manifest read from an outer signature's trusted comment WITHOUT verifying
    /// anything: not the signature, not the signer, not the sealed file. For display and for
    /// choosing where to put a file, never for a decision.
    public struct UnverifiedManifest: Sendable {
        public let manifest: Manifest
        public let declaredSealedSize: UInt64
        /// The key id the signature claims to be made with.
        public let signatureKeyID: String
    }

    // MARK: - Sealing

    /// Seals a report (§6.3). `report` is read exactly once and must give exactly
    /// `reportSize` bytes (the container's header declares the size before the report is
    /// streamed). The sealed file goes to `sealedSink`; the outer signature is returned.
    ///
    /// `signingKey` must be a key of `sender` in `directory`, valid at `time`;
    /// `recipients` (normally `Disclosure.resolve` at `time`) must be empty exactly for
    /// `public` and must be keys of the directory valid at `time`.
    public static func seal(report: ByteSource, reportSize: UInt64, fileName: String, sender: PartyCode,
                            signingKey: MinisignSecretKey, type: ReportType, year: Int, level: DisclosureLevel,
                            recipients: [ResolvedRecipient], supersedes: String?, time: UTCTime,
                            directory: KeyDirectory, to sealedSink: ByteSink) throws -> Sealed {
        try seal(report: report, reportSize: reportSize, fileName: fileName, sender: sender, signingKey: signingKey,
                 type: type, year: year, level: level, recipients: recipients, supersedes: supersedes, time: time,
                 directory: directory, to: sealedSink, tampering: Tampering())
    }

    /// Ways to build a wrong envelope, for tests of `open`.
    struct Tampering {
        var containerManifestLine: ((Manifest) -> String)?
        var containerKeyList: ((Manifest) -> [UInt8])?
        var innerComment: ((Manifest) -> String)?
        var innerKey: MinisignSecretKey?
    }

    static func seal(report: ByteSource, reportSize: UInt64, fileName: String, sender: PartyCode,
                     signingKey: MinisignSecretKey, type: ReportType, year: Int, level: DisclosureLevel,
                     recipients: [ResolvedRecipient], supersedes: String?, time: UTCTime,
                     directory: KeyDirectory, to sealedSink: ByteSink, tampering: Tampering) throws -> Sealed {
        func bad(_ why: String) -> EnvelopeError { .invalidSealRequest(why) }
        guard let party = directory.parties[sender] else { throw bad("the sender \(sender) is not in the directory") }
        guard let key = party.keys.first(where: { $0.signingKey == signingKey.publicKey }) else {
            throw bad("the signing key \(signingKey.publicKey.keyIDString) is not a key of \(sender) in the directory")
        }
        try checkValidity(Signer(party: sender, key: key), at: time)

        let sorted = Array(Set(recipients)).sorted()
        if level == .public {
            guard sorted.isEmpty else { throw bad("a public report is not encrypted, so it has no recipients") }
        } else {
            guard !sorted.isEmpty else { throw bad("level \(level.rawValue) needs at least one recipient key") }
        }
        for r in sorted {
            guard let k = directory.parties[r.party]?.key(id: r.keyID), k.recipient == r.recipient else {
                throw bad("recipient \(r.party)/\(r.keyID) is not a key of the directory")
            }
            guard k.isValid(at: time) else { throw bad("recipient key \(r.party)/\(r.keyID) is not valid at \(time)") }
        }
        guard reportSize <= Ustar.maxSize else {
            throw bad("the report is \(reportSize) bytes; a ustar member holds at most \(Ustar.maxSize)")
        }
        let list = Disclosure.keyList(sorted)
        let manifest = try Manifest(id: Manifest.generateID(), from: sender, keyID: key.keyID, type: type, year: year,
                                    level: level, to: Array(Set(sorted.map(\.party))).sorted(), keysSHA256: list.sha256,
                                    supersedes: supersedes, fileName: fileName, time: time)

        let manifestMember = Array(((tampering.containerManifestLine?(manifest) ?? manifest.line) + "\n").utf8)
            + (tampering.containerKeyList?(manifest) ?? list.bytes)
        let innerKey = tampering.innerKey ?? signingKey
        let innerComment = tampering.innerComment?(manifest) ?? manifest.line
        let reportHasher = BackgroundHasher()
        let container = try UstarWriter(members: [
            .init(name: Ustar.manifestName, content: .bytes(manifestMember)),
            .init(name: fileName, content: .stream(report, size: reportSize, observe: { reportHasher.update($0) })),
            .init(name: fileName + Ustar.signatureSuffix, content: .deferred({
                let inner = try MinisignSignature.sign(digest: reportHasher.finalize(), with: innerKey, trustedComment: innerComment,
                                                       untrustedComment: "att-report inner signature: report of envelope \(manifest.id)")
                return Array(inner.encodeFile().utf8)
            })),
        ], mtime: time.seconds)
        let (outer, size) = try sealContainer(container, manifest: manifest, recipients: sorted.map(\.recipient),
                                              signingKey: signingKey, to: sealedSink)
        return Sealed(manifest: manifest, outerSignature: outer, sealedSize: size)
    }

    /// Encrypts (or, for `public`, copies) a container and signs the result: the last half
    /// of sealing, on its own so tests can seal hand-made containers.
    static func sealContainer(_ container: ByteSource, manifest: Manifest, recipients: [AgeX25519Recipient],
                              signingKey: MinisignSecretKey, to sink: ByteSink) throws -> (MinisignSignature, UInt64) {
        let hasher = BackgroundHasher()
        let out = HashingSink(sink, hasher: hasher)
        if manifest.level == .public {
            try pump(container, to: out)
        } else {
            try Age.encrypt(from: container, to: out, recipients: recipients.map { $0 as AgeRecipient })
        }
        let outer = try MinisignSignature.sign(digest: hasher.finalize(), with: signingKey,
                                               trustedComment: manifest.outerComment(sealedSize: out.count),
                                               untrustedComment: "att-report outer signature: sealed envelope \(manifest.id)")
        return (outer, out.count)
    }

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

// MARK: - Streaming helpers

/// BLAKE2b-512 computed on a serial background queue: `update` copies the bytes into one
/// of a few 1 MiB buffers and returns, so hashing overlaps the caller's next step
/// (encryption, decryption, I/O). `update` must be called from one thread at a time.
final class BackgroundHasher: @unchecked Sendable {
    // @unchecked: `hasher` is used only on `queue` (and by finalize after draining it);
    // each buffer is owned either by the producer or by the queue, handed over by `free`.
    private let queue = DispatchQueue(label: "att-report.envelope-hash")
    private let hasher = BLAKE2b(outputLength: 64)
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let free: [DispatchSemaphore]
    private var current = 0
    private var fill = 0
    private var result: [UInt8]?

    init(bufferSize: Int = 1 << 20, count: Int = 3) {
        buffers = (0..<count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64) }
        // Created at 0 and signalled once: libdispatch traps when a semaphore is freed with
        // a value below its initial one, which an abandoned hasher (an error while sealing)
        // would otherwise do.
        free = (0..<count).map { _ in let s = DispatchSemaphore(value: 0); s.signal(); return s }
    }

    deinit {
        queue.sync {}
        for b in buffers { b.deallocate() }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(result == nil, "update after finalize")
        var done = 0
        while done < bytes.count {
            if fill == 0 { free[current].wait() }
            let n = min(bytes.count - done, buffers[current].count - fill)
            (buffers[current].baseAddress! + fill).copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            fill += n
            done += n
            if fill == buffers[current].count { submit() }
        }
    }

    private func submit() {
        let i = current, n = fill
        queue.async { [self] in
            hasher.update(UnsafeRawBufferPointer(rebasing: buffers[i][0..<n]))
            free[i].signal()
        }
        current = (current + 1) % buffers.count
        fill = 0
    }

    /// The digest of everything given to `update`. Idempotent.
    func finalize() -> [UInt8] {
        if let result { return result }
        if fill > 0 { submit() }
        queue.sync {}
        let digest = hasher.finalize()
        result = digest
        return digest
    }
}

/// Passes bytes on to a sink, hashing and counting them.
final class HashingSink: ByteSink {
    private let inner: ByteSink
    private let hasher: BackgroundHasher
    private(set) var count: UInt64 = 0

    init(_ inner: ByteSink, hasher: BackgroundHasher) { self.inner = inner; self.hasher = hasher }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        count += UInt64(bytes.count)
        try inner.write(bytes)
    }
}

/// Reads from a source, hashing and counting what it reads.
final class HashingSource: ByteSource {
    private let inner: ByteSource
    private let hasher: BackgroundHasher
    private(set) var count: UInt64 = 0

    init(_ inner: ByteSource, hasher: BackgroundHasher) { self.inner = inner; self.hasher = hasher }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += UInt64(n)
        }
        return n
    }

    /// Reads (and hashes) the rest of the input.
    func drain() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while try read(into: buffer) > 0 {}
    }
}

/// Forwards to a sink until it throws; then keeps the error and drops the rest, so the
/// stream feeding it (age decryption) runs to its end and reports its own errors first.
final class FirstErrorSink: ByteSink {
    private let inner: ByteSink
    private(set) var error: Error?

    init(_ inner: ByteSink) { self.inner = inner }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard error == nil else { return }
        do { try inner.write(bytes) } catch { self.error = error }
    }
}
