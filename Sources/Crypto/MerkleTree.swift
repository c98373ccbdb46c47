/// Proof generation over stored subtree hashes. A log keeps, for every complete subtree,
/// its hash at (level, index): the subtree covering leaves [index·2^level, (index+1)·2^level).
/// Level 0 holds the leaf hashes. Proofs are assembled from O(log² n) lookups, never by
/// rehashing leaves, so their cost does not grow linearly with the log.
public protocol MerkleHashStore {
    func hash(level: Int, index: UInt64) throws -> Merkle.Hash
}

extension Merkle {
    /// The coordinates of the complete subtrees whose hashes, in order, make up the tree
    /// hash of [start, end); `start` must be aligned as in RFC 6962's recursion.
    static func decompose(start: UInt64, end: UInt64) -> [(level: Int, index: UInt64)] {
        var out: [(Int, UInt64)] = []
        var s = start
        while s < end {
            // The largest aligned power-of-two block starting at s that fits.
            var level = s == 0 ? 63 : s.trailingZeroBitCount
            while level > 0 && (UInt64(1) << UInt64(level)) > end - s { level -= 1 }
            out.append((level, s >> UInt64(level)))
            s += UInt64(1) << UInt64(level)
        }
        return out
    }

    /// MTH of leaves [start, end) from the store.
    public static func subtreeHash(_ store: MerkleHashStore, start: UInt64, end: UInt64) throws -> Hash {
        precondition(start < end)
        let parts = decompose(start: start, end: end)
        // RFC 6962 trees fold the decomposition from the right.
        var h = try store.hash(level: parts.last!.level, index: parts.last!.index)
        for p in parts.dropLast().reversed() {
            h = nodeHash(try store.hash(level: p.level, index: p.index), h)
        }
        return h
    }

    /// The root of the first `size` leaves.
    public static func rootHash(_ store: MerkleHashStore, size: UInt64) throws -> Hash {
        size == 0 ? emptyRoot : try subtreeHash(store, start: 0, end: size)
    }

    /// RFC 6962 PATH(index, D[0:size]), ordered from the leaf up.
    public static func inclusionProof(_ store: MerkleHashStore, index: UInt64, size: UInt64) throws -> [Hash] {
        guard index < size else { throw MerkleProofError.indexOutOfRange(index: index, size: size) }
        var proof: [Hash] = []
        var start: UInt64 = 0, end = size
        var siblings: [(UInt64, UInt64)] = []
        while end - start > 1 {
            let k = split(end - start)
            if index < start + k {
                siblings.append((start + k, end)); end = start + k
            } else {
                siblings.append((start, start + k)); start += k
            }
        }
        for (s, e) in siblings.reversed() { proof.append(try subtreeHash(store, start: s, end: e)) }
        return proof
    }

    /// RFC 6962 PROOF(m, D[0:n]): shows the tree of size `n` extends the tree of size `m`.
    public static func consistencyProof(_ store: MerkleHashStore, from m: UInt64, to n: UInt64) throws -> [Hash] {
        guard m <= n else { throw MerkleProofError.sizesOutOfOrder(m, n) }
        if m == 0 || m == n { return [] }
        var parts: [(UInt64, UInt64)] = []
        var start: UInt64 = 0, end = n, mm = m
        var complete = true
        while true {
            if mm == end - start {
                if !complete { parts.append((start, end)) }
                break
            }
            let k = split(end - start)
            if mm <= k {
                parts.append((start + k, end)); end = start + k
            } else {
                parts.append((start, start + k)); start += k; mm -= k; complete = false
            }
        }
        return try parts.reversed().map { try subtreeHash(store, start: $0.0, end: $0.1) }
    }
}

/// An in-memory store with the append rule every log uses: after leaf i, every subtree
/// it completes gets its hash. For tests and small trees.
public struct MemoryHashStore: MerkleHashStore, Sendable {
    public private(set) var levels: [[Merkle.Hash]] = [[]]
    public init() {}

    public var size: UInt64 { UInt64(levels[0].count) }

    public mutating func append(leafHash: Merkle.Hash) {
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let n = levels[level].count
            let parent = Merkle.nodeHash(levels[level][n - 2], levels[level][n - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    public func hash(level: Int, index: UInt64) throws -> Merkle.Hash {
        guard level < levels.count, index < UInt64(levels[level].count) else {
            throw MerkleProofError.indexOutOfRange(index: index, size: UInt64(level < levels.count ? levels[level].count : 0))
        }
        return levels[level][Int(index)]
    }
}
