import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

/// `Audit` over an in-memory relay that misbehaves in one way at a time: each misbehaviour
/// gives exactly its finding, with evidence; an honest relay gives none.
@Suite("audit findings")
struct AuditTests {
    /// A log held in memory, signing its checkpoints with `signer`.
    struct FakeLog {
        let signer: NoteSignerKey
        var entries: [[UInt8]] = []
        var store = MemoryHashStore()

        init(origin: String) throws { signer = try NoteSignerKey.generate(name: origin) }

        mutating func append(_ entry: [UInt8]) {
            entries.append(entry)
            store.append(leafHash: Merkle.leafHash(entry))
        }

        func checkpoint(size: Int? = nil, by key: NoteSignerKey? = nil) throws -> [UInt8] {
            let n = UInt64(size ?? entries.count)
            return try Checkpoint(origin: signer.name, size: n, rootHash: try Merkle.rootHash(store, size: n)).sign(signers: [key ?? signer])
        }

        func receipt(index: Int, by key: NoteSignerKey? = nil) throws -> [UInt8] {
            let n = UInt64(entries.count)
            return try TlogProof(index: UInt64(index), inclusionProof: try Merkle.inclusionProof(store, index: UInt64(index), size: n),
                                 checkpointNote: try checkpoint(by: key)).encoded
        }
    }

    /// A relay in memory: what it serves can be changed field by field.
    final class FakeRelay: AuditSource {
        var logs: [LogName: FakeLog]
        var servedKeys: [LogName: NoteVerifierKey]
        var servedCheckpoints: [LogName: [UInt8]] = [:]
        var servedEntries: [LogName: [[UInt8]]] = [:]
        var listing: [RelayClient.Listing] = []
        var signatures: [String: [UInt8]] = [:]
        var sealed: [String: [UInt8]] = [:]
        var party: PartyCode?

        init(logs: [LogName: FakeLog]) throws {
            self.logs = logs
            servedKeys = logs.mapValues(\.signer.verifierKey)
            for (name, log) in logs {
                servedCheckpoints[name] = try log.checkpoint()
                servedEntries[name] = log.entries
            }
        }

        func logKey(_ log: LogName) throws -> NoteVerifierKey { servedKeys[log]! }
        func logCheckpoint(_ log: LogName) throws -> [UInt8]? { servedCheckpoints[log] }
        func consistencyProof(_ log: LogName, old: UInt64, new: UInt64) throws -> [Merkle.Hash] {
            try Merkle.consistencyProof(logs[log]!.store, from: old, to: new)
        }
        func entries(_ log: LogName, size: UInt64) throws -> [[UInt8]] { Array(servedEntries[log]!.prefix(Int(size))) }
        func list(pageSize: Int) throws -> [RelayClient.Listing] { listing }
        func envelopeSignature(id: String) throws -> [UInt8] {
            guard let s = signatures[id] else { throw HTTPClientError.status(code: 404, message: "not found") }
            return s
        }
        func verifyEnvelope(id: String, signature: MinisignSignature, directory: KeyDirectory) throws -> Envelope.Verified {
            try Envelope.verify(sealed: MemorySource(sealed[id]!), signature: signature, directory: directory)
        }
    }

    /// An honest relay: the example directory, two envelopes by FRA, and FRA's receipts.
    static func honest() throws -> (FakeRelay, [HeldReceipt]) {
        var directory = try FakeLog(origin: "relay.example/directory")
        let root = Vectors.packageRoot.appendingPathComponent("keys-example")
        let statements = try LocalDirectory(url: root.appendingPathComponent("directory")).entries()
        for s in statements { directory.append(s) }
        let state = DirectoryState(replaying: statements)
        var submissions = try FakeLog(origin: "relay.example/submissions")
        let fra = try PartyCode("FRA")
        let key = try Keystore(home: root.appendingPathComponent("home")).signingKey(party: fra, label: "example-1") { throw CancellationError() }
        var envelopes: [(id: String, signature: [UInt8], sealed: [UInt8])] = []
        for i in 0..<2 {
            let sink = MemorySink()
            let report = Array("report \(i)\n".utf8)
            let e = try Envelope.seal(report: MemorySource(report), reportSize: UInt64(report.count), fileName: "r.txt", sender: fra,
                                      signingKey: key, type: .annual, year: 2025, level: .public, recipients: [], supersedes: nil,
                                      time: UTCTime(seconds: Int64(Date().timeIntervalSince1970)), directory: state, to: sink)
            let signature = Array(e.outerSignature.encodeFile().utf8)
            envelopes.append((e.manifest.id, signature, sink.bytes))
            submissions.append(SHA256.hash(signature))
        }
        let relay = try FakeRelay(logs: [.directory: directory, .submissions: submissions])
        var receipts: [HeldReceipt] = []
        for (i, e) in envelopes.enumerated() {
            relay.listing.append(RelayClient.Listing(index: UInt64(i), trustedComment: try MinisignSignature(parsing: e.signature).trustedComment))
            relay.signatures[e.id] = e.signature
            relay.sealed[e.id] = e.sealed
            receipts.append(HeldReceipt(name: "r\(i)", proof: try submissions.receipt(index: i), signatureFile: e.signature))
        }
        return (relay, receipts)
    }

