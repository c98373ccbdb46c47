import Crypto
import Foundation
import Testing
import TestSupport

/// SplitMix64: a small seeded generator, so a failing run can be replayed with
/// ATT_MERKLE_SEED=<seed>.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random tree of 5,000 leaves in a MemoryHashStore. Its prefixes are the trees of every
/// smaller size, so one store serves all sizes.
enum PropertyTree {
    static let seed: UInt64 = {
        if let s = ProcessInfo.processInfo.environment["ATT_MERKLE_SEED"], let v = UInt64(s) { return v }
        return UInt64.random(in: 1...UInt64.max)
    }()
    static let maxLeaves: UInt64 = 5000

    static let leaves: [Merkle.Hash] = {
        var rng = SplitMix64(seed: seed)
        // Distinct leaves (the index is part of the data): with two equal neighbours, swapping
        // their indexes would rightly still verify.
        return (0..<maxLeaves).map { i in
            Merkle.leafHash(Array("\(i):".utf8) + (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }()

    static let store: MemoryHashStore = {
        var s = MemoryHashStore()
        for l in leaves { s.append(leafHash: l) }
        return s
    }()

    /// The fixed sizes plus three random ones (named test cases).
    static let sizes: [UInt64] = {
        var rng = SplitMix64(seed: seed ^ 0x5A5A)
        return [1, 2, 3, 255, 256, 257, 1000, 4999, 5000] + (0..<3).map { _ in UInt64.random(in: 4...maxLeaves, using: &rng) }
    }()

    static func root(_ n: UInt64) -> Merkle.Hash { try! Merkle.rootHash(store, size: n) }
}

/// Independent oracles: RFC 6962 §2.1.1/§2.1.2 recursions rebuilt from the proof (the
/// verifier under test follows RFC 9162's iterative bit arithmetic instead).
enum MerkleOracle {
    static func split(_ n: UInt64) -> UInt64 { UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount) }

    /// The root that PATH(index, D[size]) = `proof` implies for `leaf`, or nil if the proof
    /// has the wrong number of hashes for that shape.
    static func inclusionRoot(leaf: Merkle.Hash, index: UInt64, size: UInt64, proof: ArraySlice<Merkle.Hash>) -> Merkle.Hash? {
        guard index < size else { return nil }
        if size == 1 { return proof.isEmpty ? leaf : nil }
        guard let sibling = proof.last else { return nil }
        let k = split(size)
        if index < k {
            guard let inner = inclusionRoot(leaf: leaf, index: index, size: k, proof: proof.dropLast()) else { return nil }
            return Merkle.nodeHash(inner, sibling)
        }
        guard let inner = inclusionRoot(leaf: leaf, index: index - k, size: size - k, proof: proof.dropLast()) else { return nil }
        return Merkle.nodeHash(sibling, inner)
    }

    static func inclusionHolds(leaf: Merkle.Hash, index: UInt64, size: UInt64, proof: [Merkle.Hash], root: Merkle.Hash) -> Bool {
        inclusionRoot(leaf: leaf, index: index, size: size, proof: proof[...]) == root
    }

    /// (old root, new root) that SUBPROOF(m, D[n], b) = `proof` implies, or nil.
    static func subproof(_ m: UInt64, _ n: UInt64, _ b: Bool, _ proof: ArraySlice<Merkle.Hash>,
                         root1: Merkle.Hash) -> (Merkle.Hash, Merkle.Hash)? {
        if m == n {
            if b { return proof.isEmpty ? (root1, root1) : nil }
            return proof.count == 1 ? (proof.first!, proof.first!) : nil
        }
        guard let x = proof.last else { return nil }
        let k = split(n)
        if m <= k {
            guard let (o, nw) = subproof(m, k, b, proof.dropLast(), root1: root1) else { return nil }
            return (o, Merkle.nodeHash(nw, x))
        }
        guard let (o, nw) = subproof(m - k, n - k, false, proof.dropLast(), root1: root1) else { return nil }
        return (Merkle.nodeHash(x, o), Merkle.nodeHash(x, nw))
    }

    static func consistencyHolds(m: UInt64, n: UInt64, proof: [Merkle.Hash], root1: Merkle.Hash, root2: Merkle.Hash) -> Bool {
        guard m > 0 else { return false }  // the verifier refuses proofs from the empty tree
        if m > n { return false }
        if m == n { return proof.isEmpty && root1 == root2 }
        guard let (o, nw) = subproof(m, n, true, proof[...], root1: root1) else { return false }
        return o == root1 && nw == root2
    }
}

func flipped(_ h: Merkle.Hash, bit: Int) -> Merkle.Hash {
    var c = h
    c[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    return c
}

/// Counts failures instead of expecting millions of times, and reports the first few.
struct Failures {
    var count = 0
    mutating func record(_ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
        count += 1
        if count <= 10 { Issue.record("\(what()) (ATT_MERKLE_SEED=\(PropertyTree.seed))", sourceLocation: sourceLocation) }
    }
}

struct InclusionCase {
    let leaf: Merkle.Hash, index: UInt64, size: UInt64, proof: [Merkle.Hash], root: Merkle.Hash

    func passes(leaf l: Merkle.Hash? = nil, index i: UInt64? = nil, size s: UInt64? = nil,
                proof p: [Merkle.Hash]? = nil, root r: Merkle.Hash? = nil) -> Bool {
        (try? Merkle.verifyInclusion(leafHash: l ?? leaf, index: i ?? index, size: s ?? size, proof: p ?? proof, root: r ?? root)) != nil
    }

    /// Checks the proof, then tampering: every flipped bit in `hashBits` of each proof hash,
    /// the root and the leaf must fail; flipped bits of index and size must agree with the
    /// oracle (the tree size is not bound by an inclusion proof alone: size 5 and size 7
    /// share the shape of leaf 0's path, which is why checkpoints sign size and root together).
    func check(_ f: inout Failures, hashBits: [Int], numberBits: [Int], sizeFlipsPassing: inout Int) {
        guard passes() else { f.record("inclusion \(index)/\(size) does not verify"); return }
        guard MerkleOracle.inclusionHolds(leaf: leaf, index: index, size: size, proof: proof, root: root) else {
            f.record("oracle rejects inclusion \(index)/\(size)"); return
        }
        for bit in hashBits {
            for j in proof.indices {
                var p = proof
                p[j] = flipped(p[j], bit: bit)
                if passes(proof: p) { f.record("inclusion \(index)/\(size): flipped bit \(bit) of proof[\(j)] verifies") }
            }
            if passes(root: flipped(root, bit: bit)) { f.record("inclusion \(index)/\(size): flipped root bit \(bit) verifies") }
            if passes(leaf: flipped(leaf, bit: bit)) { f.record("inclusion \(index)/\(size): flipped leaf bit \(bit) verifies") }
        }
        for bit in numberBits {
            let i2 = index ^ (UInt64(1) << UInt64(bit)), s2 = size ^ (UInt64(1) << UInt64(bit))
            if passes(index: i2) { f.record("inclusion \(index)/\(size): index flipped to \(i2) verifies") }
            let implS = passes(size: s2)
            let oracleS = MerkleOracle.inclusionHolds(leaf: leaf, index: index, size: s2, proof: proof, root: root)
            if implS != oracleS { f.record("inclusion \(index)/\(size)→\(s2): verifier says \(implS), oracle \(oracleS)") }
            if implS { sizeFlipsPassing += 1 }
        }
    }
}

struct ConsistencyCase {
    let m: UInt64, n: UInt64, proof: [Merkle.Hash], root1: Merkle.Hash, root2: Merkle.Hash

    func passes(m m2: UInt64? = nil, n n2: UInt64? = nil, proof p: [Merkle.Hash]? = nil,
                root1 r1: Merkle.Hash? = nil, root2 r2: Merkle.Hash? = nil) -> Bool {
        (try? Merkle.verifyConsistency(size1: m2 ?? m, size2: n2 ?? n, proof: p ?? proof, root1: r1 ?? root1, root2: r2 ?? root2)) != nil
    }

    /// As for inclusion: proof and root bits must always fail (a root only for m > 0: every
    /// tree extends the empty one, whatever root is claimed for it); size bits must agree
    /// with the oracle.
    func check(_ f: inout Failures, hashBits: [Int], numberBits: [Int]) {
        guard passes() else { f.record("consistency \(m)→\(n) does not verify"); return }
        guard MerkleOracle.consistencyHolds(m: m, n: n, proof: proof, root1: root1, root2: root2) else {
            f.record("oracle rejects consistency \(m)→\(n)"); return
        }
        for bit in hashBits {
            for j in proof.indices {
                var p = proof
                p[j] = flipped(p[j], bit: bit)
                if passes(proof: p) { f.record("consistency \(m)→\(n): flipped bit \(bit) of proof[\(j)] verifies") }
            }
            if m > 0, passes(root1: flipped(root1, bit: bit)) { f.record("consistency \(m)→\(n): flipped root1 bit \(bit) verifies") }
            if m > 0, passes(root2: flipped(root2, bit: bit)) { f.record("consistency \(m)→\(n): flipped root2 bit \(bit) verifies") }
        }
        for bit in numberBits {
            let m2 = m ^ (UInt64(1) << UInt64(bit)), n2 = n ^ (UInt64(1) << UInt64(bit))
            for (a, b) in [(m2, n), (m, n2)] {
                let impl = passes(m: a, n: b)
                let oracle = MerkleOracle.consistencyHolds(m: a, n: b, proof: proof, root1: root1, root2: root2)
                if impl != oracle { f.record("consistency \(m)→\(n) as \(a)→\(b): verifier says \(impl), oracle \(oracle)") }
            }
        }
    }
}

@Suite("Merkle properties")
struct MerklePropertyTests {
    let store = PropertyTree.store

    @Test("random tree: store roots match the direct recursion")
    func rootsMatch() throws {
        for n in [0, 1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 256, 257, 1000, 4999, 5000] {
            #expect(try Merkle.rootHash(store, size: UInt64(n)) == Merkle.root(ofLeafHashes: PropertyTree.leaves.prefix(n)),
                    "size \(n), ATT_MERKLE_SEED=\(PropertyTree.seed)")
        }
    }

    @Test("all trees of 1...64 leaves: every inclusion and consistency proof, with tampering")
    func exhaustiveSmallTrees() throws {
        var rng = SplitMix64(seed: PropertyTree.seed ^ 1)
        var f = Failures()
        var sizeFlipsPassing = 0
        var checked = (inclusion: 0, consistency: 0)
        for n in UInt64(1)...64 {
            let root = PropertyTree.root(n)
            for i in 0..<n {
                let proof = try Merkle.inclusionProof(store, index: i, size: n)
                let c = InclusionCase(leaf: PropertyTree.leaves[Int(i)], index: i, size: n, proof: proof, root: root)
                c.check(&f, hashBits: (0..<4).map { _ in Int.random(in: 0..<256, using: &rng) },
                        numberBits: Array(0..<64), sizeFlipsPassing: &sizeFlipsPassing)
                checked.inclusion += 1
            }
        }
        for n in UInt64(0)...64 {
            let root2 = PropertyTree.root(n)
            // From the empty tree there is nothing to prove; the verifier says so.
            #expect(throws: MerkleProofError.emptyOldTree) {
                try Merkle.verifyConsistency(size1: 0, size2: n, proof: [], root1: Merkle.emptyRoot, root2: root2)
            }
            for m in 1...max(n, 1) where m <= n {
                let proof = try Merkle.consistencyProof(store, from: m, to: n)
                let c = ConsistencyCase(m: m, n: n, proof: proof, root1: PropertyTree.root(m), root2: root2)
                c.check(&f, hashBits: (0..<4).map { _ in Int.random(in: 0..<256, using: &rng) }, numberBits: Array(0..<64))
                checked.consistency += 1
            }
        }
        #expect(checked.inclusion == 2080 && checked.consistency == 2080)
        #expect(f.count == 0)
        // The documented RFC 9162 property really occurs (e.g. leaf 0 of 5 as a tree of 7).
        #expect(sizeFlipsPassing > 0)
    }

    @Test("sampled proofs in larger trees", arguments: PropertyTree.sizes)
    func sampledTree(size n: UInt64) throws {
        var rng = SplitMix64(seed: PropertyTree.seed ^ n)
        var f = Failures()
        var sizeFlipsPassing = 0
        let root = PropertyTree.root(n)
        var indexes = Set([0, 1, n / 2, n &- 2, n - 1].filter { $0 < n })
        while indexes.count < min(Int(n), 40) { indexes.insert(UInt64.random(in: 0..<n, using: &rng)) }
        for (k, i) in indexes.sorted().enumerated() {
            let proof = try Merkle.inclusionProof(store, index: i, size: n)
            let c = InclusionCase(leaf: PropertyTree.leaves[Int(i)], index: i, size: n, proof: proof, root: root)
            // Every bit of every hash for the first sampled proof; one random bit otherwise.
            let bits = k == 0 ? Array(0..<256) : [Int.random(in: 0..<256, using: &rng)]
            c.check(&f, hashBits: bits, numberBits: Array(0..<64), sizeFlipsPassing: &sizeFlipsPassing)
        }
        var olds = Set([1, n / 2, n - 1, n].filter { $0 >= 1 && $0 <= n })
        while olds.count < min(Int(n), 30) { olds.insert(UInt64.random(in: 1...n, using: &rng)) }
        for (k, m) in olds.sorted().enumerated() {
            let proof = try Merkle.consistencyProof(store, from: m, to: n)
            let c = ConsistencyCase(m: m, n: n, proof: proof, root1: PropertyTree.root(m), root2: root)
            let bits = k == 0 ? Array(0..<256) : [Int.random(in: 0..<256, using: &rng)]
            c.check(&f, hashBits: bits, numberBits: Array(0..<64))
        }
        #expect(f.count == 0)
    }
}

@Suite("tlog-proof")
struct TlogProofTests {
    static let origin = "example.org/att-log"

