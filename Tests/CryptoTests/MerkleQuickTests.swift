import Crypto
import Testing
import TestSupport
import Foundation

@Suite("Merkle quick checks")
struct MerkleQuickTests {
    @Test func referenceTreeRootsAndProofs() throws {
        let json = try Vectors.data("tlog/reference-tree.json")
        let text = String(decoding: json, as: UTF8.self)
        // Tiny extraction of the two arrays without Foundation's JSON (kept in TestSupport elsewhere).
        func array(_ key: String) -> [String] {
            let start = text.range(of: "\"\(key)\"")!.upperBound
            let open = text[start...].firstIndex(of: "[")!, close = text[open...].firstIndex(of: "]")!
            return text[text.index(after: open)..<close].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        let leaves = array("leaf_inputs_hex").map(hexBytes)
        let roots = array("root_hex_by_size")
        var store = MemoryHashStore()
        #expect(hex(try Merkle.rootHash(store, size: 0)) == roots[0])
        for (i, leaf) in leaves.enumerated() {
            store.append(leafHash: Merkle.leafHash(leaf))
            let size = UInt64(i + 1)
            #expect(hex(try Merkle.rootHash(store, size: size)) == roots[i + 1])
        }
        for n in UInt64(1)...8 {
            let root = try Merkle.rootHash(store, size: n)
            for i in 0..<n {
                let p = try Merkle.inclusionProof(store, index: i, size: n)
                try Merkle.verifyInclusion(leafHash: try store.hash(level: 0, index: i), index: i, size: n, proof: p, root: root)
            }
            for m in 1...n {
                let p = try Merkle.consistencyProof(store, from: m, to: n)
                try Merkle.verifyConsistency(size1: m, size2: n, proof: p, root1: try Merkle.rootHash(store, size: m), root2: root)
            }
        }
    }
}
