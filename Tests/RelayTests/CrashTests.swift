import Crypto
import Foundation
import Relay
import Testing
import TestSupport

/// Crash safety of the log store with a real `kill -9`: a separate process appends under
/// load from four threads and prints each acknowledgement; we kill it mid-flight, reopen the
/// store, and check that every acknowledged entry is there and every checkpoint signed
/// before the kill is consistent with the store after it. Three rounds on one store.
@Suite("log store crash safety", .serialized)
struct CrashTests {
    static var loadgen: URL {
        if let p = ProcessInfo.processInfo.environment["ATT_LOGBENCH_BIN"] { return URL(fileURLWithPath: p) }
        return Vectors.packageRoot.appendingPathComponent(".build/debug/att-logbench")
    }

    struct Ack { let index: UInt64; let entryHash: String; let size: UInt64; let root: String }

    /// Runs the load generator until `minimum` acknowledgements arrived, then kills it.
    static func runAndKill(db: String, keyFile: String, minimum: Int) throws -> [Ack] {
        let process = Process()
        process.executableURL = loadgen
        process.arguments = ["load", db, "4", keyFile]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        let deadline = Date().addingTimeInterval(60)
        while buffer.reduce(0, { $0 + ($1 == 0x0A ? 1 : 0) }) < minimum {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the process died on its own
            buffer += chunk
            if Date() > deadline { break }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        buffer += pipe.fileHandleForReading.readDataToEndOfFile()
        // Only complete lines are acknowledgements.
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 5, f[0] == "ack", let i = UInt64(f[1]), let s = UInt64(f[3]) else { return nil }
            return Ack(index: i, entryHash: String(f[2]), size: s, root: String(f[4]))
        }
    }

    @Test("kill -9 under load loses no acknowledged entry and forks no checkpoint")
    func killUnderLoad() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.loadgen.path) else {
            Issue.record("\(Self.loadgen.path) is missing: build it with `swift build` (make test does)")
            return
        }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("log.db").path
        let origin = "att-logbench.example/log"
        let key = try NoteSignerKey.generate(name: origin)
        let keyFile = dir.appendingPathComponent("log.skey").path
        try Data(key.encodedBytes()).write(to: URL(fileURLWithPath: keyFile))
        let signer = NoteCheckpointSigner(origin: origin, key: key)
        var allAcks: [Ack] = []
        for round in 1...3 {
            let acks = try Self.runAndKill(db: db, keyFile: keyFile, minimum: 2000)
            #expect(acks.count >= 2000, "round \(round): the load generator acknowledged only \(acks.count) entries")
            allAcks += acks
            // Reopening runs the store's own recovery check, including the last note's signature.
            let store = try LogStore(path: db, signer: signer)
            let latest = try #require(store.latestCheckpoint)
            #expect(latest.size == store.size)
            for ack in allAcks {
                #expect(hex(SHA256.hash(try store.entry(at: ack.index))) == ack.entryHash, "entry \(ack.index)")
            }
            // Every checkpoint acknowledged before the kill is consistent with the latest.
            let signed = Dictionary(try store.allCheckpoints().map { ($0.size, $0) }, uniquingKeysWith: { a, _ in a })
            for size in Set(allAcks.map(\.size)) {
                let ack = allAcks.first { $0.size == size }!
                let cp = try #require(signed[size], "checkpoint \(size) is gone")
                #expect(hex(cp.root) == ack.root)
                let opened = try SignedCheckpoint(opening: cp.note, origin: origin, logKey: signer.verifierKey)
                #expect(opened.checkpoint.size == size && opened.checkpoint.rootHash == cp.root)
                if size < latest.size {
                    try Merkle.verifyConsistency(size1: size, size2: latest.size, proof: try store.consistencyProof(from: size, to: latest.size),
                                                 root1: cp.root, root2: latest.root)
                }
            }
            // Receipts for acknowledged entries verify offline against the signed checkpoints.
            for ack in allAcks.shuffled().prefix(50) {
                let receipt = try store.receipt(index: ack.index, checkpoint: signed[ack.size])
                _ = try TlogProof(parsing: receipt.encoded).verify(entry: try store.entry(at: ack.index), origin: origin, logKey: signer.verifierKey)
            }
        }
    }
}
