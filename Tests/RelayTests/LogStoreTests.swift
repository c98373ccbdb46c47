import Crypto
import Foundation
import Relay
import Testing
import TestSupport

/// Signs nothing: the checkpoint text, for tests of the store's own logic.
struct PlainSigner: CheckpointSigner {
    func signCheckpoint(size: UInt64, root: Merkle.Hash) throws -> [UInt8] {
        Array("test-log\n\(size)\n\(Base64.encode(root, padded: true))\n".utf8)
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("att-logstore-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("log store")
struct LogStoreTests {
    @Test("roots, proofs and tiles match an independent in-memory tree")
    func matchesMemoryTree() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try LogStore(path: dir.appendingPathComponent("log.db").path, signer: PlainSigner())
        var memory = MemoryHashStore()
        var entries: [[UInt8]] = []
        // Uneven batches, so checkpoints land at many sizes.
        for batchSize in [1, 2, 3, 250, 7, 300, 1, 64, 200] {
            let batch = (0..<batchSize).map { _ in randomBytes(Int.random(in: 0...100)) }
            let r = try store.append(batch)
            #expect(r.firstIndex == UInt64(entries.count))
            entries += batch
            for e in batch { memory.append(leafHash: Merkle.leafHash(e)) }
            #expect(r.checkpoint.size == UInt64(entries.count))
            #expect(r.checkpoint.root == (try Merkle.rootHash(memory, size: memory.size)))
        }
        let n = store.size
        #expect(n == 828)
        for size in [UInt64(1), 2, 5, 256, 257, 511, 512, 828] {
            let root = try store.rootHash(size: size)
            #expect(root == (try Merkle.rootHash(memory, size: size)))
            for index in Set([0, size / 2, size - 1]) {
                let proof = try store.inclusionProof(index: index, size: size)
                #expect(proof == (try Merkle.inclusionProof(memory, index: index, size: size)))
                try Merkle.verifyInclusion(leafHash: Merkle.leafHash(entries[Int(index)]), index: index, size: size, proof: proof, root: root)
            }
            let old = max(size / 3, 1)
            let proof = try store.consistencyProof(from: old, to: n)
            try Merkle.verifyConsistency(size1: old, size2: n, proof: proof, root1: try store.rootHash(size: old), root2: try store.rootHash(size: n))
        }
        // Tiles: level 0 holds leaf hashes, level 1 holds the roots of 256-leaf subtrees.
        let firstTile: [UInt8] = (0..<256).flatMap { Merkle.leafHash(entries[$0]) }
        let partialTile: [UInt8] = (768..<828).flatMap { Merkle.leafHash(entries[$0]) }
        #expect(try store.tile(level: 0, index: 0, width: 256) == firstTile)
        #expect(try store.tile(level: 0, index: 3, width: 60) == partialTile)
        #expect(throws: LogStoreError.self) { try store.tile(level: 0, index: 3, width: 61) }
        let level1 = try store.tile(level: 1, index: 0, width: 3)
        var roots: [UInt8] = []
        for t in UInt64(0)..<3 { roots += try Merkle.subtreeHash(memory, start: t * 256, end: (t + 1) * 256) }
        #expect(level1 == roots)
        #expect(throws: LogStoreError.self) { try store.tile(level: 1, index: 0, width: 4) }
        let bundle = try store.entryBundle(index: 1, width: 2)
        let e0 = entries[256], e1 = entries[257]
        var expected: [UInt8] = [UInt8(e0.count >> 8), UInt8(e0.count & 255)]
        expected += e0
        expected += [UInt8(e1.count >> 8), UInt8(e1.count & 255)]
        expected += e1
        #expect(bundle == expected)
        #expect(LogStore.tilePath(index: 1_234_067, width: 256) == "x001/x234/067")
        #expect(LogStore.tilePath(index: 5, width: 60) == "005.p/60")
        #expect(throws: LogStoreError.entryTooLarge(65_536)) { try store.append([[UInt8](repeating: 0, count: 65_536)]) }
    }

    @Test("reopening checks the store against the last checkpoint and carries on")
    func reopenAndDetectCorruption() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("log.db").path
        var checkpoints: [StoredCheckpoint] = []
        do {
            let store = try LogStore(path: path, signer: PlainSigner())
            for _ in 0..<5 { checkpoints.append(try store.append((0..<37).map { _ in randomBytes(10) }).checkpoint) }
        }
        do {
            let store = try LogStore(path: path, signer: PlainSigner())
            #expect(store.size == 185)
            #expect(store.latestCheckpoint == checkpoints.last)
            #expect(try store.allCheckpoints() == checkpoints)
            let next = try store.append([randomBytes(5)]).checkpoint
            for cp in checkpoints {
                try Merkle.verifyConsistency(size1: cp.size, size2: next.size, proof: try store.consistencyProof(from: cp.size, to: next.size),
                                             root1: cp.root, root2: next.root)
            }
        }
        // Damage one stored hash on the right edge (186 = 0b10111010: the level-1 subtree
        // at index 92 is part of the root): the store must refuse to open.
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("UPDATE hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 92")
        }
        #expect(throws: LogStoreError.self) { try LogStore(path: path, signer: PlainSigner()) }
    }

