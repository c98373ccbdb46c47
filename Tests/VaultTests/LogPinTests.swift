import Crypto
import Testing
@testable import Vault

/// A directory log in memory: entries, their hash store, and a checkpoint signed per size.
struct DirLog {
    static let origin = "att-relay.example/directory"
    let key: NoteSignerKey
    var entries: [[UInt8]] = []
    var store = MemoryHashStore()
    /// The signed checkpoint note for each size 0...entries.count.
    var checkpoints: [[UInt8]] = []

    init(key: NoteSignerKey) throws {
        self.key = key
        checkpoints.append(try checkpoint())
    }

    mutating func append(_ entry: [UInt8]) throws {
        entries.append(entry)
        store.append(leafHash: Merkle.leafHash(entry))
        checkpoints.append(try checkpoint())
    }

    func checkpoint() throws -> [UInt8] {
        try Checkpoint(origin: Self.origin, size: store.size, rootHash: try Merkle.rootHash(store, size: store.size)).sign(signers: [key])
    }

    func proof(from m: UInt64, to n: UInt64) throws -> [Merkle.Hash] { try Merkle.consistencyProof(store, from: m, to: n) }
}

@Suite("directory pin")
struct DirectoryPinTests {
    static func log(_ key: NoteSignerKey, entries: [String]) throws -> DirLog {
        var l = try DirLog(key: key)
        for e in entries { try l.append(Array(e.utf8)) }
        return l
    }

    static func newPin(_ key: NoteSignerKey) -> LogPin { LogPin(origin: DirLog.origin, logKey: key.verifierKey) }

    @Test func advancesOnlyWithConsistencyProofs() throws {
        let key = try NoteSignerKey.generate(name: DirLog.origin)
        let log = try Self.log(key, entries: (1...9).map { "statement \($0)\n" })
        var pin = Self.newPin(key)
        #expect(try pin.update(to: log.checkpoints[3], consistencyProof: []) == .pinnedFirst(size: 3))
        #expect(try pin.update(to: log.checkpoints[3], consistencyProof: []) == .unchanged(size: 3))
        #expect(try pin.update(to: log.checkpoints[7], consistencyProof: try log.proof(from: 3, to: 7)) == .advanced(from: 3, to: 7))
        #expect(pin.pinned?.note == log.checkpoints[7])
        #expect(try pin.update(to: log.checkpoints[9], consistencyProof: try log.proof(from: 7, to: 9)) == .advanced(from: 7, to: 9))
        // From the empty tree no proof is needed.
        var fromEmpty = Self.newPin(key)
        try fromEmpty.update(to: log.checkpoints[0], consistencyProof: [])
        #expect(try fromEmpty.update(to: log.checkpoints[5], consistencyProof: []) == .advanced(from: 0, to: 5))
        // A saved pin reopens.
        let restored = try LogPin(origin: DirLog.origin, logKey: key.verifierKey, pinnedNote: log.checkpoints[9])
        #expect(restored == pin)
    }

