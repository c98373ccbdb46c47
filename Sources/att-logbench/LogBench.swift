import Crypto
import Foundation
import Relay


/// The signer for benchmarks and load tests: a real C2SP note key, from a file when given
/// (so a test can verify the checkpoints), otherwise fresh.
func benchSigner(keyFile: String?) throws -> NoteCheckpointSigner {
    let origin = "att-logbench.example/log"
    if let keyFile {
        let text = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return NoteCheckpointSigner(origin: origin, key: try NoteSignerKey(parsing: text))
    }
    return NoteCheckpointSigner(origin: origin, key: try NoteSignerKey.generate(name: origin))
}

enum LogBench {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func run(path: String, leaves: Int, batch: Int, signer: CheckpointSigner) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try LogStore(path: path, signer: signer)
        print("Transparency log benchmark: \(leaves) entries of 64 bytes, batches of \(batch), SQLite WAL, synchronous=FULL, Ed25519 signed checkpoints")
        let start = now()
        var firstTenth = 0.0, lastTenth = 0.0
        var appended = 0
        while appended < leaves {
            let n = min(batch, leaves - appended)
            let entries = (0..<n).map { _ in randomBytes(64) }
            let t0 = now()
            try store.append(entries)
            let dt = now() - t0
            if appended < leaves / 10 { firstTenth += dt }
            if appended >= leaves - leaves / 10 { lastTenth += dt }
            appended += n
        }
        let total = now() - start
        // Every entry gets a receipt from the checkpoint that covered it; time making and checking one.
        let signerKey = (signer as? NoteCheckpointSigner)?.verifierKey
        print(String(format: "  appends: %.0f entries/s durable (%.2f s for %d; one fsync and one signed checkpoint per batch)", Double(leaves) / total, total, leaves))
        print(String(format: "  append rate, first 10%% vs last 10%% of the log: %.0f vs %.0f entries/s", Double(leaves / 10) / firstTenth, Double(leaves / 10) / lastTenth))
        let size = store.size
        for probeSize in [UInt64(min(10_000, leaves)), size] {
            let (incl, cons) = try timeProofs(store, size: probeSize, samples: 2000)
            print(String(format: "  at size %d: inclusion proof produce+verify %.1f µs, consistency proof produce+verify %.1f µs (mean of 2000)", probeSize, incl * 1e6, cons * 1e6))
        }
        if let signerKey, let s = signer as? NoteCheckpointSigner {
            var t = now()
            let samples = 2000
            for _ in 0..<samples {
                let i = UInt64.random(in: 0..<size)
                let r = try store.receipt(index: i)
                _ = try r.verify(entry: try store.entry(at: i), origin: s.origin, logKey: signerKey)
            }
            t = now() - t
            print(String(format: "  receipt (tlog-proof) produce+verify incl. signature check: %.1f µs (mean of %d)", t / Double(samples) * 1e6, samples))
        }
        var bytes: UInt64 = 0
        for suffix in ["", "-wal"] {
            if let a = try? FileManager.default.attributesOfItem(atPath: path + suffix), let s = a[.size] as? UInt64 { bytes += s }
        }
        print(String(format: "  size on disk: %.1f bytes per entry (%.1f MiB; entries themselves are 64 bytes)", Double(bytes) / Double(size), Double(bytes) / 1048576))
    }

    static func timeProofs(_ store: LogStore, size: UInt64, samples: Int) throws -> (Double, Double) {
        let root = try store.rootHash(size: size)
        var t = now()
        for _ in 0..<samples {
            let i = UInt64.random(in: 0..<size)
            let proof = try store.inclusionProof(index: i, size: size)
            try Merkle.verifyInclusion(leafHash: Merkle.leafHash(try store.entry(at: i)), index: i, size: size, proof: proof, root: root)
        }
        let inclusion = (now() - t) / Double(samples)
        t = now()
        for _ in 0..<samples {
            let m = UInt64.random(in: 1...size)
            let proof = try store.consistencyProof(from: m, to: size)
            try Merkle.verifyConsistency(size1: m, size2: size, proof: proof, root1: try store.rootHash(size: m), root2: root)
        }
        // The old root is looked up in the timed loop too; it is part of serving a proof.
        let consistency = (now() - t) / Double(samples)
        return (inclusion, consistency)
    }
}
