/// Transparency log proofs (c2sp.org/tlog-proof): an offline-verifiable receipt that an
/// entry is in a log, as LF-separated lines:
///
///     c2sp.org/tlog-proof@v1
///     extra <padded base64 of opaque, unauthenticated data>      (optional)
///     index <leaf index, ASCII decimal, no leading zeroes unless 0>
///     <padded base64 of a 32-byte inclusion proof hash>           (zero or more, leaf up)
///     <empty line>
///     <the signed checkpoint note, verbatim>
public enum TlogProofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// More than `TlogProof.maxSize` bytes, or extra data above `TlogProof.maxExtraSize`.
    case tooLarge(size: Int, limit: Int)
    /// Not the tlog-proof format.
    case malformed(String)
    /// The checkpoint note was refused (signatures, origin, policy, format).
    case checkpoint(CheckpointError)
    /// The index is not below the checkpoint's tree size.
    case indexOutOfRange(index: UInt64, size: UInt64)
    /// The inclusion proof does not lead to the checkpoint's root.
    case inclusion(MerkleProofError)

    public var description: String {
        switch self {
        case let .tooLarge(s, l): return "tlog proof: \(s) bytes exceed the limit of \(l)"
        case let .malformed(w): return "malformed tlog proof: \(w)"
        case let .checkpoint(e): return "tlog proof: \(e)"
        case let .indexOutOfRange(i, s): return "tlog proof: index \(i) is not below the tree size \(s)"
        case let .inclusion(e): return "tlog proof: inclusion proof: \(e)"
        }
    }
}

public struct TlogProof: Sendable, Hashable {
    public static let header = "c2sp.org/tlog-proof@v1"
    /// A tree of at most 2^64 - 1 leaves has inclusion proofs of at most 64 hashes.
    public static let maxProofHashes = 64
    /// Largest extra data accepted (64 KiB).
    public static let maxExtraSize = 64 << 10
    /// Largest proof accepted: a maximal note plus generous room for the header lines.
    public static let maxSize = SignedNote.maxSize + (128 << 10)

    /// Opaque extra data; NOT authenticated by anything in the proof. nil when absent
    /// (never empty).
    public let extra: [UInt8]?
    /// Zero-based index of the entry in the log.
    public let index: UInt64
    /// RFC 6962 inclusion proof, from the leaf's sibling up to the root's child.
    public let inclusionProof: [Merkle.Hash]
    /// The signed checkpoint note, verbatim. Syntactically checked; verified by `verify`.
    public let checkpointNote: [UInt8]

    public init(index: UInt64, inclusionProof: [Merkle.Hash], checkpointNote: [UInt8], extra: [UInt8]? = nil) throws(TlogProofError) {
        guard inclusionProof.count <= Self.maxProofHashes else { throw .malformed("more than \(Self.maxProofHashes) proof hashes") }
        guard inclusionProof.allSatisfy({ $0.count == 32 }) else { throw .malformed("a proof hash is not 32 bytes") }
        if let extra {
            guard !extra.isEmpty else { throw .malformed("extra data is empty (omit it instead)") }
            guard extra.count <= Self.maxExtraSize else { throw .tooLarge(size: extra.count, limit: Self.maxExtraSize) }
        }
        let note: SignedNote
        do throws(NoteError) { note = try SignedNote(parsing: checkpointNote) } catch { throw .checkpoint(.note(error)) }
        do throws(CheckpointError) { _ = try Checkpoint(parsing: note.unverifiedText) } catch { throw .checkpoint(error) }
        self.index = index
        self.inclusionProof = inclusionProof
        self.checkpointNote = checkpointNote
        self.extra = extra
    }