    struct World {
        let log: NoteSignerKey
        let witness: NoteSignerKey
        let entries: [[UInt8]]
        let store: MemoryHashStore
        let note: [UInt8]

        init(size: Int) throws {
            log = try NoteSignerKey.generate(name: TlogProofTests.origin)
            witness = try NoteSignerKey.generate(name: "witness.example", type: .cosignatureV1)
            entries = (0..<size).map { Array("entry \($0)\n".utf8) + randomBytes($0 % 7) }
            var s = MemoryHashStore()
            for e in entries { s.append(leafHash: Merkle.leafHash(e)) }
            store = s
            let cp = try Checkpoint(origin: TlogProofTests.origin, size: UInt64(size), rootHash: try Merkle.rootHash(s, size: UInt64(size)))
            note = try SignedNote.addSignatures(to: try cp.sign(signers: [log]), signers: [witness], timestamp: 1_750_000_000)
        }

        func verify(_ p: TlogProof, entry: [UInt8]) throws(TlogProofError) -> SignedCheckpoint {
            try p.verify(entry: entry, origin: TlogProofTests.origin, logKey: log.verifierKey,
                         cosigners: [witness.verifierKey], minimumCosignatures: 1)
        }
    }

    @Test("build, encode, parse, verify", arguments: [1, 2, 7, 100])
    func roundTrip(size: Int) throws {
        let w = try World(size: size)
        for i in Set([0, size / 2, size - 1]) {
            let p = try TlogProof.build(index: UInt64(i), store: w.store, checkpointNote: w.note)
            let bytes = p.encoded
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nindex \(i)\n"))
            #expect(text.hasSuffix(String(decoding: w.note, as: UTF8.self)))
            let parsed = try TlogProof(parsing: bytes)
            #expect(parsed == p)
            let sc = try w.verify(parsed, entry: w.entries[i])
            #expect(sc.checkpoint.size == UInt64(size))
            #expect(sc.cosignatures.map(\.name) == ["witness.example"])
            // Another entry at this index does not verify.
            #expect(throws: TlogProofError.inclusion(.rootMismatch)) { try w.verify(parsed, entry: w.entries[i] + [0]) }
            // With extra data.
            let withExtra = try TlogProof(index: p.index, inclusionProof: p.inclusionProof, checkpointNote: p.checkpointNote,
                                          extra: Array("vrf proof".utf8))
            let e2 = try TlogProof(parsing: withExtra.encoded)
            #expect(e2.extra == Array("vrf proof".utf8))
            #expect(String(decoding: withExtra.encoded, as: UTF8.self).contains("\nextra dnJmIHByb29m\nindex \(i)\n"))
            _ = try w.verify(e2, entry: w.entries[i])
        }
    }