    static func kinds(_ r: Audit.Result) -> [AuditFinding.Kind] { r.findings.map(\.kind) }

    @Test("an honest relay: no finding, everything counted, both logs pinned")
    func honestRelay() throws {
        let (relay, receipts) = try Self.honest()
        let r = Audit(source: relay, pins: AuditPins(), receipts: receipts).run()
        #expect(r.findings.isEmpty, "\(r.findings)")
        #expect(r.envelopesVerified == 2 && r.receiptsChecked == 2 && r.statementsReplayed == relay.logs[.directory]!.entries.count)
        #expect(r.pins.checkpoints[.submissions] == relay.servedCheckpoints[.submissions])
        // A second audit from those pins, after the log grew, is still clean.
        relay.logs[.submissions]!.append(Array(repeating: 7, count: 32))
        relay.servedCheckpoints[.submissions] = try relay.logs[.submissions]!.checkpoint()
        relay.servedEntries[.submissions] = relay.logs[.submissions]!.entries
        let again = Audit(source: relay, pins: r.pins, receipts: receipts).run()
        #expect(again.findings.isEmpty, "\(again.findings)")
    }

    @Test("a changed log key, a checkpoint that does not verify, entries that are not the checkpoint's")
    func logFindings() throws {
        let (relay, receipts) = try Self.honest()
        let pins = Audit(source: relay, pins: AuditPins(), receipts: []).run().pins

        let other = try NoteSignerKey.generate(name: "relay.example/submissions")
        relay.servedKeys[.submissions] = other.verifierKey
        let changed = Audit(source: relay, pins: pins, receipts: []).run()
        #expect(Self.kinds(changed) == [.logKeyChanged])
        #expect(changed.findings[0].evidence == [pins.keys[.submissions]!.encoded, other.verifierKey.encoded])
        relay.servedKeys[.submissions] = pins.keys[.submissions]

        relay.servedCheckpoints[.directory] = try relay.logs[.directory]!.checkpoint(by: try NoteSignerKey.generate(name: "relay.example/directory"))
        #expect(Self.kinds(Audit(source: relay, pins: pins, receipts: []).run()) == [.checkpointInvalid])
        relay.servedCheckpoints[.directory] = try relay.logs[.directory]!.checkpoint()

        relay.servedEntries[.submissions]![1][0] ^= 1
        let swapped = Audit(source: relay, pins: AuditPins(), receipts: receipts).run()
        #expect(Self.kinds(swapped) == [.entriesMismatch], "the receipts of an unread log are not checked")
        #expect(swapped.receiptsChecked == 0)
        #expect(swapped.pins.checkpoints[.submissions] == nil, "a log with a finding is not pinned")
    }

    @Test("a smaller tree than pinned is a rollback; the same size with another root is a fork; both carry the two notes")
    func rollbackAndFork() throws {
        let (relay, _) = try Self.honest()
        let pins = Audit(source: relay, pins: AuditPins(), receipts: []).run().pins
        relay.servedCheckpoints[.submissions] = try relay.logs[.submissions]!.checkpoint(size: 1)
        let rolled = Audit(source: relay, pins: pins, receipts: []).run()
        #expect(Self.kinds(rolled) == [.rollback])
        #expect(rolled.findings[0].evidence.count == 2)

        var forked = FakeLog(copying: relay.logs[.submissions]!, signer: relay.logs[.submissions]!.signer, keeping: 0)
        forked.append(Array(repeating: 1, count: 32))
        forked.append(Array(repeating: 2, count: 32))
        relay.servedCheckpoints[.submissions] = try forked.checkpoint()
        let fork = Audit(source: relay, pins: pins, receipts: []).run()
        #expect(Self.kinds(fork) == [.fork])
        #expect(fork.findings[0].detail.contains("same size, different root"))
    }

