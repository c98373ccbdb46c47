import Crypto

/// Signs a log's checkpoints as C2SP signed notes with the log's Ed25519 note key, and
/// checks stored checkpoints against the same key when the log reopens.
public struct NoteCheckpointSigner: CheckpointSigner {
    public let origin: String
    private let key: NoteSignerKey

    public init(origin: String, key: NoteSignerKey) {
        self.origin = origin
        self.key = key
    }

    /// The verifier key auditors use (`name+id+key`).
    public var verifierKey: NoteVerifierKey { key.verifierKey }

    public func signCheckpoint(size: UInt64, root: Merkle.Hash) throws -> [UInt8] {
        try Checkpoint(origin: origin, size: size, rootHash: root).sign(signers: [key])
    }

    public func verifyCheckpoint(note: [UInt8], size: UInt64, root: Merkle.Hash) throws {
        let opened = try SignedCheckpoint(opening: note, origin: origin, logKey: key.verifierKey)
        guard opened.checkpoint.size == size, opened.checkpoint.rootHash == root else {
            throw LogStoreError.corrupt("the signed checkpoint says size \(opened.checkpoint.size), the store \(size)")
        }
    }
}

extension LogStore {
    /// The receipt for entry `index`: a C2SP tlog-proof against `checkpoint` (by default the
    /// latest), which any auditor can check offline with the log's verifier key.
    public func receipt(index: UInt64, checkpoint: StoredCheckpoint? = nil) throws -> TlogProof {
        guard let cp = checkpoint ?? latestCheckpoint else { throw LogStoreError.notFound("no checkpoint yet") }
        let proof = try inclusionProof(index: index, size: cp.size)
        return try TlogProof(index: index, inclusionProof: proof, checkpointNote: cp.note)
    }
}