    @Test("flipping any bit of a proof is caught")
    func tamperEveryBit() throws {
        let w = try World(size: 13)
        let p = try TlogProof.build(index: 6, store: w.store, checkpointNote: w.note)
        let bytes = p.encoded
        _ = try w.verify(p, entry: w.entries[6])
        var missed: [String] = []
        for i in bytes.indices {
            for bit in 0..<8 {
                var t = bytes
                t[i] ^= UInt8(1 << bit)
                do {
                    _ = try w.verify(try TlogProof(parsing: t), entry: w.entries[6])
                    missed.append("byte \(i) bit \(bit)")
                } catch {}
            }
        }
        #expect(missed.isEmpty)
    }

    @Test func verificationFailures() throws {
        let w = try World(size: 10)
        let p = try TlogProof.build(index: 3, store: w.store, checkpointNote: w.note)
        let e = w.entries[3]
        #expect(throws: TlogProofError.checkpoint(.originMismatch(expected: "example.org/other", got: Self.origin))) {
            try p.verify(entry: e, origin: "example.org/other", logKey: w.log.verifierKey)
        }
        let stranger = try NoteSignerKey.generate(name: Self.origin)
        #expect(throws: TlogProofError.checkpoint(.note(.noVerifiedSignature(unknownSignatures: 2)))) {
            try p.verify(entry: e, origin: Self.origin, logKey: stranger.verifierKey)
        }
        // The witness's cosignature alone is not enough: the log key must have signed.
        #expect(throws: TlogProofError.checkpoint(.missingLogSignature(stranger.verifierKey.encoded))) {
            try p.verify(entry: e, origin: Self.origin, logKey: stranger.verifierKey, cosigners: [w.witness.verifierKey])
        }
        #expect(throws: TlogProofError.checkpoint(.notEnoughCosignatures(required: 2, got: 1))) {
            try p.verify(entry: e, origin: Self.origin, logKey: w.log.verifierKey, cosigners: [w.witness.verifierKey],
                         minimumCosignatures: 2)
        }
        let beyond = try TlogProof(index: 10, inclusionProof: p.inclusionProof, checkpointNote: w.note)
        #expect(throws: TlogProofError.indexOutOfRange(index: 10, size: 10)) { try w.verify(beyond, entry: e) }
        let wrongIndex = try TlogProof(index: 2, inclusionProof: p.inclusionProof, checkpointNote: w.note)
        #expect(throws: TlogProofError.inclusion(.rootMismatch)) { try w.verify(wrongIndex, entry: e) }
        let short = try TlogProof(index: 3, inclusionProof: Array(p.inclusionProof.dropLast()), checkpointNote: w.note)
        #expect(throws: TlogProofError.self) { try w.verify(short, entry: e) }
        #expect(throws: TlogProofError.inclusion(.malformedHash)) {
            try p.verify(leafHash: [1, 2, 3], origin: Self.origin, logKey: w.log.verifierKey)
        }
        // build refuses a store whose root is not the checkpoint's.
        var other = w.store
        other.append(leafHash: Merkle.leafHash([1]))
        let bigger = try Checkpoint(origin: Self.origin, size: 10, rootHash: Merkle.leafHash([9])).sign(signers: [w.log])
        #expect(throws: TlogProofError.inclusion(.rootMismatch)) { try TlogProof.build(index: 0, store: other, checkpointNote: bigger) }
        #expect(throws: TlogProofError.indexOutOfRange(index: 10, size: 10)) {
            try TlogProof.build(index: 10, store: w.store, checkpointNote: w.note)
        }
    }

    /// docs/FORMATS-logs.md's worked example, rebuilt from its published seeds: Ed25519 is
    /// deterministic, so every byte must match the document.
    @Test("FORMATS-logs.md worked example is reproduced byte for byte")
    func formatsWorkedExample() throws {
        let origin = "att-report.example/log"
        let log = try NoteSignerKey(name: origin, seed: SecureBytes(copying: SHA256.hash(Array("att-report example log key".utf8))))
        let witness = try NoteSignerKey(name: "witness.example/w1", type: .cosignatureV1,
                                        seed: SecureBytes(copying: SHA256.hash(Array("att-report example witness key".utf8))))
        #expect(log.encoded() == "PRIVATE+KEY+att-report.example/log+44efe6d0+AQTEByxIZ18Q+0Fuz2LbGNS5gELhnlfFQM0QflAKLjol")
        #expect(log.verifierKey.encoded == "att-report.example/log+44efe6d0+Aefzi4oPZvjUOjvgKLaXzLvT6iPta/uUGxKWxUU/ij3j")
        #expect(witness.encoded() == "PRIVATE+KEY+witness.example/w1+d8656cd5+BK4LVbwIu5gS+0DJPFV85/rbp6/CYVU2SeVD4HNUjKZf")
        #expect(witness.verifierKey.encoded == "witness.example/w1+d8656cd5+BBKgKr7R9wB+MIkytOk4PErmnxA+lVUuDVaMKofsU4E0")
        var store = MemoryHashStore()
        for i in 1...5 { store.append(leafHash: Merkle.leafHash(Array("report \(i)\n".utf8))) }
        let cp = try Checkpoint(origin: origin, size: 5, rootHash: try Merkle.rootHash(store, size: 5))
        let note = try SignedNote.addSignatures(to: try cp.sign(signers: [log]), signers: [witness], timestamp: 1_767_225_600)
        let checkpoint = """
            att-report.example/log
            5
            CyR/OexQUoP6VfYHxJarngpq3IV/k1jgnwydYaxUUK0=

            — att-report.example/log RO/m0P1F6AmXw7khHXibzS5uSdMd44Baxe+WDHuWZX2auOhAg2OqB6FGk5R7DDSzp3lZg5pzaNoUGs5EOCHQt9073Qw=
            — witness.example/w1 2GVs1QAAAABpVbkA9Xv+qJgPa+EWT1M66A0gPAWUg/MJDAhU933FQMpcpj2bDKAac/P3WXkrptsAk3ZqyhTXEQ9K56gohWZ3Qf2lBQ==

            """
        #expect(String(decoding: note, as: UTF8.self) == checkpoint)
        let proof = try TlogProof.build(index: 2, store: store, checkpointNote: note)
        #expect(String(decoding: proof.encoded, as: UTF8.self) == """
            c2sp.org/tlog-proof@v1
            index 2
            wJWwhHACfmTdd6dwtG6GccFiFgJA2yZc0rgvIchvwdg=
            ACYFhiEG/iky910A8JrHY1Tfim+dLbQZEW82F7vJO+8=
            z4eKROnrr2BHSFCEm4+/Zg0qmgG27YHByRaJIcZCMOw=


            """ + checkpoint)
        try proof.verify(entry: Array("report 3\n".utf8), origin: origin, logKey: log.verifierKey,
                         cosigners: [witness.verifierKey], minimumCosignatures: 1)
    }

    @Test("malformed proofs are refused")
    func malformed() throws {
        let w = try World(size: 5)
        let p = try TlogProof.build(index: 4, store: w.store, checkpointNote: w.note)
        let text = String(decoding: p.encoded, as: UTF8.self)
        let h = Base64.encode(p.inclusionProof[0], padded: true)
        let note = String(decoding: w.note, as: UTF8.self)
        let cases: [String] = [
            text.replacingOccurrences(of: "c2sp.org/tlog-proof@v1", with: "c2sp.org/tlog-proof@v2"),
            text.replacingOccurrences(of: "c2sp.org/tlog-proof@v1\n", with: ""),
            text.replacingOccurrences(of: "index 4", with: "index 04"),
            text.replacingOccurrences(of: "index 4", with: "index +4"),
            text.replacingOccurrences(of: "index 4", with: "index  4"),
            text.replacingOccurrences(of: "index 4", with: "Index 4"),
            text.replacingOccurrences(of: "index 4\n", with: ""),
            text.replacingOccurrences(of: "index 4\n", with: "index 4\nextra AAAA\n"),
            text.replacingOccurrences(of: "index 4\n", with: "extra \nindex 4\n"),
            text.replacingOccurrences(of: "index 4\n", with: "extra AAA\nindex 4\n"),
            text.replacingOccurrences(of: h, with: String(h.dropLast())),
            text.replacingOccurrences(of: h, with: Base64.encode(Array(p.inclusionProof[0].prefix(31)), padded: true)),
            text.replacingOccurrences(of: "\(h)\n", with: "\(h)\r\n"),
            text.replacingOccurrences(of: "\n\n\(note.prefix(10))", with: "\n\(note.prefix(10))"),
            text.replacingOccurrences(of: "\n\n\(note.prefix(10))", with: "\n\n\n\(note.prefix(10))"),
            text + "x",
            text + "\n",
            String(text.prefix(while: { $0 != "\n" })),
            "c2sp.org/tlog-proof@v1\nindex 0\n\nhello\n\n— \(w.log.name) \(h)\n",
        ]
        for (k, c) in cases.enumerated() {
            #expect(throws: TlogProofError.self, "case \(k)") { try TlogProof(parsing: Array(c.utf8)) }
        }
        // A non-ASCII byte in place of a '/' of a proof hash (libsodium 1.0.18 alone would
        // read any byte >= 0x80 as '/', giving the same hash).
        let slashes = Array("c2sp.org/tlog-proof@v1\nindex 0\n\(Base64.encode([UInt8](repeating: 0xFF, count: 32), padded: true))\n\n".utf8)
        #expect(throws: Never.self) { try TlogProof(parsing: slashes + w.note) }
        var high = slashes
        high[high.count - 5] = 0xAF
        #expect(throws: TlogProofError.malformed("proof line 1 is not the padded base64 of 32 bytes")) { try TlogProof(parsing: high + w.note) }
        let many = "c2sp.org/tlog-proof@v1\nindex 0\n" + String(repeating: h + "\n", count: 65) + "\n" + note
        #expect(throws: TlogProofError.malformed("more than 64 proof hashes")) { try TlogProof(parsing: Array(many.utf8)) }
        #expect(throws: TlogProofError.tooLarge(size: TlogProof.maxSize + 1, limit: TlogProof.maxSize)) {
            try TlogProof(parsing: [UInt8](repeating: 0x41, count: TlogProof.maxSize + 1))
        }
        #expect(throws: TlogProofError.malformed("extra data is empty (omit it instead)")) {
            try TlogProof(index: 0, inclusionProof: [], checkpointNote: w.note, extra: [])
        }
    }
}
