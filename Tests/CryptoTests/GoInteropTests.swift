import Crypto
import Foundation
import Testing
import TestSupport

/// Live interoperability with Go's golang.org/x/mod/sumdb/note and sumdb/tlog (the
/// reference implementation of signed notes and of the tlog proofs checkpoints commit to),
/// both ways. The Go program is `GoInterop.source`; it needs golang-go and
/// golang-golang-x-mod-dev (scripts/install-deps), and the tests fail, not skip, without them.
@Suite("Go sumdb interop (golang.org/x/mod)")
struct GoInteropTests {

    /// Everything the Swift side makes for Go, from fixed seeds (so a failure reproduces).
    struct Ours {
        static let origin = "att-report.example/log"
        static let cosignatureTime: UInt64 = 1_767_225_600
        static let size: UInt64 = 13
        static let proofIndex: UInt64 = 6
        static let noteText = Array("Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n".utf8)

        let logKey: NoteSignerKey
        let witnessKey: NoteSignerKey
        let authorKey: NoteSignerKey
        let entries: [[UInt8]]
        let store: MemoryHashStore
        let checkpoint: [UInt8]
        let note: [UInt8]
        let proof: TlogProof

        static func seed(_ label: String) -> SecureBytes { SecureBytes(copying: SHA256.hash(Array("att-report Go interop \(label)".utf8))) }

        init() throws {
            logKey = try NoteSignerKey(name: Self.origin, seed: Self.seed("log"))
            witnessKey = try NoteSignerKey(name: "witness.example/w1", seed: Self.seed("witness")).withType(.cosignatureV1)
            authorKey = try NoteSignerKey(name: "att-report.example/author", seed: Self.seed("author"))
            // Text, an empty entry, binary and non-ASCII bytes.
            entries = (0..<Int(Self.size)).map { i in
                switch i {
                case 4: return []
                case 9: return (0...255).map { UInt8($0) }
                case 11: return Array("relazione \(i): è così\n".utf8)
                default: return Array("report \(i)\n".utf8)
                }
            }
            var store = MemoryHashStore()
            for e in entries { store.append(leafHash: Merkle.leafHash(e)) }
            self.store = store
            let cp = try Checkpoint(origin: Self.origin, size: Self.size, rootHash: try Merkle.rootHash(store, size: Self.size))
            checkpoint = try SignedNote.addSignatures(to: try cp.sign(signers: [logKey]), signers: [witnessKey],
                                                      timestamp: Self.cosignatureTime)
            note = try SignedNote.sign(Self.noteText, signers: [authorKey])
            proof = try TlogProof.build(index: Self.proofIndex, store: store, checkpointNote: checkpoint,
                                        extra: Array("att-report interop".utf8))
            // Our own code accepts all of it, or the comparison with Go means nothing.
            try proof.verify(entry: entries[Int(Self.proofIndex)], origin: Self.origin, logKey: logKey.verifierKey,
                             cosigners: [witnessKey.verifierKey], minimumCosignatures: 1)
            _ = try SignedNote.open(note, verifiers: [authorKey.verifierKey])
        }

