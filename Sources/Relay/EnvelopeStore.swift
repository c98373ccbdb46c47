import Crypto
import Foundation
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// One envelope the relay holds: its index row.
public struct StoredEnvelope: Equatable, Sendable {
    public let id: String
    public let sender: PartyCode
    public let level: DisclosureLevel
    public let type: ReportType
    public let year: Int
    /// The parties of `to=` (empty for `public`).
    public let recipients: [PartyCode]
    public let supersedes: String?
    public let sealedSHA256: [UInt8]
    public let sealedSize: UInt64
    /// The outer signature file, byte for byte.
    public let signature: [UInt8]
    /// Its submissions-log index, nil while its leaf is being appended.
    public let logIndex: UInt64?
    /// The size of the first checkpoint that covers the leaf (the receipt's checkpoint).
    public let checkpointSize: UInt64?
    /// When the relay received it (POSIX seconds).
    public let received: Int64

    /// §7.4: a `public` envelope is for everyone; any other only for its sender's party
    /// and the parties in `to=`.
    public func isVisible(to party: PartyCode?) -> Bool {
        if level == .public { return true }
        guard let party else { return false }
        return party == sender || recipients.contains(party)
    }

    /// The submissions log's leaf for this envelope: SHA-256 of the outer signature file
    /// (docs/FORMATS.md §3.12).
    public var leaf: [UInt8] { SHA256.hash(signature) }
}

/// The relay's envelopes (docs/FORMATS.md §3.12): content-addressed files and an index.
///
///     <data>/envelopes/<sha256 hex of the sealed file>.sealed   the sealed file
///     <data>/envelopes/tmp/                                     files being staged
///     <data>/envelopes.db                                       the index (SQLite, WAL)
///
/// Files are staged (`StagingDirectory`), fsynced and linked into place (never over an
/// existing file), and the directory fsynced, before their index row is committed.
/// Thread-safe. Reads and reservations go through one connection under `lock`; batches are
/// written through another under `writeLock`, so a batch's fsync does not hold up the
/// checks of the uploads that will make the next one (WAL lets the reader go on).
public final class EnvelopeStore: @unchecked Sendable {
    // @unchecked: `reader`, `inFlight` and `reservedHashes` are only used under `lock`;
    // `db` only under `writeLock`.
    public let directory: String
    let staging: StagingDirectory
    private let db: SQLiteDatabase
    private let reader: SQLiteDatabase
    private let lock = NSLock()
    private let writeLock = NSLock()
    private var inFlight: Set<String> = []
    /// The sealed-file hashes of `inFlight`, to the id claiming each.
    private var reservedHashes: [[UInt8]: (id: String, sender: PartyCode)] = [:]
    /// Logged envelopes by id, as read: a row never changes once it has its log index, so
    /// reads of popular envelopes skip the database (and its lock). Emptied when full.
    private let logged = Locked<[String: StoredEnvelope]>([:])
    static let loggedCacheLimit = 16_384

    static let columns = "id, sender, level, type, year, recipients, supersedes, sealed_sha256, sealed_size, signature, log_index, checkpoint_size, received"

