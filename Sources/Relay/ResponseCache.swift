#if canImport(Glibc)
import Glibc
#endif

/// What identifies a file's bytes well enough to send a copy of them again: the same
/// device, inode, size, modification and change times. Rewriting the file in place, or
/// putting another file under its name, changes at least one of them.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int128
    let changed: Int128

    init(device: UInt64, inode: UInt64, size: Int64, modified: Int128, changed: Int128) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.changed = changed
    }

    init(_ s: stat) {
        self.init(device: UInt64(s.st_dev), inode: UInt64(s.st_ino), size: Int64(s.st_size),
                  modified: Int128(s.st_mtim.tv_sec) * 1_000_000_000 + Int128(s.st_mtim.tv_nsec),
                  changed: Int128(s.st_ctim.tv_sec) * 1_000_000_000 + Int128(s.st_ctim.tv_nsec))
    }
}

/// Built responses kept to be sent again, by key, within a count and a byte budget; the
/// oldest kept goes first. Pure bookkeeping (the server owns the handles): `release` is
/// called exactly once for every handle that leaves, whether replaced, stale, evicted or
/// dropped by `removeAll`.
struct ResponseCache<Handle> {
    struct Entry {
        let handle: Handle
        let identity: FileIdentity
        let bytes: Int
        let sequence: UInt64
    }

    let maxEntries: Int
    let maxBytes: Int
    private let release: (Handle) -> Void
    private(set) var entries: [String: Entry] = [:]
    private(set) var totalBytes = 0
    /// Keys in insertion order, with the sequence each was kept under; an element whose
    /// sequence no longer matches its entry was removed since (skipped when reached).
    private var order: [(key: String, sequence: UInt64)] = []
    private var head = 0
    private var nextSequence: UInt64 = 0

    init(maxEntries: Int, maxBytes: Int, release: @escaping (Handle) -> Void) {
        self.maxEntries = max(0, maxEntries)
        self.maxBytes = max(0, maxBytes)
        self.release = release
    }

    /// Whether a response of this many bytes may be kept at all.
    func admits(bytes: Int) -> Bool { maxEntries > 0 && bytes <= maxBytes }

    /// The handle kept under `key`, if it was built from a file that is still `identity`.
    /// A stale one is released.
    mutating func lookup(_ key: String, identity: FileIdentity) -> Handle? {
        guard let entry = entries[key] else { return nil }
        guard entry.identity == identity else {
            remove(key)
            return nil
        }
        return entry.handle
    }

    /// Keeps `handle` under `key`, replacing what was there and releasing the oldest kept
    /// responses until the budget holds. Returns false, keeping nothing, if `bytes` alone
    /// is over the budget (the caller still owns `handle` then).
    mutating func insert(_ key: String, _ handle: Handle, identity: FileIdentity, bytes: Int) -> Bool {
        guard admits(bytes: bytes) else { return false }
        remove(key)
        while !entries.isEmpty, entries.count >= maxEntries || totalBytes + bytes > maxBytes { evictOldest() }
        entries[key] = Entry(handle: handle, identity: identity, bytes: bytes, sequence: nextSequence)
        if order.count - head > 2 * entries.count + 64 {
            // Mostly replaced keys: rebuild the order from what is kept.
            order = entries.map { ($0.key, $0.value.sequence) }.sorted { $0.1 < $1.1 }
            head = 0
        } else {
            order.append((key, nextSequence))
        }
        nextSequence += 1
        totalBytes += bytes
        return true
    }

    mutating func remove(_ key: String) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        totalBytes -= entry.bytes
        release(entry.handle)
        if entries.isEmpty {
            order.removeAll(keepingCapacity: true)
            head = 0
        }
    }

    mutating func removeAll() {
        for entry in entries.values { release(entry.handle) }
        entries = [:]
        totalBytes = 0
        order = []
        head = 0
    }

    private mutating func evictOldest() {
        while head < order.count {
            let (key, sequence) = order[head]
            head += 1
            if entries[key]?.sequence == sequence {
                remove(key)
                break
            }
        }
        if head > 64, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
