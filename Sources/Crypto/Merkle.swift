/// RFC 6962 / RFC 9162 Merkle tree hashing: leaf `SHA-256(0x00 || d)`, node
/// `SHA-256(0x01 || l || r)`. Hashes are 32-byte arrays.
public enum Merkle {
    public typealias Hash = [UInt8]
    public static let hashSize = 32

    /// The hash of the empty tree: SHA-256 of nothing.
    public static let emptyRoot: Hash = SHA256.hash([UInt8]())

    public static func leafHash<D: BorrowableBytes>(_ data: D) -> Hash {
        data.withUnsafeBytes { d in
            var input = [UInt8](repeating: 0, count: d.count + 1)
            input.withUnsafeMutableBytes { i in
                if d.count > 0 { (i.baseAddress! + 1).copyMemory(from: d.baseAddress!, byteCount: d.count) }
            }
            return SHA256.hash(input)
        }
    }

    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        precondition(left.count == 32 && right.count == 32)
        var input = [UInt8](repeating: 1, count: 65)
        input.withUnsafeMutableBytes { i in
            left.withUnsafeBytes { (i.baseAddress! + 1).copyMemory(from: $0.baseAddress!, byteCount: 32) }
            right.withUnsafeBytes { (i.baseAddress! + 33).copyMemory(from: $0.baseAddress!, byteCount: 32) }
        }
        return SHA256.hash(input)
    }

    /// The largest power of two strictly less than `n` (n ≥ 2): RFC 6962's split point k.
    static func split(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }

    /// Root of a list of leaf hashes, computed directly (for tests and small trees).
    public static func root(ofLeafHashes leaves: ArraySlice<Hash>) -> Hash {
        switch leaves.count {
        case 0: return emptyRoot
        case 1: return leaves.first!
        default:
            let k = Int(split(UInt64(leaves.count)))
            let mid = leaves.startIndex + k
            return nodeHash(root(ofLeafHashes: leaves[..<mid]), root(ofLeafHashes: leaves[mid...]))
        }
    }
}