    /// Parses a proof strictly: exact header, optional `extra`, `index`, proof hashes, one
    /// empty line, then a well-formed signed note whose text is a checkpoint.
    public init(parsing bytes: [UInt8]) throws(TlogProofError) {
        guard bytes.count <= Self.maxSize else { throw .tooLarge(size: bytes.count, limit: Self.maxSize) }
        var pos = 0
        func nextLine() throws(TlogProofError) -> ArraySlice<UInt8> {
            guard let lf = bytes[pos...].firstIndex(of: 0x0A) else { throw .malformed("a line does not end with a newline") }
            defer { pos = lf + 1 }
            return bytes[pos..<lf]
        }
        guard try nextLine().elementsEqual(Self.header.utf8) else { throw .malformed("the first line is not \(Self.header)") }
        var line = try nextLine()
        var extra: [UInt8]?
        let extraPrefix = Array("extra ".utf8), indexPrefix = Array("index ".utf8)
        if line.starts(with: extraPrefix) {
            let b64 = line.dropFirst(extraPrefix.count)
            guard !b64.isEmpty, let data = NoteKeyText.decodeBase64(b64) else {
                throw .malformed("extra data is not non-empty padded base64")
            }
            extra = data
            line = try nextLine()
        }
        guard line.starts(with: indexPrefix), let index = Checkpoint.parseDecimal(line.dropFirst(indexPrefix.count)) else {
            throw .malformed("expected \"index N\" with N a decimal number without leading zeroes")
        }
        var proof: [Merkle.Hash] = []
        while true {
            let l = try nextLine()
            if l.isEmpty { break }
            guard proof.count < Self.maxProofHashes else { throw .malformed("more than \(Self.maxProofHashes) proof hashes") }
            guard let h = NoteKeyText.decodeBase64(l), h.count == 32 else {
                throw .malformed("proof line \(proof.count + 1) is not the padded base64 of 32 bytes")
            }
            proof.append(h)
        }
        try self.init(index: index, inclusionProof: proof, checkpointNote: Array(bytes[pos...]), extra: extra)
    }

    /// The proof's bytes.
    public var encoded: [UInt8] {
        var s = Self.header + "\n"
        if let extra { s += "extra \(Base64.encode(extra, padded: true))\n" }
        s += "index \(index)\n"
        for h in inclusionProof { s += Base64.encode(h, padded: true) + "\n" }
        s += "\n"
        return Array(s.utf8) + checkpointNote
    }

    /// Builds the proof for the leaf at `index` in the tree of the (signed) checkpoint,
    /// from a log's hash store. The store's root at the checkpoint size must be the
    /// checkpoint's root. The note is not verified here.
    public static func build(index: UInt64, store: MerkleHashStore, checkpointNote: [UInt8], extra: [UInt8]? = nil) throws -> TlogProof {
        let note = try SignedNote(parsing: checkpointNote)
        let cp = try Checkpoint(parsing: note.unverifiedText)
        guard index < cp.size else { throw TlogProofError.indexOutOfRange(index: index, size: cp.size) }
        guard try Merkle.rootHash(store, size: cp.size) == cp.rootHash else {
            throw TlogProofError.inclusion(.rootMismatch)
        }
        let proof = try Merkle.inclusionProof(store, index: index, size: cp.size)
        return try TlogProof(index: index, inclusionProof: proof, checkpointNote: checkpointNote, extra: extra)
    }

    /// Verifies the proof for a leaf hash (RFC 6962 `SHA-256(0x00 || entry)`): the
    /// checkpoint note must verify with `logKey` (and every signature from a configured
    /// cosigner must verify, at least `minimumCosignatures` of them), its origin must be
    /// `origin`, and the inclusion proof must lead from the leaf at `index` to its root.
    /// Returns the verified checkpoint. `extra` stays unauthenticated.
    @discardableResult
    public func verify(leafHash: Merkle.Hash, origin: String, logKey: NoteVerifierKey,
                       cosigners: [NoteVerifierKey] = [], minimumCosignatures: Int = 0) throws(TlogProofError) -> SignedCheckpoint {
        let signed: SignedCheckpoint
        do throws(CheckpointError) {
            signed = try SignedCheckpoint(opening: checkpointNote, origin: origin, logKey: logKey,
                                          cosigners: cosigners, minimumCosignatures: minimumCosignatures)
        } catch {
            throw .checkpoint(error)
        }
        let cp = signed.checkpoint
        guard index < cp.size else { throw .indexOutOfRange(index: index, size: cp.size) }
        do {
            try Merkle.verifyInclusion(leafHash: leafHash, index: index, size: cp.size, proof: inclusionProof, root: cp.rootHash)
        } catch let e as MerkleProofError {
            throw .inclusion(e)
        } catch {
            throw .inclusion(.rootMismatch)
        }
        return signed
    }

    /// Verifies the proof for an entry's bytes (hashed as an RFC 6962 leaf).
    @discardableResult
    public func verify(entry: [UInt8], origin: String, logKey: NoteVerifierKey,
                       cosigners: [NoteVerifierKey] = [], minimumCosignatures: Int = 0) throws(TlogProofError) -> SignedCheckpoint {
        try verify(leafHash: Merkle.leafHash(entry), origin: origin, logKey: logKey,
                   cosigners: cosigners, minimumCosignatures: minimumCosignatures)
    }
}
