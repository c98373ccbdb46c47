import Crypto
import Foundation

/// Signs checkpoints for a log. The log calls it inside its append transaction, after it
/// has checked that the new tree extends the last one it signed.
public protocol CheckpointSigner: Sendable {
    /// The signed note (C2SP signed-note bytes) for the checkpoint of (size, root).
    func signCheckpoint(size: UInt64, root: Merkle.Hash) throws -> [UInt8]
    /// Checks a stored note when the log reopens: it must be this signer's, for (size, root).
    func verifyCheckpoint(note: [UInt8], size: UInt64, root: Merkle.Hash) throws
}

extension CheckpointSigner {
    public func verifyCheckpoint(note: [UInt8], size: UInt64, root: Merkle.Hash) throws {}
}

/// A checkpoint the log signed, as stored.
public struct StoredCheckpoint: Equatable, Sendable {
    public let size: UInt64
    public let root: Merkle.Hash
    public let note: [UInt8]
}

public enum LogStoreError: Error, Equatable, CustomStringConvertible {
    case entryTooLarge(Int)
    case corrupt(String)
    case notFound(String)
    case inconsistent(String)

    public var description: String {
        switch self {
        case let .entryTooLarge(n): return "log entry of \(n) bytes is over the 65535-byte limit of tlog-tiles entry bundles"
        case let .corrupt(w): return "log store is corrupt: \(w)"
        case let .notFound(w): return "not in the log: \(w)"
        case let .inconsistent(w): return "refusing to sign: \(w)"
        }
    }
}

/// A durable append-only Merkle log in SQLite (WAL): the entries, the hash of every
/// complete subtree (so proofs and tiles need no rehashing), and every checkpoint signed.
///
/// An append is one transaction, so one fsync, however many entries it carries: leaves,
/// new subtree hashes and the newly signed checkpoint commit together or not at all. The
/// right edge of the tree (one hash per level) is kept in memory, so appends and root
/// computation cost O(log n), and opening checks the store against the last signed
/// checkpoint in O(log n) before anything is served.
public final class LogStore: @unchecked Sendable {
    // @unchecked: every access to the database and the in-memory edge goes through `lock`.
    public static let maxEntrySize = 65_535

    private let db: SQLiteDatabase
    private let signer: CheckpointSigner
    private let lock = NSLock()
    private var treeSize: UInt64 = 0
    /// edge[l] = hash of the last complete subtree at level l, i.e. index (size >> l) - 1.
    private var edge: [Merkle.Hash] = []
    private var latest: StoredCheckpoint?

