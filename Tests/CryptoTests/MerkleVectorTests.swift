import Crypto
import Foundation
import Testing
import TestSupport

/// transparency-dev/merkle testdata: RFC 6962 / RFC 9162 inclusion and consistency proof
/// vectors, one test case per JSON file (must-fail ones included; `proof` may be null).
enum MerkleVectorFiles {
    /// Relative paths (under tlog/merkle) of every .json file in `folder`, sorted.
    static func list(_ folder: String) -> [String] {
        let base = Vectors.url("tlog/merkle/\(folder)")
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.pathExtension == "json" {
            out.append(folder + "/" + url.path.dropFirst(base.path.count + 1))
        }
        return out.sorted()
    }

    static let inclusion = list("inclusion")
    static let consistency = list("consistency")
}

struct InclusionVector: Decodable {
    let leafIdx: UInt64
    let treeSize: UInt64
    let root: String
    let leafHash: String
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

struct ConsistencyVector: Decodable {
    let size1: UInt64
    let size2: UInt64
    let root1: String
    let root2: String
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

/// The 8-leaf RFC 6962 reference tree.
struct ReferenceTree: Decodable {
    let leaf_inputs_hex: [String]
    let root_hex_by_size: [String]

    static func load() throws -> ReferenceTree {
        try JSONDecoder().decode(ReferenceTree.self, from: Data(try Vectors.data("tlog/reference-tree.json")))
    }

    func store() -> MemoryHashStore {
        var s = MemoryHashStore()
        for l in leaf_inputs_hex { s.append(leafHash: Merkle.leafHash(hexBytes(l))) }
        return s
    }
}

/// Strict base64 from the vectors (all are canonical); "" is the empty hash.
private func b64(_ s: String) throws -> [UInt8] {
    try #require(Base64.decode(s, padded: true), "non-canonical base64 in vector: \(s)")
}

/// Vectors where Merkle.swift deliberately differs from transparency-dev, with the reason.
/// They still run, inside `withKnownIssue`, so a change shows up as a failure. (None now.)
let merkleKnownDeviations: [String: Comment] = [:]

@Suite("Merkle proof vectors")
struct MerkleVectorTests {
    @Test func vectorFilesFound() {
        #expect(MerkleVectorFiles.inclusion.count == 98)
        #expect(MerkleVectorFiles.consistency.count == 98)
        // Must-fail cases are part of the set.
        #expect(MerkleVectorFiles.inclusion.contains("inclusion/1/leafIdx-plus-@1.json"))
        #expect(MerkleVectorFiles.consistency.contains("consistency/additional/size1-is-greater-than-size2.json"))
    }

    @Test("inclusion", arguments: MerkleVectorFiles.inclusion)
    func inclusion(file: String) throws {
        let v = try JSONDecoder().decode(InclusionVector.self, from: Data(try Vectors.data("tlog/merkle/" + file)))
        let proof = try (v.proof ?? []).map(b64)
        let leaf = try b64(v.leafHash), root = try b64(v.root)
        let result = Result { try Merkle.verifyInclusion(leafHash: leaf, index: v.leafIdx, size: v.treeSize, proof: proof, root: root) }
        if v.wantErr {
            #expect(throws: MerkleProofError.self, "\(v.desc)") { try result.get() }
        } else {
            #expect(throws: Never.self, "\(v.desc)") { try result.get() }
            #expect(try Merkle.rootFromInclusionProof(leafHash: leaf, index: v.leafIdx, size: v.treeSize, proof: proof) == root)
            // Happy paths over the reference tree: our generator gives the same proof.
            let ref = try ReferenceTree.load()
            if v.treeSize <= 8, hex(root) == ref.root_hex_by_size[Int(v.treeSize)] {
                #expect(try Merkle.inclusionProof(ref.store(), index: v.leafIdx, size: v.treeSize) == proof)
            }
        }
    }

    @Test("consistency", arguments: MerkleVectorFiles.consistency)
    func consistency(file: String) throws {
        let v = try JSONDecoder().decode(ConsistencyVector.self, from: Data(try Vectors.data("tlog/merkle/" + file)))
        let proof = try (v.proof ?? []).map(b64)
        let r1 = try b64(v.root1), r2 = try b64(v.root2)
        let result = Result { try Merkle.verifyConsistency(size1: v.size1, size2: v.size2, proof: proof, root1: r1, root2: r2) }
        if let reason = merkleKnownDeviations[file] {
            withKnownIssue(reason) { #expect(throws: Never.self, "\(v.desc)") { try result.get() } }
            return
        }
        if v.wantErr {
            #expect(throws: MerkleProofError.self, "\(v.desc)") { try result.get() }
        } else {
            #expect(throws: Never.self, "\(v.desc)") { try result.get() }
            let ref = try ReferenceTree.load()
            if v.size2 <= 8, hex(r1) == ref.root_hex_by_size[Int(v.size1)], hex(r2) == ref.root_hex_by_size[Int(v.size2)] {
                #expect(try Merkle.consistencyProof(ref.store(), from: v.size1, to: v.size2) == proof)
            }
        }
    }

    @Test("reference tree root", arguments: 0...8)
    func referenceRoot(size: Int) throws {
        let ref = try ReferenceTree.load()
        let store = ref.store()
        let want = ref.root_hex_by_size[size]
        #expect(hex(try Merkle.rootHash(store, size: UInt64(size))) == want)
        let leaves = ref.leaf_inputs_hex.prefix(size).map { Merkle.leafHash(hexBytes($0)) }
        #expect(hex(Merkle.root(ofLeafHashes: leaves[...])) == want)
        // Every proof in the tree of this size verifies against the published root.
        let root = hexBytes(want)
        for i in 0..<UInt64(size) {
            let p = try Merkle.inclusionProof(store, index: i, size: UInt64(size))
            try Merkle.verifyInclusion(leafHash: leaves[Int(i)], index: i, size: UInt64(size), proof: p, root: root)
        }
        for m in 1...max(UInt64(size), 1) where m <= UInt64(size) {
            let p = try Merkle.consistencyProof(store, from: m, to: UInt64(size))
            try Merkle.verifyConsistency(size1: m, size2: UInt64(size), proof: p,
                                         root1: hexBytes(ref.root_hex_by_size[Int(m)]), root2: root)
        }
    }
}
