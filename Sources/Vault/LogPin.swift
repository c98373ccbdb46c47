import Crypto

/// Why a client refused a log checkpoint (§5.4, §3.12). Rollback and fork carry both
/// signed checkpoint notes, byte for byte, as evidence.
public enum LogPinError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offered note is not a checkpoint of the directory log (bad signature, wrong
    /// origin, missing log signature or cosignatures, …).
    case checkpoint(CheckpointError)
    /// The offered checkpoint's tree is smaller than the pinned one's.
    case rollback(pinned: [UInt8], offered: [UInt8])
    /// The offered checkpoint does not extend the pinned one: same size with another root,
    /// or a consistency proof that does not verify.
    case fork(pinned: [UInt8], offered: [UInt8], proofError: MerkleProofError?)
    /// The entries given are not the pinned checkpoint's (count or root hash).
    case entriesMismatch(expectedSize: UInt64, gotCount: Int)
    case entriesRootMismatch(size: UInt64)
    /// Nothing is pinned yet.
    case notPinned

    public var description: String {
        switch self {
        case let .checkpoint(e): return "checkpoint refused: \(e)"
        case let .rollback(p, o):
            return "rollback: the log offered a smaller tree than the one pinned\n--- pinned\n\(Self.text(p))--- offered\n\(Self.text(o))"
        case let .fork(p, o, e):
            let why = e.map { " (\($0))" } ?? " (same size, different root)"
            return "fork: the offered checkpoint does not extend the pinned one\(why)\n--- pinned\n\(Self.text(p))--- offered\n\(Self.text(o))"
        case let .entriesMismatch(s, n): return "the pinned checkpoint covers \(s) entries, \(n) given"
        case let .entriesRootMismatch(s): return "the log entries do not hash to the pinned checkpoint's root (size \(s))"
        case .notPinned: return "no checkpoint is pinned"
        }
    }

    static func text(_ note: [UInt8]) -> String { String(decoding: note, as: UTF8.self) }
}

/// What `LogPin.update` did.
public enum LogPinUpdate: Equatable, Sendable {
    /// Nothing was pinned; the checkpoint is now (trust on first use).
    case pinnedFirst(size: UInt64)
    /// The same tree as the pinned one; the pinned note is kept.
    case unchanged(size: UInt64)
    /// A larger tree, proved consistent; it is now pinned.
    case advanced(from: UInt64, to: UInt64)
}

/// A client's pin of a log (the directory log, §5.4, or the submissions log, for audits): the last checkpoint it accepted (size, root and
/// signed note). A new checkpoint is accepted only with a valid consistency proof from the
/// pinned one; a smaller tree is a rollback, a tree that does not extend the pinned one a
/// fork, and both are refused with the two signed checkpoints as evidence.
public struct LogPin: Equatable, Sendable {
    /// The log's origin, `<relay name>/directory` or `<relay name>/submissions` (§3.12).
    public let origin: String
    public let logKey: NoteVerifierKey
    public let cosigners: [NoteVerifierKey]
    public let minimumCosignatures: Int
    /// The last accepted checkpoint, nil until the first.
    public private(set) var pinned: SignedCheckpoint?

    public init(origin: String, logKey: NoteVerifierKey, cosigners: [NoteVerifierKey] = [], minimumCosignatures: Int = 0) {
        self.origin = origin
        self.logKey = logKey
        self.cosigners = cosigners
        self.minimumCosignatures = minimumCosignatures
    }

    /// A pin restored from its saved signed checkpoint note (reopened and verified).
    public init(origin: String, logKey: NoteVerifierKey, cosigners: [NoteVerifierKey] = [], minimumCosignatures: Int = 0,
                pinnedNote: [UInt8]) throws(LogPinError) {
        self.init(origin: origin, logKey: logKey, cosigners: cosigners, minimumCosignatures: minimumCosignatures)
        pinned = try open(pinnedNote)
    }

    /// Opens a signed checkpoint of this log under this pin's key and witness policy.
    public func open(_ note: [UInt8]) throws(LogPinError) -> SignedCheckpoint {
        do throws(CheckpointError) {
            return try SignedCheckpoint(opening: note, origin: origin, logKey: logKey, cosigners: cosigners,
                                        minimumCosignatures: minimumCosignatures)
        } catch {
            throw .checkpoint(error)
        }
    }

    /// Offers a new signed checkpoint with the consistency proof from the pinned size to its
    /// size (RFC 6962 PROOF(m, n); empty when nothing is pinned, when the pinned tree is
    /// empty, or for the same size). On success the new checkpoint is pinned (unless it is
    /// the same tree); on failure the pin is unchanged.
    @discardableResult
    public mutating func update(to note: [UInt8], consistencyProof: [Merkle.Hash]) throws(LogPinError) -> LogPinUpdate {
        let offered = try open(note)
        guard let old = pinned else {
            pinned = offered
            return .pinnedFirst(size: offered.checkpoint.size)
        }
        let m = old.checkpoint.size, n = offered.checkpoint.size
        if n < m { throw .rollback(pinned: old.note, offered: note) }
        if n == m {
            guard old.checkpoint.rootHash == offered.checkpoint.rootHash else {
                throw .fork(pinned: old.note, offered: note, proofError: nil)
            }
            return .unchanged(size: m)
        }
        if m > 0 {
            do {
                try Merkle.verifyConsistency(size1: m, size2: n, proof: consistencyProof,
                                             root1: old.checkpoint.rootHash, root2: offered.checkpoint.rootHash)
            } catch {
                throw .fork(pinned: old.note, offered: note, proofError: error as? MerkleProofError)
            }
        }
        pinned = offered
        return .advanced(from: m, to: n)
    }

    /// Checks that `entries` are exactly the pinned checkpoint's tree: as many entries as its
    /// size, whose RFC 6962 root (leaf hash SHA-256(0x00 || entry)) is its root hash. Replay
    /// the directory only from entries that pass.
    public func verifyEntries(_ entries: [[UInt8]]) throws(LogPinError) {
        guard let cp = pinned?.checkpoint else { throw .notPinned }
        guard UInt64(entries.count) == cp.size else { throw .entriesMismatch(expectedSize: cp.size, gotCount: entries.count) }
        let root = Merkle.root(ofLeafHashes: entries.map { Merkle.leafHash($0) }[...])
        guard root == cp.rootHash else { throw .entriesRootMismatch(size: cp.size) }
    }
}