    @Test("a rejected statement in the directory log; a listed envelope whose signature is not the log's entry; a listing that is not the signature's")
    func contentFindings() throws {
        let (relay, _) = try Self.honest()
        relay.logs[.directory]!.append(Array("not a statement".utf8))
        relay.servedCheckpoints[.directory] = try relay.logs[.directory]!.checkpoint()
        relay.servedEntries[.directory] = relay.logs[.directory]!.entries
        #expect(Self.kinds(Audit(source: relay, pins: AuditPins(), receipts: []).run()) == [.statementRejected])

        let (relay2, _) = try Self.honest()
        relay2.listing[1] = RelayClient.Listing(index: 0, trustedComment: relay2.listing[1].trustedComment)
        let misplaced = Audit(source: relay2, pins: AuditPins(), receipts: []).run()
        #expect(Self.kinds(misplaced) == [.envelopeNotInLog])
        #expect(misplaced.findings[0].evidence.count == 2)

        let (relay3, _) = try Self.honest()
        relay3.listing[0] = RelayClient.Listing(index: 0, trustedComment: relay3.listing[0].trustedComment.replacingOccurrences(of: "year=2025", with: "year=2024"))
        #expect(Self.kinds(Audit(source: relay3, pins: AuditPins(), receipts: []).run()) == [.listingMismatch])

        let (relay4, _) = try Self.honest()
        let id = try #require(relay4.sealed.keys.sorted().first)
        relay4.sealed[id]![relay4.sealed[id]!.count / 2] ^= 1
        #expect(Self.kinds(Audit(source: relay4, pins: AuditPins(), receipts: []).run()) == [.outerSignatureInvalid])
    }

    @Test("a receipted envelope the caller may read that the relay does not list, or does not serve, is withheld")
    func withheld() throws {
        let (relay, receipts) = try Self.honest()
        let hiddenID = try #require(relay.listing.last.flatMap { try? Manifest.parseOuterComment($0.trustedComment).manifest.id })
        relay.listing.removeLast()
        let unlisted = Audit(source: relay, pins: AuditPins(), receipts: receipts).run()
        #expect(Self.kinds(unlisted) == [.withheld])
        #expect(unlisted.findings[0].detail.contains("does not list it to the public"))
        relay.signatures[hiddenID] = nil
        let unserved = Audit(source: relay, pins: AuditPins(), receipts: receipts).run()
        #expect(unserved.findings.first?.detail.contains("does not serve it") == true)
    }

    @Test("receipts: one signed by another key is invalid; one whose entry the log no longer has is a fork; one beyond the log a rollback")
    func receiptFindings() throws {
        let (relay, receipts) = try Self.honest()
        let other = try NoteSignerKey.generate(name: "relay.example/submissions")
        let forged = HeldReceipt(name: "forged", proof: try relay.logs[.submissions]!.receipt(index: 0, by: other), signatureFile: receipts[0].signatureFile)
        #expect(Self.kinds(Audit(source: relay, pins: AuditPins(), receipts: [forged]).run()) == [.receiptInvalid])

        // The relay gave a receipt for a tree it no longer shows: another entry at index 1.
        var history = relay.logs[.submissions]!
        let given = HeldReceipt(name: "given", proof: try history.receipt(index: 1), signatureFile: receipts[1].signatureFile)
        history = FakeLog(copying: history, signer: history.signer, keeping: 1)
        history.append(Array(repeating: 9, count: 32))
        history.append(Array(repeating: 8, count: 32))
        relay.logs[.submissions] = history
        relay.servedCheckpoints[.submissions] = try history.checkpoint()
        relay.servedEntries[.submissions] = history.entries
        relay.listing = [relay.listing[0]]
        let result = Audit(source: relay, pins: AuditPins(), receipts: [receipts[0], given]).run()
        // Both receipts covered the tree of two entries the relay no longer shows.
        #expect(Self.kinds(result) == [.fork, .fork], "\(result.findings)")
        #expect(result.findings.map(\.subject) == ["receipt r0", "receipt given"])

        let (relay5, receipts5) = try Self.honest()
        relay5.servedCheckpoints[.submissions] = try relay5.logs[.submissions]!.checkpoint(size: 1)
        #expect(Self.kinds(Audit(source: relay5, pins: AuditPins(), receipts: [receipts5[1]]).run()).contains(.rollback))
    }
}

extension AuditTests.FakeLog {
    /// A log with `signer` and the first `keeping` entries of `other` (all by default).
    init(copying other: AuditTests.FakeLog, signer: NoteSignerKey, keeping: Int? = nil) {
        self.signer = signer
        for e in other.entries.prefix(keeping ?? other.entries.count) { append(e) }
    }
}