    public init(dataDirectory: URL) throws {
        directory = dataDirectory.appendingPathComponent("envelopes").path
        staging = try StagingDirectory(path: directory + "/tmp")
        db = try SQLiteDatabase(path: dataDirectory.appendingPathComponent("envelopes.db").path)
        try db.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS envelopes (
                id TEXT PRIMARY KEY,
                sender TEXT NOT NULL,
                level TEXT NOT NULL,
                type TEXT NOT NULL,
                year INTEGER NOT NULL,
                recipients TEXT NOT NULL,
                supersedes TEXT,
                sealed_sha256 BLOB NOT NULL UNIQUE,
                sealed_size INTEGER NOT NULL,
                signature BLOB NOT NULL,
                log_index INTEGER UNIQUE,
                checkpoint_size INTEGER,
                received INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS envelopes_by_log_index ON envelopes(log_index);
            """)
        reader = try SQLiteDatabase(path: dataDirectory.appendingPathComponent("envelopes.db").path)
        try reader.execute("PRAGMA query_only = 1")
    }

    public func sealedPath(_ sha: [UInt8]) -> String { "\(directory)/\(hexString(sha)).sealed" }

    // MARK: - Reading

    private func row(_ s: SQLiteDatabase.Statement) throws -> StoredEnvelope {
        let recipients = s.text(5)
        return StoredEnvelope(
            id: s.text(0), sender: try PartyCode(s.text(1)), level: try DisclosureLevel(parsing: s.text(2)),
            type: try ReportType(parsing: s.text(3)), year: Int(s.int64(4)),
            recipients: recipients.isEmpty ? [] : try recipients.split(separator: ",").map { try PartyCode(String($0)) },
            supersedes: s.isNull(6) ? nil : s.text(6), sealedSHA256: s.blob(7), sealedSize: UInt64(s.int64(8)),
            signature: s.blob(9), logIndex: s.isNull(10) ? nil : UInt64(s.int64(10)),
            checkpointSize: s.isNull(11) ? nil : UInt64(s.int64(11)), received: s.int64(12))
    }

    private func one(_ sql: String, bind: (SQLiteDatabase.Statement) throws -> Void) throws -> StoredEnvelope? {
        let s = try reader.prepare(sql)
        defer { s.reset() }
        try bind(s)
        return try s.step() ? row(s) : nil
    }

    private func lookup(id: String) throws -> StoredEnvelope? {
        try one("SELECT \(Self.columns) FROM envelopes WHERE id = ?") { try $0.bind(1, id) }
    }

    private func lookup(sealedSHA256: [UInt8]) throws -> StoredEnvelope? {
        try one("SELECT \(Self.columns) FROM envelopes WHERE sealed_sha256 = ?") { try $0.bind(1, sealedSHA256) }
    }

    /// The envelope with this id, if its leaf is in the log (an envelope still being
    /// appended is not served yet).
    public func envelope(id: String) throws -> StoredEnvelope? {
        if let e = logged.withLock({ $0[id] }) { return e }
        guard let e = try lock.withLock({ try lookup(id: id) }), e.logIndex != nil else { return nil }
        logged.withLock { cache in
            if cache.count >= Self.loggedCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[id] = e
        }
        return e
    }

    /// Logged envelopes at log index `since` or later, in log order, that pass `include`,
    /// at most `limit` of them.
    public func list(since: UInt64, limit: Int, include: (StoredEnvelope) -> Bool) throws -> [StoredEnvelope] {
        try lock.withLock {
            var out: [StoredEnvelope] = []
            var from = Int64(clamping: since)
            let s = try reader.prepare("SELECT \(Self.columns) FROM envelopes WHERE log_index >= ? ORDER BY log_index LIMIT 1000")
            while out.count < limit {
                try s.bind(1, from)
                var batch: [StoredEnvelope] = []
                do {
                    defer { s.reset() }
                    while try s.step() { batch.append(try row(s)) }
                }
                for e in batch where include(e) {
                    out.append(e)
                    if out.count == limit { break }
                }
                guard batch.count == 1000, let last = batch.last?.logIndex else { break }
                from = Int64(last) + 1
            }
            return out
        }
    }

    // MARK: - Writing

    /// What `claim` found.
    public enum Claim: Equatable, Sendable {
        /// New: the files are stored and the row inserted without a log index; the caller
        /// appends the leaf and then calls `recordLogIndex`.
        case claimed
        /// The same envelope (id, sealed file and signature) is already logged.
        case held(StoredEnvelope)
    }

    /// Checks an upload against what is held (§7.3: 409s) and, if it is new (or stored but
    /// never appended, after a crash), reserves its id and hash until `commit` or `release`.
    /// Nothing is written: files and rows go in with a batch (`commit`).
    public func claim(_ e: StoredEnvelope) throws -> Claim {
        try lock.withLock {
            if let held = try lookup(id: e.id) {
                guard held.sealedSHA256 == e.sealedSHA256, held.signature == e.signature else {
                    throw HTTPError.conflict(.idInUse)
                }
                if held.logIndex != nil { return .held(held) }
            }
            // Another upload of the same envelope, or of the same ciphertext, is in flight.
            if let other = reservedHashes[e.sealedSHA256] {
                if other.id == e.id { throw HTTPError.unavailable(retryAfter: 1) }
                throw other.sender == e.sender ? HTTPError.conflict(.idInUse) : HTTPError.conflict(.ciphertextHeldForAnotherSender)
            }
            if inFlight.contains(e.id) { throw HTTPError.conflict(.idInUse) }
            if try lookup(id: e.id) == nil {
                if let held = try lookup(sealedSHA256: e.sealedSHA256) {
                    throw held.sender == e.sender ? HTTPError.conflict(.idInUse) : HTTPError.conflict(.ciphertextHeldForAnotherSender)
                }
                if let s = e.supersedes {
                    guard let old = try lookup(id: s), old.logIndex != nil, old.sender == e.sender, old.type == e.type,
                          old.year == e.year else { throw HTTPError.conflict(.supersededMismatch) }
                }
            }
            inFlight.insert(e.id)
            reservedHashes[e.sealedSHA256] = (e.id, e.sender)
            return .claimed
        }
    }

    /// One claimed envelope ready to be stored: its sealed file, already staged and fsynced
    /// by the uploading thread, which discards it after. (The outer signature file goes in
    /// the index row.)
    struct Pending: Sendable {
        let envelope: StoredEnvelope
        let sealed: StagedFile
    }

    /// Stores a batch of claimed envelopes durably: every file linked into place (never over
    /// an existing file), ONE fsync of the directory, then every index row in ONE
    /// transaction. Their leaves are appended after this, and `recordLogIndexes` then.
    func commit(_ batch: [Pending]) throws {
        for p in batch {
            // An existing file of that name has the same SHA-256: the same bytes.
            _ = try p.sealed.link(at: sealedPath(p.envelope.sealedSHA256))
        }
        try syncDirectory()
        try writeLock.withLock {
            try db.transaction {
                let s = try db.prepare("INSERT OR IGNORE INTO envelopes (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)")
                for p in batch {
                    let e = p.envelope
                    try s.bind(1, e.id)
                    try s.bind(2, e.sender.rawValue)
                    try s.bind(3, e.level.rawValue)
                    try s.bind(4, e.type.rawValue)
                    try s.bind(5, Int64(e.year))
                    try s.bind(6, e.recipients.map(\.rawValue).joined(separator: ","))
                    if let sup = e.supersedes { try s.bind(7, sup) } else { try s.bindNull(7) }
                    try s.bind(8, e.sealedSHA256)
                    try s.bind(9, Int64(e.sealedSize))
                    try s.bind(10, e.signature)
                    try s.bind(11, e.received)
                    try s.run()
                }
            }
        }
    }

    /// The leaves of committed envelopes are in the log: their indexes and the size of the
    /// first checkpoint covering each. Not fsynced on its own: a crash that loses it is
    /// repaired from the log by `recover` (the next durable commit syncs it anyway).
    public func recordLogIndexes(_ items: [(id: String, index: UInt64, checkpointSize: UInt64)]) throws {
        // Unreserved only once the indexes are visible, so a claim in between still sees
        // the reservation.
        defer { lock.withLock { for i in items { unreserve(i.id) } } }
        try writeLock.withLock {
            try db.execute("PRAGMA synchronous = NORMAL")
            defer { try? db.execute("PRAGMA synchronous = FULL") }
            try db.transaction {
                let s = try db.prepare("UPDATE envelopes SET log_index = ?, checkpoint_size = ? WHERE id = ?")
                for i in items {
                    try s.bind(1, Int64(i.index))
                    try s.bind(2, Int64(i.checkpointSize))
                    try s.bind(3, i.id)
                    try s.run()
                }
            }
        }
    }

    private func unreserve(_ id: String) {
        inFlight.remove(id)
        if let sha = reservedHashes.first(where: { $0.value.id == id })?.key { reservedHashes[sha] = nil }
    }

    /// Claimed envelopes whose commit or append failed: they may be retried.
    public func release(ids: [String]) {
        lock.withLock { for id in ids { unreserve(id) } }
    }

    /// After a crash between an append and `recordLogIndex`: the log's entries after the
    /// last recorded index are matched with the envelopes still without one. O(entries
    /// not yet recorded).
    public func recover(log: LogStore) throws {
        try writeLock.withLock {
            var pending: [[UInt8]: String] = [:]
            let s = try db.prepare("SELECT \(Self.columns) FROM envelopes WHERE log_index IS NULL")
            do {
                defer { s.reset() }
                while try s.step() { let e = try row(s); pending[e.leaf] = e.id }
            }
            guard !pending.isEmpty else { return }
            let m = try db.prepare("SELECT MAX(log_index) FROM envelopes")
            var next: UInt64 = 0
            do {
                defer { m.reset() }
                if try m.step(), !m.isNull(0) { next = UInt64(m.int64(0)) + 1 }
            }
            let size = log.size
            guard next < size else { return }
            let checkpoints = try log.allCheckpoints().sorted { $0.size < $1.size }
            let u = try db.prepare("UPDATE envelopes SET log_index = ?, checkpoint_size = ? WHERE id = ?")
            for i in next..<size {
                guard let id = pending[try log.entry(at: i)],
                      let cp = checkpoints.first(where: { $0.size > i }) else { continue }
                try u.bind(1, Int64(i))
                try u.bind(2, Int64(cp.size))
                try u.bind(3, id)
                try u.run()
            }
        }
    }

    // MARK: - Files

    private func syncDirectory() throws {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw IOError.commit(path: directory, reason: String(cString: strerror(errno))) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw IOError.commit(path: directory, reason: String(cString: strerror(errno))) }
    }
}