    /// Opens (or creates) the log at `path`, then checks it against its last checkpoint.
    public init(path: String, signer: CheckpointSigner) throws {
        db = try SQLiteDatabase(path: path)
        self.signer = signer
        try db.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS hashes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                                               PRIMARY KEY (level, idx)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS leaf_hashes ON hashes (hash) WHERE level = 0;
            """)
        try recover()
    }

    // MARK: State

    public var size: UInt64 { lock.withLock { treeSize } }

    public var latestCheckpoint: StoredCheckpoint? { lock.withLock { latest } }

    /// Loads the right edge and checks it against the last signed checkpoint: the entry
    /// count must equal the checkpoint's size, and the stored subtree hashes on the right
    /// edge must give its root. (A full audit, which rehashes everything, is linear and is
    /// not done here.)
    private func recover() throws {
        let count = try db.prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves")
        defer { count.reset() }
        _ = try count.step()
        treeSize = UInt64(count.int64(0))
        let last = try db.prepare("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1")
        defer { last.reset() }
        if try last.step() {
            latest = StoredCheckpoint(size: UInt64(last.int64(0)), root: last.blob(1), note: last.blob(2))
        }
        let signedSize = latest?.size ?? 0
        guard signedSize == treeSize else {
            throw LogStoreError.corrupt("\(treeSize) entries stored but the last checkpoint covers \(signedSize)")
        }
        edge = []
        var level = 0
        while treeSize >> UInt64(level) > 0 {
            edge.append(try storedHash(level: level, index: (treeSize >> UInt64(level)) - 1))
            level += 1
        }
        if let latest {
            guard rootFromEdge() == latest.root else {
                throw LogStoreError.corrupt("stored hashes do not give the root of the last signed checkpoint (size \(latest.size))")
            }
            try signer.verifyCheckpoint(note: latest.note, size: latest.size, root: latest.root)
        }
    }

    /// The root of the whole tree from the right edge: the complete subtrees at the set
    /// bits of the size, folded from the right.
    private func rootFromEdge() -> Merkle.Hash {
        guard treeSize > 0 else { return Merkle.emptyRoot }
        var acc: Merkle.Hash?
        for level in 0..<edge.count where (treeSize >> UInt64(level)) & 1 == 1 {
            acc = acc.map { Merkle.nodeHash(edge[level], $0) } ?? edge[level]
        }
        return acc!
    }

    // MARK: Append

    public struct AppendResult: Sendable {
        /// Index of the first entry of the batch; the others follow in order.
        public let firstIndex: UInt64
        public let checkpoint: StoredCheckpoint
    }

    /// Appends `entries` durably and signs one checkpoint covering them.
    @discardableResult
    public func append(_ entries: [[UInt8]]) throws -> AppendResult {
        for e in entries where e.count > LogStore.maxEntrySize { throw LogStoreError.entryTooLarge(e.count) }
        return try lock.withLock {
            let savedSize = treeSize, savedEdge = edge, savedLatest = latest
            do {
                return try db.transaction {
                    let first = treeSize
                    let insertLeaf = try db.prepare("INSERT INTO leaves (idx, data) VALUES (?, ?)")
                    for e in entries {
                        try insertLeaf.bind(1, Int64(treeSize))
                        try insertLeaf.bind(2, e)
                        try insertLeaf.run()
                        try addLeafHash(Merkle.leafHash(e))
                    }
                    let root = rootFromEdge()
                    try checkExtends(root: root)
                    let note = try signer.signCheckpoint(size: treeSize, root: root)
                    let insertCheckpoint = try db.prepare("INSERT INTO checkpoints (size, root, note) VALUES (?, ?, ?)")
                    try insertCheckpoint.bind(1, Int64(treeSize))
                    try insertCheckpoint.bind(2, root)
                    try insertCheckpoint.bind(3, note)
                    try insertCheckpoint.run()
                    let cp = StoredCheckpoint(size: treeSize, root: root, note: note)
                    latest = cp
                    return AppendResult(firstIndex: first, checkpoint: cp)
                }
            } catch {
                // Nothing was committed: forget the in-memory changes too.
                treeSize = savedSize; edge = savedEdge; latest = savedLatest
                throw error
            }
        }
    }

    /// Adds leaf hash `h` at index `treeSize` and every subtree hash it completes.
    private func addLeafHash(_ h: Merkle.Hash) throws {
        let insert = try db.prepare("INSERT INTO hashes (level, idx, hash) VALUES (?, ?, ?)")
        var hash = h
        var level = 0
        var index = treeSize
        while true {
            try insert.bind(1, Int64(level))
            try insert.bind(2, Int64(index))
            try insert.bind(3, hash)
            try insert.run()
            let completesParent = index & 1 == 1
            let left = level < edge.count ? edge[level] : nil
            if level < edge.count { edge[level] = hash } else { edge.append(hash) }
            guard completesParent, let left else { break }
            hash = Merkle.nodeHash(left, hash)
            level += 1
            index >>= 1
        }
        treeSize += 1
    }

    /// The log never signs a tree that does not extend the last one it signed.
    private func checkExtends(root: Merkle.Hash) throws {
        guard let previous = latest, previous.size > 0 else { return }
        let store = HashReader(store: self)
        let proof = try Merkle.consistencyProof(store, from: previous.size, to: treeSize)
        do {
            try Merkle.verifyConsistency(size1: previous.size, size2: treeSize, proof: proof, root1: previous.root, root2: root)
        } catch {
            throw LogStoreError.inconsistent("new tree of size \(treeSize) does not extend checkpoint \(previous.size): \(error)")
        }
    }

    // MARK: Reads

    fileprivate func storedHash(level: Int, index: UInt64) throws -> Merkle.Hash {
        let q = try db.prepare("SELECT hash FROM hashes WHERE level = ? AND idx = ?")
        defer { q.reset() }
        try q.bind(1, Int64(level))
        try q.bind(2, Int64(index))
        guard try q.step() else { throw LogStoreError.corrupt("missing hash at level \(level), index \(index)") }
        let h = q.blob(0)
        guard h.count == 32 else { throw LogStoreError.corrupt("hash at level \(level), index \(index) is \(h.count) bytes") }
        return h
    }

    private func loadCheckpoint(size: UInt64) throws -> StoredCheckpoint? {
        let q = try db.prepare("SELECT size, root, note FROM checkpoints WHERE size = ?")
        defer { q.reset() }
        try q.bind(1, Int64(size))
        guard try q.step() else { return nil }
        return StoredCheckpoint(size: UInt64(q.int64(0)), root: q.blob(1), note: q.blob(2))
    }

    /// A checkpoint this log signed at exactly `size`, if any.
    public func checkpoint(size: UInt64) throws -> StoredCheckpoint? {
        try lock.withLock { try loadCheckpoint(size: size) }
    }

    /// Every checkpoint signed, oldest first (for audits and tests).
    public func allCheckpoints() throws -> [StoredCheckpoint] {
        try lock.withLock {
            let q = try db.prepare("SELECT size, root, note FROM checkpoints ORDER BY size")
            defer { q.reset() }
            var out: [StoredCheckpoint] = []
            while try q.step() { out.append(StoredCheckpoint(size: UInt64(q.int64(0)), root: q.blob(1), note: q.blob(2))) }
            return out
        }
    }

    public func entry(at index: UInt64) throws -> [UInt8] {
        try lock.withLock {
            let q = try db.prepare("SELECT data FROM leaves WHERE idx = ?")
            defer { q.reset() }
            try q.bind(1, Int64(index))
            guard try q.step() else { throw LogStoreError.notFound("entry \(index)") }
            return q.blob(0)
        }
    }

    /// The index of the first entry whose leaf hash is `leafHash` (`SHA-256(0x00 ‖ entry)`),
    /// if it is below `size`. One lookup in the leaf-hash index.
    public func leafIndex(hash leafHash: Merkle.Hash, below size: UInt64) throws -> UInt64? {
        try lock.withLock {
            let q = try db.prepare("SELECT MIN(idx) FROM hashes WHERE level = 0 AND hash = ?")
            defer { q.reset() }
            try q.bind(1, leafHash)
            guard try q.step(), !q.isNull(0) else { return nil }
            let index = UInt64(q.int64(0))
            return index < size ? index : nil
        }
    }

    /// Inclusion proof of entry `index` in the tree of `size` (≤ the current size).
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [Merkle.Hash] {
        try lock.withLock {
            guard size <= treeSize else { throw LogStoreError.notFound("tree size \(size)") }
            return try Merkle.inclusionProof(HashReader(store: self), index: index, size: size)
        }
    }

    public func consistencyProof(from m: UInt64, to n: UInt64) throws -> [Merkle.Hash] {
        try lock.withLock {
            guard n <= treeSize else { throw LogStoreError.notFound("tree size \(n)") }
            return try Merkle.consistencyProof(HashReader(store: self), from: m, to: n)
        }
    }

    public func rootHash(size: UInt64) throws -> Merkle.Hash {
        try lock.withLock {
            guard size <= treeSize else { throw LogStoreError.notFound("tree size \(size)") }
            return try Merkle.rootHash(HashReader(store: self), size: size)
        }
    }

    /// Runs `body` with the lock held, for the tile reader.
    func withDatabase<R>(_ body: (SQLiteDatabase, UInt64) throws -> R) throws -> R {
        try lock.withLock { try body(db, treeSize) }
    }

    /// Reads stored hashes; used with the lock already held.
    private struct HashReader: MerkleHashStore {
        let store: LogStore
        func hash(level: Int, index: UInt64) throws -> Merkle.Hash { try store.storedHash(level: level, index: index) }
    }
}
