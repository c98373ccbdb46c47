/// Transparency log checkpoints (c2sp.org/tlog-checkpoint): the text of a signed note,
///
///     <origin> LF
///     <tree size, ASCII decimal, no leading zeroes unless 0> LF
///     <root hash, padded base64 of 32 bytes> LF
///     [<extension line> LF]...
///
/// with every line non-empty, valid UTF-8 and free of control characters.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not a checkpoint.
    case malformed(String)
    /// The signed note around it was refused.
    case note(NoteError)
    /// The checkpoint is for another log.
    case originMismatch(expected: String, got: String)
    /// The note verified, but not with the log's key (only with cosigners' keys).
    case missingLogSignature(String)
    /// Fewer verified cosignatures than the policy requires.
    case notEnoughCosignatures(required: Int, got: Int)

    public var description: String {
        switch self {
        case let .malformed(w): return "malformed checkpoint: \(w)"
        case let .note(e): return "checkpoint note: \(e)"
        case let .originMismatch(e, g): return "checkpoint origin is \"\(g)\", expected \"\(e)\""
        case let .missingLogSignature(k): return "checkpoint is not signed by the log key \(k)"
        case let .notEnoughCosignatures(r, g): return "checkpoint has \(g) verified cosignatures, \(r) required"
        }
    }
}

public struct Checkpoint: Sendable, Hashable {
    /// The log identity (first line). Non-empty; by recommendation a schema-less URL, which
    /// is not enforced.
    public let origin: String
    /// The number of leaves in the tree.
    public let size: UInt64
    /// The RFC 6962 root hash of the tree of `size` leaves (32 bytes).
    public let rootHash: Merkle.Hash
    /// Extension lines (opaque, non-empty; their use is NOT RECOMMENDED).
    public let extensions: [String]

    public init(origin: String, size: UInt64, rootHash: Merkle.Hash, extensions: [String] = []) throws(CheckpointError) {
        try Self.checkLine(origin, what: "origin")
        guard rootHash.count == 32 else { throw .malformed("root hash is \(rootHash.count) bytes, not 32") }
        for e in extensions { try Self.checkLine(e, what: "extension line") }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Parses a checkpoint text strictly (as it comes out of a verified note).
    public init(parsing text: [UInt8]) throws(CheckpointError) {
        guard text.count <= SignedNote.maxSize else { throw .malformed("larger than \(SignedNote.maxSize) bytes") }
        guard text.last == 0x0A else { throw .malformed("does not end with a newline") }
        if let problem = NoteKeyText.firstInvalidCharacter(text[...], allowControl: false) { throw .malformed(problem) }
        let lines = text.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw .malformed("fewer than three lines") }
        if let empty = lines.firstIndex(where: { $0.isEmpty }) { throw .malformed("line \(empty + 1) is empty") }
        guard let size = Self.parseDecimal(lines[1]) else {
            throw .malformed("tree size is not a decimal number without leading zeroes that fits 64 bits")
        }
        guard let root = NoteKeyText.decodeBase64(lines[2]), root.count == 32 else {
            throw .malformed("root hash is not the padded base64 of 32 bytes")
        }
        try self.init(origin: String(decoding: lines[0], as: UTF8.self), size: size, rootHash: root,
                      extensions: lines[3...].map { String(decoding: $0, as: UTF8.self) })
    }

    /// The checkpoint text (the note text to sign), ending in LF.
    public var text: [UInt8] {
        var s = "\(origin)\n\(size)\n\(Base64.encode(rootHash, padded: true))\n"
        for e in extensions { s += e + "\n" }
        return Array(s.utf8)
    }

    /// Signs the checkpoint: a signed note with the log's signature first, then any
    /// cosignatures, in the order given.
    public func sign(signers: [NoteSignerKey], timestamp: UInt64? = nil) throws(NoteError) -> [UInt8] {
        try SignedNote.sign(text, signers: signers, timestamp: timestamp)
    }

    /// Whether `text` parses as a checkpoint (cosignature/v1 signs only checkpoints).
    static func isCheckpointText(_ text: [UInt8]) -> Bool { (try? Checkpoint(parsing: text)) != nil }

    static func checkLine(_ s: String, what: String) throws(CheckpointError) {
        guard !s.isEmpty else { throw .malformed("\(what) is empty") }
        if let problem = NoteKeyText.firstInvalidCharacter(Array(s.utf8)[...], allowControl: false) {
            throw .malformed("\(what): \(problem)")
        }
        guard !s.utf8.contains(0x0A) else { throw .malformed("\(what) contains a newline") }
    }

    /// ASCII decimal, no sign, no leading zeroes (except "0"), at most UInt64.max.
    static func parseDecimal(_ s: ArraySlice<UInt8>) -> UInt64? {
        guard !s.isEmpty, s.count <= 20, s.first != UInt8(ascii: "0") || s.count == 1 else { return nil }
        var v: UInt64 = 0
        for c in s {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            v = a
        }
        return v
    }
}

/// A checkpoint whose note verified against a log key (required) and optional cosigners,
/// for an expected origin.
public struct SignedCheckpoint: Sendable, Hashable {
    public let checkpoint: Checkpoint
    /// The signed note, byte for byte as it was opened.
    public let note: [UInt8]
    /// Every verified signature, the log's included, in note order.
    public let signatures: [VerifiedNoteSignature]
    /// The log key that verified.
    public let logKey: NoteVerifierKey

    /// The verified cosigner (witness) signatures: everything but the log's.
    public var cosignatures: [VerifiedNoteSignature] { signatures.filter { $0.key != logKey } }

    /// Opens a signed checkpoint: the note must carry a valid signature from `logKey`; every
    /// signature from `logKey` or a `cosigners` key must verify (others are ignored); the
    /// text must be a checkpoint whose origin is `origin`; and at least
    /// `minimumCosignatures` distinct cosigner keys must have verified.
    public init(opening note: [UInt8], origin: String, logKey: NoteVerifierKey,
                cosigners: [NoteVerifierKey] = [], minimumCosignatures: Int = 0) throws(CheckpointError) {
        let verified: VerifiedNote
        do throws(NoteError) {
            verified = try SignedNote.open(note, verifiers: [logKey] + cosigners)
        } catch {
            throw .note(error)
        }
        guard verified.isSigned(by: logKey) else { throw .missingLogSignature(logKey.encoded) }
        let cp = try Checkpoint(parsing: verified.text)
        guard cp.origin == origin else { throw .originMismatch(expected: origin, got: cp.origin) }
        let cosigned = verified.signatures.filter { $0.key != logKey }.count
        guard cosigned >= minimumCosignatures else {
            throw .notEnoughCosignatures(required: minimumCosignatures, got: cosigned)
        }
        checkpoint = cp
        self.note = note
        signatures = verified.signatures
        self.logKey = logKey
    }
}