    @Test("signed checkpoints: receipts verify offline, and another key's store is refused on open")
    func noteSignedLog() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("log.db").path
        let origin = "relay.example/submissions"
        let signer = NoteCheckpointSigner(origin: origin, key: try NoteSignerKey.generate(name: origin))
        let entries = (0..<20).map { Array("entry \($0)".utf8) }
        do {
            let store = try LogStore(path: path, signer: signer)
            let first = try store.append(Array(entries[0..<7]))
            try store.append(Array(entries[7...]))
            // A receipt against the first checkpoint and one against the latest both verify.
            for (index, cp) in [(UInt64(3), first.checkpoint), (UInt64(15), store.latestCheckpoint!)] {
                let receipt = try TlogProof(parsing: try store.receipt(index: index, checkpoint: cp).encoded)
                let opened = try receipt.verify(entry: entries[Int(index)], origin: origin, logKey: signer.verifierKey)
                #expect(opened.checkpoint.size == cp.size)
                #expect(throws: TlogProofError.self) {
                    try receipt.verify(entry: Array("forged".utf8), origin: origin, logKey: signer.verifierKey)
                }
            }
        }
        #expect(try LogStore(path: path, signer: signer).size == 20)
        let impostor = NoteCheckpointSigner(origin: origin, key: try NoteSignerKey.generate(name: origin))
        #expect(throws: CheckpointError.self) { try LogStore(path: path, signer: impostor) }
    }

    @Test("an entry without a checkpoint is refused on open")
    func unsignedEntryIsCorruption() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("log.db").path
        do { try LogStore(path: path, signer: PlainSigner()).append([[1], [2]]) }
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("INSERT INTO leaves (idx, data) VALUES (2, x'03')")
        }
        #expect(throws: LogStoreError.corrupt("3 entries stored but the last checkpoint covers 2")) {
            try LogStore(path: path, signer: PlainSigner())
        }
    }

    @Test("a failed signature leaves nothing behind")
    func failedSignerRollsBack() throws {
        struct FailingSigner: CheckpointSigner {
            struct Refused: Error {}
            func signCheckpoint(size: UInt64, root: Merkle.Hash) throws -> [UInt8] { if size > 3 { throw Refused() }; return [1] }
        }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("log.db").path
        let store = try LogStore(path: path, signer: FailingSigner())
        try store.append([[1], [2], [3]])
        #expect(throws: FailingSigner.Refused.self) { try store.append([[4]]) }
        #expect(store.size == 3)
        #expect(try store.rootHash(size: 3) == store.latestCheckpoint?.root)
        #expect(try LogStore(path: path, signer: FailingSigner()).size == 3)
    }

    @Test("group commit: concurrent appends share checkpoints and all land")
    func groupCommit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A signer that takes a millisecond, like a real one under load, so writers queue up.
        struct SlowSigner: CheckpointSigner {
            func signCheckpoint(size: UInt64, root: Merkle.Hash) throws -> [UInt8] {
                usleep(1000)
                return try PlainSigner().signCheckpoint(size: size, root: root)
            }
        }
        let appender = LogAppender(store: try LogStore(path: dir.appendingPathComponent("log.db").path, signer: SlowSigner()))
        let results = ResultBox()
        // Eight real threads (concurrentPerform would use only as many as there are cores).
        let group = DispatchGroup()
        for t in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                for i in 0..<100 {
                    let entry = Array("thread \(t) entry \(i)".utf8)
                    if let r = try? appender.append(entry) { results.add(entry, r) }
                }
                group.leave()
            }
        }
        group.wait()
        let all = results.items
        #expect(all.count == 800)
        #expect(Set(all.map(\.1.index)).count == 800)
        for (entry, r) in all {
            #expect(r.checkpoint.size > r.index)
            #expect(try appender.store.entry(at: r.index) == entry)
        }
        #expect(try appender.store.allCheckpoints().count < 800, "appends should share checkpoints")
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [([UInt8], LogAppender.Receipt)] = []
    func add(_ e: [UInt8], _ r: LogAppender.Receipt) { lock.withLock { storage.append((e, r)) } }
    var items: [([UInt8], LogAppender.Receipt)] { lock.withLock { storage } }
}
