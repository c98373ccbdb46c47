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
}
