/// Verification of inclusion and consistency proofs, following RFC 9162 §2.1.3.2 and
/// §2.1.4.2 step by step. Pure functions: no I/O, no state.
public enum MerkleProofError: Error, Equatable, CustomStringConvertible {
    case indexOutOfRange(index: UInt64, size: UInt64)
    case wrongProofLength(expected: Int, got: Int)
    case malformedHash
    case rootMismatch
    case sizesOutOfOrder(UInt64, UInt64)
    case emptyProofExpected
    case nonEmptyProofRequired
    case emptyOldTree

    public var description: String {
        switch self {
        case let .indexOutOfRange(i, s): return "leaf index \(i) is not below tree size \(s)"
        case let .wrongProofLength(e, g): return "proof has \(g) hashes, expected \(e)"
        case .malformedHash: return "a proof or root hash is not 32 bytes"
        case .rootMismatch: return "the proof does not lead to the given root"
        case let .sizesOutOfOrder(a, b): return "consistency proof from size \(a) to smaller size \(b)"
        case .emptyProofExpected: return "proof must be empty for these sizes"
        case .nonEmptyProofRequired: return "proof must not be empty for these sizes"
        case .emptyOldTree: return "a consistency proof from the empty tree proves nothing"
        }
    }
}

extension Merkle {
    /// Number of hashes in an inclusion proof for `index` in a tree of `size`.
    static func inclusionProofLength(index: UInt64, size: UInt64) -> Int {
        // Inner part: bits of index ^ (size - 1); border: ones in index above it.
        let inner = 64 - (index ^ (size - 1)).leadingZeroBitCount
        let border = (index >> UInt64(inner)).nonzeroBitCount
        return inner + border
    }

    /// The root an inclusion proof leads to (RFC 9162 §2.1.3.2).
    public static func rootFromInclusionProof(leafHash: Hash, index: UInt64, size: UInt64, proof: [Hash]) throws -> Hash {
        guard index < size else { throw MerkleProofError.indexOutOfRange(index: index, size: size) }
        guard leafHash.count == 32, proof.allSatisfy({ $0.count == 32 }) else { throw MerkleProofError.malformedHash }
        let expected = inclusionProofLength(index: index, size: size)
        guard proof.count == expected else { throw MerkleProofError.wrongProofLength(expected: expected, got: proof.count) }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw MerkleProofError.wrongProofLength(expected: expected, got: proof.count) }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        guard sn == 0 else { throw MerkleProofError.wrongProofLength(expected: expected, got: proof.count) }
        return r
    }

    public static func verifyInclusion(leafHash: Hash, index: UInt64, size: UInt64, proof: [Hash], root: Hash) throws {
        guard root.count == 32 else { throw MerkleProofError.malformedHash }
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof)
        guard constantTimeEqual(computed, root) else { throw MerkleProofError.rootMismatch }
    }

    /// Verifies that the tree of `size2` with `root2` extends the tree of `size1` with
    /// `root1` (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(size1: UInt64, size2: UInt64, proof: [Hash], root1: Hash, root2: Hash) throws {
        guard size1 <= size2 else { throw MerkleProofError.sizesOutOfOrder(size1, size2) }
        // Every tree extends the empty one, so such a proof proves nothing; asking for one
        // is a caller's mistake (as in transparency-dev's verifier and its vectors).
        guard size1 > 0 else { throw MerkleProofError.emptyOldTree }
        if size1 == size2 {
            // Same tree: the roots must be equal, whatever they are (as RFC 9162 and the
            // transparency-dev vectors have it); nothing is hashed.
            guard proof.isEmpty else { throw MerkleProofError.emptyProofExpected }
            guard constantTimeEqual(root1, root2) else { throw MerkleProofError.rootMismatch }
            return
        }
        guard root1.count == 32, root2.count == 32, proof.allSatisfy({ $0.count == 32 }) else { throw MerkleProofError.malformedHash }
        guard !proof.isEmpty else { throw MerkleProofError.nonEmptyProofRequired }
        // Expected length: see RFC 9162 §2.1.4.2 and the shape of SUBPROOF.
        var path = proof[...]
        // Step 1: if size1 is a power of two, prepend root1.
        if size1 & (size1 - 1) == 0 { path = [root1] + path }
        var fn = size1 - 1, sn = size2 - 1
        // Step 3: shift while LSB(fn) is set.
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path.first!, sr = path.first!
        for c in path.dropFirst() {
            guard sn != 0 else { throw MerkleProofError.wrongProofLength(expected: proof.count - 1, got: proof.count) }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        guard sn == 0 else { throw MerkleProofError.wrongProofLength(expected: proof.count + 1, got: proof.count) }
        guard constantTimeEqual(fr, root1), constantTimeEqual(sr, root2) else { throw MerkleProofError.rootMismatch }
    }
}
