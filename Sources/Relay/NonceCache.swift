import Foundation

/// The nonces of accepted requests, remembered until their request could no longer be
/// accepted (docs/FORMATS.md §7.2): a replay inside the time window finds its nonce here.
///
/// Bounded: at most `capacity` live entries. When every slot holds a live nonce the cache
/// refuses new ones (`full`, answered 503) rather than forget one, which would let it be
/// replayed. Each operation is amortised O(1): a hash table for lookups and a ring of the
/// entries in insertion order, from whose front expired entries are dropped. Expiry times
/// are not monotonic in insertion order (request times vary within the window), so an
/// entry behind a later-expiring one may be kept a little longer, never shorter; a
/// lookup treats any expired entry as absent. Thread-safe.
public final class NonceCache: @unchecked Sendable {
    // @unchecked: `state` is only touched inside `withState`, under `lock`. (An NSLock, not
    // Synchronization.Mutex: ThreadSanitizer understands pthread locks, not futexes.)
    /// A nonce as scoped to the key that signed it: 16 nonce bytes and the 8-byte key id.
    public struct Key: Hashable, Sendable {
        let n0: UInt64, n1: UInt64, keyID: UInt64

        public init(nonce: [UInt8], keyID: [UInt8]) {
            precondition(nonce.count == 16 && keyID.count == 8)
            func word(_ b: ArraySlice<UInt8>) -> UInt64 { b.reduce(0) { $0 << 8 | UInt64($1) } }
            n0 = word(nonce[0..<8]); n1 = word(nonce[8..<16]); self.keyID = word(keyID[0..<8])
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// Not seen: now remembered.
        case fresh
        /// Seen, and still live.
        case replayed
        /// Every slot holds a live nonce; nothing was remembered.
        case full
    }

    struct Entry { var key: Key; var expires: Int64 }

    struct State {
        var live: [Key: Int64] = [:]
        var ring: [Entry] = []
        var head = 0
        var count = 0

        mutating func dropExpired(now: Int64) {
            while count > 0, ring[head].expires < now {
                let e = ring[head]
                if live[e.key] == e.expires { live.removeValue(forKey: e.key) }
                head = head + 1 == ring.count ? 0 : head + 1
                count -= 1
            }
            if count == 0 { head = 0 }
        }

        mutating func push(_ e: Entry, capacity: Int) {
            if count == ring.count {
                let newSize = min(capacity, max(64, ring.count * 2))
                var grown: [Entry] = []
                grown.reserveCapacity(newSize)
                for i in 0..<count { grown.append(ring[(head + i) % ring.count]) }
                while grown.count < newSize { grown.append(e) }
                ring = grown
                head = 0
            }
            ring[(head + count) % ring.count] = e
            count += 1
        }
    }

    public let capacity: Int
    private var state = State()
    private let lock = NSLock()

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// One million entries take about 100 MB at most; a relay taking 2,000 signed requests
    /// a second with a 300-second window needs 600,000.
    public static let defaultCapacity = 1 << 20

    public init(capacity: Int = NonceCache.defaultCapacity) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Remembers `key` until `expires` (inclusive, in the same seconds as `now`) unless it
    /// is already live. Check and insertion are one atomic step.
    public func insert(_ key: Key, expires: Int64, now: Int64) -> Outcome {
        withState { s in
            s.dropExpired(now: now)
            if let e = s.live[key], e >= now { return .replayed }
            if expires < now { return .fresh }  // dead on arrival: nothing to remember
            guard s.count < capacity else { return .full }
            s.live[key] = expires
            s.push(Entry(key: key, expires: expires), capacity: capacity)
            return .fresh
        }
    }

    /// Whether `key` is live at `now` (for tests and diagnostics).
    public func contains(_ key: Key, now: Int64) -> Bool {
        withState { s in s.live[key].map { $0 >= now } ?? false }
    }

    /// Entries held, live or not yet dropped.
    public var count: Int { withState { $0.count } }

    /// Drops every entry that expired before `now`.
    public func purge(now: Int64) { withState { $0.dropExpired(now: now) } }
}