        /// The log for Go: `entry I BASE64`, then `root N HASH` for every size, then
        /// `inclusion I N HASHES…` and `consistency M N HASHES…` for every pair of sizes.
        func treeFile() throws -> String {
            var lines: [String] = []
            for (i, e) in entries.enumerated() {
                lines.append(e.isEmpty ? "entry \(i)" : "entry \(i) \(Base64.encode(e, padded: true))")
            }
            func b64(_ hs: [Merkle.Hash]) -> String { hs.map { " " + Base64.encode($0, padded: true) }.joined() }
            for n in 1...Self.size {
                lines.append("root \(n)\(b64([try Merkle.rootHash(store, size: n)]))")
            }
            for n in 1...Self.size {
                for i in 0..<n { lines.append("inclusion \(i) \(n)\(b64(try Merkle.inclusionProof(store, index: i, size: n)))") }
                for m in 1...n { lines.append("consistency \(m) \(n)\(b64(try Merkle.consistencyProof(store, from: m, to: n)))") }
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// Writes IN for the Go program.
        func write(to dir: Scratch) throws {
            try dir.write("log.skey", logKey.encodedBytes())
            try dir.write("log.vkey", logKey.verifierKey.encoded)
            try dir.write("witness.skey", witnessKey.encodedBytes())
            try dir.write("witness.vkey", witnessKey.verifierKey.encoded)
            try dir.write("author.skey", authorKey.encodedBytes())
            try dir.write("author.vkey", authorKey.verifierKey.encoded)
            try dir.write("cosignature.time", "\(Self.cosignatureTime)\n")
            try dir.write("checkpoint", checkpoint)
            try dir.write("note", note)
            try dir.write("note.text", Self.noteText)
            try dir.write("tree", try treeFile())
            try dir.write("proof.tlog-proof", proof.encoded)
        }
    }

    static func runGo(_ program: GoInterop.Program, _ ours: Ours) async throws -> (ProcessResult, Scratch) {
        let input = try Scratch("go-in"), output = try Scratch("go-out")
        try ours.write(to: input)
        return (try await program.run(input: input.url, output: output.url), output)
    }

    static let inclusionCount = (1...Int(Ours.size)).reduce(0, +)

    @Test("Go verifies our keys, notes, cosigned checkpoint and proofs; we verify Go's")
    func bothWays() async throws {
        let ours = try Ours()
        let program = try await GoInterop.Program()
        let (r, out) = try await Self.runGo(program, ours)
        try #require(r.exitedNormally && r.status == 0, "the Go side rejected our artifacts: \(r)")
        // Every stage ran (the program cannot have skipped a part and still exited 0).
        for line in [
            "go: signed note verified; re-signing it with our skey gives identical bytes",
            "verified with [\(Ours.origin) witness.example/w1] (cosigned at \(Ours.cosignatureTime)); re-signing gives identical bytes",
            "go: 13 entries: tlog agrees on 13 roots, \(Self.inclusionCount) inclusion and \(Self.inclusionCount) consistency proofs",
            "go: tlog-proof verified: entry \(Ours.proofIndex) in \(Ours.origin) at size \(Ours.size)",
            "go: wrote a key pair, a note, a checkpoint, a cosignature and a tlog-proof",
        ] {
            #expect(r.stdoutText.contains(line), "missing from Go's output: \(line)\n\(r)")
        }

        // Go's note.GenerateKey key pair: both halves parse, match, and re-encode exactly.
        let goVkeyText = try out.readText("go.vkey")
        let goV = try NoteVerifierKey(parsing: goVkeyText)
        #expect(goV.encoded == goVkeyText)
        #expect(goV.name == "go.example/log" && goV.type == .ed25519)
        let goS = try NoteSignerKey(parsing: try out.readText("go.skey"))
        #expect(goS.verifierKey == goV)
        #expect(goS.encodedBytes() == (try out.read("go.skey")))

        // Go's note.Sign: it opens, and signing its text with Go's skey gives Go's bytes.
        let goNote = try out.read("go.note")
        let opened = try SignedNote.open(goNote, verifiers: [goV])
        #expect(opened.verifiedNames == ["go.example/log"])
        #expect(opened.textString == "hello from Go\n\nwith an empty line\n")
        #expect(try SignedNote.sign(opened.text, signers: [goS]) == goNote)
        var bad = goNote
        bad[3] ^= 0x01
        #expect(throws: NoteError.invalidSignature(name: goV.name, keyID: goV.keyID)) {
            try SignedNote.open(bad, verifiers: [goV])
        }

        // Go's checkpoint of the same tree, with an extension line and a Go-made cosignature.
        let goWitnessText = try out.readText("go-witness.vkey")
        let goW = try NoteVerifierKey(parsing: goWitnessText)
        #expect(goW.type == .cosignatureV1 && goW.encoded == goWitnessText)
        let goCp = try SignedCheckpoint(opening: try out.read("go.checkpoint"), origin: "go.example/log", logKey: goV,
                                        cosigners: [goW], minimumCosignatures: 1)
        #expect(goCp.checkpoint.size == Ours.size)
        #expect(goCp.checkpoint.rootHash == (try Merkle.rootHash(ours.store, size: Ours.size)))
        #expect(goCp.checkpoint.extensions == ["an extension line"])
        #expect(goCp.cosignatures.map(\.timestamp) == [1_767_225_999])

        // Go's cosignature added to our checkpoint, after our two signatures.
        let cosigned = try out.read("go.cosigned")
        let both = try SignedCheckpoint(opening: cosigned, origin: Ours.origin, logKey: ours.logKey.verifierKey,
                                        cosigners: [ours.witnessKey.verifierKey, goW], minimumCosignatures: 2)
        #expect(both.signatures.map(\.name) == [Ours.origin, "witness.example/w1", "go-witness.example"])
        #expect(both.cosignatures.map(\.timestamp) == [Ours.cosignatureTime, 1_767_225_999])
        #expect(Array(cosigned.prefix(ours.checkpoint.count)) == ours.checkpoint)

        // Go's tlog-proof for the last entry under its checkpoint.
        let goProofBytes = try out.read("go.tlog-proof")
        let goProof = try TlogProof(parsing: goProofBytes)
        #expect(goProof.encoded == goProofBytes)
        #expect(goProof.index == Ours.size - 1)
        #expect(goProof.extra == Array("made by Go".utf8))
        #expect(goProof.inclusionProof == (try Merkle.inclusionProof(ours.store, index: Ours.size - 1, size: Ours.size)))
        try goProof.verify(entry: ours.entries.last!, origin: "go.example/log", logKey: goV, cosigners: [goW], minimumCosignatures: 1)
        #expect(throws: TlogProofError.self) {
            try goProof.verify(entry: ours.entries[0], origin: "go.example/log", logKey: goV)
        }
    }