    @Test func refusesRollbackWithBothCheckpointsAsEvidence() throws {
        let key = try NoteSignerKey.generate(name: DirLog.origin)
        let log = try Self.log(key, entries: (1...6).map { "statement \($0)\n" })
        var pin = Self.newPin(key)
        try pin.update(to: log.checkpoints[6], consistencyProof: [])
        #expect(throws: LogPinError.rollback(pinned: log.checkpoints[6], offered: log.checkpoints[4])) {
            try pin.update(to: log.checkpoints[4], consistencyProof: [])
        }
        #expect(pin.pinned?.checkpoint.size == 6)
        let message = LogPinError.rollback(pinned: log.checkpoints[6], offered: log.checkpoints[4]).description
        #expect(message.contains("\n6\n") && message.contains("\n4\n"))
    }

    @Test func refusesForksWithBothCheckpointsAsEvidence() throws {
        let key = try NoteSignerKey.generate(name: DirLog.origin)
        // Two histories signed by the same log key that agree on the first two entries.
        let honest = try Self.log(key, entries: ["a\n", "b\n", "c\n", "d\n", "e\n"])
        let forked = try Self.log(key, entries: ["a\n", "b\n", "C\n", "d\n", "e\n", "f\n"])
        var pin = Self.newPin(key)
        try pin.update(to: honest.checkpoints[3], consistencyProof: [])
        // Same size, another root.
        #expect(throws: LogPinError.fork(pinned: honest.checkpoints[3], offered: forked.checkpoints[3], proofError: nil)) {
            try pin.update(to: forked.checkpoints[3], consistencyProof: [])
        }
        // A larger tree that does not extend the pinned one: its own proof fails.
        #expect(throws: LogPinError.fork(pinned: honest.checkpoints[3], offered: forked.checkpoints[6], proofError: .rootMismatch)) {
            try pin.update(to: forked.checkpoints[6], consistencyProof: try forked.proof(from: 3, to: 6))
        }
        // So does the honest log's proof, for the forked checkpoint.
        #expect(throws: LogPinError.fork(pinned: honest.checkpoints[3], offered: forked.checkpoints[5], proofError: .rootMismatch)) {
            try pin.update(to: forked.checkpoints[5], consistencyProof: try honest.proof(from: 3, to: 5))
        }
        // A proof of the wrong shape for an honest checkpoint is refused too.
        let proof = try honest.proof(from: 3, to: 5)
        #expect(proof.count == 4)
        #expect(throws: LogPinError.fork(pinned: honest.checkpoints[3], offered: honest.checkpoints[5], proofError: .wrongProofLength(expected: 4, got: 3))) {
            try pin.update(to: honest.checkpoints[5], consistencyProof: Array(proof.dropLast()))
        }
        #expect(pin.pinned?.note == honest.checkpoints[3])
        #expect(try pin.update(to: honest.checkpoints[5], consistencyProof: try honest.proof(from: 3, to: 5)) == .advanced(from: 3, to: 5))
    }

    @Test func refusesCheckpointsOfOtherLogsOrKeys() throws {
        let key = try NoteSignerKey.generate(name: DirLog.origin)
        let impostor = try NoteSignerKey.generate(name: DirLog.origin)
        let log = try Self.log(impostor, entries: ["a\n"])
        var pin = Self.newPin(key)
        #expect(throws: LogPinError.checkpoint(.note(.noVerifiedSignature(unknownSignatures: 1)))) {
            try pin.update(to: log.checkpoints[1], consistencyProof: [])
        }
        let otherOrigin = try Checkpoint(origin: "att-relay.example/submissions", size: 1, rootHash: Merkle.leafHash(Array("a\n".utf8)))
            .sign(signers: [key])
        #expect(throws: LogPinError.checkpoint(.originMismatch(expected: DirLog.origin, got: "att-relay.example/submissions"))) {
            try pin.update(to: otherOrigin, consistencyProof: [])
        }
        #expect(pin.pinned == nil)
        // A witness policy.
        let witness = try NoteSignerKey.generate(name: "witness.example/w1", type: .cosignatureV1)
        var witnessed = LogPin(origin: DirLog.origin, logKey: key.verifierKey, cosigners: [witness.verifierKey], minimumCosignatures: 1)
        let own = try Self.log(key, entries: ["a\n"])
        #expect(throws: LogPinError.checkpoint(.notEnoughCosignatures(required: 1, got: 0))) {
            try witnessed.update(to: own.checkpoints[1], consistencyProof: [])
        }
        let cosigned = try SignedNote.addSignatures(to: own.checkpoints[1], signers: [witness])
        #expect(try witnessed.update(to: cosigned, consistencyProof: []) == .pinnedFirst(size: 1))
    }

    /// End to end: statements in the directory log, the client's pin, the entries checked
    /// against the pinned root, then replayed.
    @Test func replayOnlyPinnedEntries() throws {
        let key = try NoteSignerKey.generate(name: DirLog.origin)
        let world = try DirWorld()
        var log = try DirLog(key: key)
        for e in world.entries { try log.append(e) }
        var pin = Self.newPin(key)
        try pin.update(to: log.checkpoints[2], consistencyProof: [])
        try pin.update(to: log.checkpoints[3], consistencyProof: try log.proof(from: 2, to: 3))
        try pin.verifyEntries(log.entries)
        #expect(DirectoryState(replaying: log.entries).parties == world.state.parties)
        #expect(throws: LogPinError.entriesMismatch(expectedSize: 3, gotCount: 2)) { try pin.verifyEntries(Array(log.entries.prefix(2))) }
        var swapped = log.entries
        swapped.swapAt(1, 2)
        #expect(throws: LogPinError.entriesRootMismatch(size: 3)) { try pin.verifyEntries(swapped) }
        #expect(throws: LogPinError.notPinned) { try Self.newPin(key).verifyEntries([]) }
    }
}