    @Test("Negative control: Go rejects our artifacts with one byte changed")
    func goRejectsTampering() async throws {
        let ours = try Ours()
        let program = try await GoInterop.Program()
        let log = ours.logKey.verifierKey, witness = ours.witnessKey.verifierKey

        // The checkpoint's root hash, first character (another base64 digit, so the text is
        // still a well-formed checkpoint and only the log signature can catch it).
        var cp = ours.checkpoint
        let rootStart = try #require(Self.lineStart(cp, line: 2))
        cp[rootStart] = cp[rootStart] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: CheckpointError.note(.invalidSignature(name: log.name, keyID: log.keyID))) {
            try SignedCheckpoint(opening: cp, origin: Ours.origin, logKey: log)
        }
        try await Self.expectGoFails(program, ours, checkpoint: cp,
                                     "FAIL checkpoint: note.Open: invalid signature for key \(log.name)+\(log.keyIDHex)")

        // The witness's cosignature, inside its Ed25519 signature: exercises the
        // cosignature/v1 verifier written in Go from the spec.
        cp = ours.checkpoint
        let sigEnd = cp.count - 1 // the final newline
        let k = sigEnd - 10
        cp[k] = cp[k] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: CheckpointError.note(.invalidSignature(name: witness.name, keyID: witness.keyID))) {
            try SignedCheckpoint(opening: cp, origin: Ours.origin, logKey: log, cosigners: [witness])
        }
        try await Self.expectGoFails(program, ours, checkpoint: cp,
                                     "FAIL checkpoint: note.Open: invalid signature for key \(witness.name)+\(witness.keyIDHex)")

        // One inclusion proof hash in the tree file.
        var tree = try ours.treeFile().split(separator: "\n").map(String.init)
        let i = try #require(tree.firstIndex { $0.hasPrefix("inclusion 6 13 ") })
        var fields = tree[i].split(separator: " ").map(String.init)
        fields[3] = (fields[3].hasPrefix("A") ? "B" : "A") + fields[3].dropFirst()
        tree[i] = fields.joined(separator: " ")
        let proof = try fields[3...].map { try #require(Base64.decode($0, padded: true)) }
        #expect(throws: MerkleProofError.rootMismatch) {
            try Merkle.verifyInclusion(leafHash: Merkle.leafHash(ours.entries[6]), index: 6, size: 13, proof: proof,
                                       root: try Merkle.rootHash(ours.store, size: 13))
        }
        try await Self.expectGoFails(program, ours, tree: tree.joined(separator: "\n") + "\n",
                                     "FAIL tree: tlog.CheckRecord rejects our proof for 6 in 13: invalid transparency proof")
    }

    /// Index of the first byte of line `line` (0-based) of `bytes`.
    static func lineStart(_ bytes: [UInt8], line: Int) -> Int? {
        var seen = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            seen += 1
            if seen == line { return i + 1 }
        }
        return line == 0 ? 0 : nil
    }

    /// Runs Go on our artifacts with `checkpoint` or `tree` replaced, and expects it to exit 1
    /// with `message` as its first line of standard error and no artifacts written.
    static func expectGoFails(_ program: GoInterop.Program, _ ours: Ours, checkpoint: [UInt8]? = nil, tree: String? = nil,
                              _ message: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let input = try Scratch("go-in"), output = try Scratch("go-out")
        try ours.write(to: input)
        if let checkpoint { try input.write("checkpoint", checkpoint) }
        if let tree { try input.write("tree", tree) }
        let r = try await program.run(input: input.url, output: output.url)
        #expect(r.exitedNormally && r.status == 1, "Go should have failed: \(r)", sourceLocation: sourceLocation)
        #expect(r.stderrLines.first == message, "\(r)", sourceLocation: sourceLocation)
        #expect(r.stdoutText.hasPrefix("go: keys "), "Go should have got past its first step: \(r)", sourceLocation: sourceLocation)
        #expect(try output.listing().isEmpty, sourceLocation: sourceLocation)
    }

    /// A fresh directory under the system temporary directory, removed when released.
    final class Scratch: Sendable {
        let url: URL

        init(_ label: String) throws {
            url = FileManager.default.temporaryDirectory
                .appendingPathComponent("att-report-\(label)-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: url) }

        func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: url.appendingPathComponent(name)) }
        func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }
        func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url.appendingPathComponent(name))) }
        func readText(_ name: String) throws -> String { String(decoding: try read(name), as: UTF8.self) }
        func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
    }
}
