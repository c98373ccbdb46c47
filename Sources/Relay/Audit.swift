import Crypto
import Foundation
import Vault

/// What an audit reads from a relay. `RelayClient` is one; tests give others.
public protocol AuditSource {
    func logKey(_ log: LogName) throws -> NoteVerifierKey
    func logCheckpoint(_ log: LogName) throws -> [UInt8]?
    func consistencyProof(_ log: LogName, old: UInt64, new: UInt64) throws -> [Merkle.Hash]
    func entries(_ log: LogName, size: UInt64) throws -> [[UInt8]]
    /// The envelopes the auditor may see, in log order.
    func list(pageSize: Int) throws -> [RelayClient.Listing]
    func envelopeSignature(id: String) throws -> [UInt8]
    /// Fetches the sealed file and checks its outer signature (§6.4 steps 1–3).
    func verifyEnvelope(id: String, signature: MinisignSignature, directory: KeyDirectory) throws -> Envelope.Verified
    /// The party the requests are signed as, if any (what it may read, §7.4).
    var party: PartyCode? { get }
}

/// One violation found by an audit, with the evidence a third party can check.
public struct AuditFinding: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// The relay serves another verifier key than the one pinned.
        case logKeyChanged = "log-key-changed"
        /// The served checkpoint does not verify (signature, origin, syntax).
        case checkpointInvalid = "checkpoint-invalid"
        /// A smaller tree than one pinned, or than a receipt's.
        case rollback
        /// A tree that does not extend one pinned, or a receipt's.
        case fork
        /// The served entries do not hash to the checkpoint's root.
        case entriesMismatch = "entries-mismatch"
        /// The directory log holds a statement that replay rejects (the relay must not append it).
        case statementRejected = "statement-rejected"
        /// A listed envelope whose signature file is not the log's entry at its index.
        case envelopeNotInLog = "envelope-not-in-log"
        /// A listed envelope whose listing differs from its signature's trusted comment.
        case listingMismatch = "listing-mismatch"
        /// A listed envelope whose outer signature does not verify against the directory.
        case outerSignatureInvalid = "outer-signature-invalid"
        /// A receipt the client holds that does not verify.
        case receiptInvalid = "receipt-invalid"
        /// An envelope the caller holds a receipt for, and may read, that the relay does not
        /// list or serve to it (or serves with another signature file).
        case withheld
        /// The relay could not be read.
        case unreachable
    }

    public let kind: Kind
    /// What it is about: a log, an envelope id, a receipt's name.
    public let subject: String
    public let detail: String
    /// Signed notes, hashes and signature files, verbatim.
    public let evidence: [String]

    public var description: String { "\(kind.rawValue) \(subject): \(detail)" }
}

/// What the audit pins between runs: each log's verifier key and last accepted checkpoint.
public struct AuditPins: Equatable, Sendable {
    public var keys: [LogName: NoteVerifierKey] = [:]
    public var checkpoints: [LogName: [UInt8]] = [:]
    public init() {}
}

/// A receipt the client holds: a tlog proof, and the envelope's outer signature file when it
/// is at hand (then its SHA-256 must be the leaf).
public struct HeldReceipt: Sendable {
    public let name: String
    public let proof: [UInt8]
    public let signatureFile: [UInt8]?
    public init(name: String, proof: [UInt8], signatureFile: [UInt8]?) {
        self.name = name; self.proof = proof; self.signatureFile = signatureFile
    }
}

/// `att-report audit` (docs/FORMATS.md §7.7): both logs read in full and checked against the
/// pins, the directory replayed from its log, every visible envelope re-verified against it,
/// and every held receipt checked against the submissions log as read. A finding never stops
/// the audit: everything that can be checked is.
public struct Audit {
    public struct Result: Sendable {
        public var findings: [AuditFinding] = []
        /// Entries read per log.
        public var sizes: [LogName: UInt64] = [:]
        public var statementsReplayed = 0
        public var envelopesVerified = 0
        public var receiptsChecked = 0
        /// The pins to keep: a log's pin advances only if reading it found nothing.
        public var pins = AuditPins()
        public var clean: Bool { findings.isEmpty }
    }

    public let source: AuditSource
    public let pins: AuditPins
    public let receipts: [HeldReceipt]

    public init(source: AuditSource, pins: AuditPins, receipts: [HeldReceipt]) {
        self.source = source; self.pins = pins; self.receipts = receipts
    }

    public func run() -> Result {
        var result = Result()
        result.pins = pins
        // The listing first: every envelope it names was in a signed checkpoint before it was
        // listed, so it must be inside the checkpoint read next.
        let listing: [RelayClient.Listing]
        do { listing = try source.list(pageSize: 1000) } catch {
            result.findings.append(AuditFinding(kind: .unreachable, subject: "envelopes", detail: "\(error)", evidence: []))
            return result
        }
        let directory = readLog(.directory, into: &result)
        let submissions = readLog(.submissions, into: &result)

        var state = DirectoryState()
        if let directory {
            for (i, entry) in directory.entries.enumerated() {
                if let rejection = state.apply(entry).rejection {
                    result.findings.append(AuditFinding(kind: .statementRejected, subject: "directory entry \(i)",
                                                        detail: "replay rejects it: \(rejection)",
                                                        evidence: [String(decoding: entry, as: UTF8.self)]))
                }
            }
            result.statementsReplayed = directory.entries.count
        }
        if let submissions, directory != nil { checkEnvelopes(listing, log: submissions, directory: state, into: &result) }
        // Receipts of a log that could not be read are not checked (its finding says why).
        let unread = Set([(LogName.directory, directory), (.submissions, submissions)].filter { $0.1 == nil }
            .compactMap { (try? source.logKey($0.0))?.name })
        checkReceipts(logs: [directory, submissions].compactMap { $0 }, skipping: unread, listing: listing, into: &result)
        return result
    }

    /// A log read and checked: its key against the pin, its checkpoint consistent with the
    /// pinned one, and its entries hashing to the checkpoint's root.
    struct ReadLog {
        let key: NoteVerifierKey
        let checkpoint: SignedCheckpoint?
        let entries: [[UInt8]]
    }

    func readLog(_ log: LogName, into result: inout Result) -> ReadLog? {
        let name = "\(log.rawValue) log"
        func finding(_ kind: AuditFinding.Kind, _ detail: String, _ evidence: [String] = []) -> ReadLog? {
            result.findings.append(AuditFinding(kind: kind, subject: name, detail: detail, evidence: evidence))
            return nil
        }
        let served: NoteVerifierKey
        do { served = try source.logKey(log) } catch { return finding(.unreachable, "\(error)") }
        let key = pins.keys[log] ?? served
        if served != key {
            return finding(.logKeyChanged, "the relay serves key \(served.encoded), the pinned key is \(key.encoded)",
                           [key.encoded, served.encoded])
        }
        var pin: LogPin
        do {
            if let saved = pins.checkpoints[log] {
                pin = try LogPin(origin: key.name, logKey: key, pinnedNote: saved)
            } else {
                pin = LogPin(origin: key.name, logKey: key)
            }
        } catch {
            return finding(.checkpointInvalid, "the pinned checkpoint does not open with the pinned key: \(error)")
        }
        let note: [UInt8]?
        do { note = try source.logCheckpoint(log) } catch { return finding(.unreachable, "\(error)") }
        guard let note else {
            if let old = pin.pinned, old.checkpoint.size > 0 {
                return finding(.rollback, "the relay has no checkpoint; \(old.checkpoint.size) entries are pinned", [Self.text(old.note)])
            }
            result.sizes[log] = 0
            result.pins.keys[log] = key
            return ReadLog(key: key, checkpoint: nil, entries: [])
        }
        let offered: SignedCheckpoint
        do { offered = try pin.open(note) } catch { return finding(.checkpointInvalid, "\(error)", [Self.text(note)]) }
        var proof: [Merkle.Hash] = []
        if let old = pin.pinned, old.checkpoint.size > 0, offered.checkpoint.size > old.checkpoint.size {
            do { proof = try source.consistencyProof(log, old: old.checkpoint.size, new: offered.checkpoint.size) } catch {
                return finding(.unreachable, "consistency proof: \(error)")
            }
        }
        do { try pin.update(to: note, consistencyProof: proof) } catch {
            switch error {
            case let .rollback(p, o):
                return finding(.rollback, "the relay offers a smaller tree than the one pinned", [Self.text(p), Self.text(o)])
            case let .fork(p, o, why):
                return finding(.fork, "the checkpoint does not extend the pinned one" + (why.map { " (\($0))" } ?? " (same size, different root)"),
                               [Self.text(p), Self.text(o)])
            default:
                return finding(.checkpointInvalid, "\(error)", [Self.text(note)])
            }
        }
        let entries: [[UInt8]]
        do { entries = try source.entries(log, size: offered.checkpoint.size) } catch { return finding(.unreachable, "entries: \(error)") }
        do { try pin.verifyEntries(entries) } catch {
            return finding(.entriesMismatch, "\(error)", [Self.text(note)])
        }
        result.sizes[log] = offered.checkpoint.size
        result.pins.keys[log] = key
        result.pins.checkpoints[log] = pin.pinned?.note
        return ReadLog(key: key, checkpoint: offered, entries: entries)
    }

    func checkEnvelopes(_ listing: [RelayClient.Listing], log: ReadLog, directory: DirectoryState, into result: inout Result) {
        for item in listing {
            let id = (try? Manifest.parseOuterComment(item.trustedComment))?.manifest.id
            func finding(_ kind: AuditFinding.Kind, _ detail: String, _ evidence: [String] = []) {
                result.findings.append(AuditFinding(kind: kind, subject: "envelope \(id ?? "?") at log index \(item.index)",
                                                    detail: detail, evidence: evidence))
            }
            guard let id else { finding(.listingMismatch, "the listing is not a manifest", [item.trustedComment]); continue }
            let signatureFile: [UInt8]
            let signature: MinisignSignature
            do {
                signatureFile = try source.envelopeSignature(id: id)
                signature = try MinisignSignature(parsing: signatureFile)
            } catch { finding(.unreachable, "signature: \(error)"); continue }
            let leaf = SHA256.hash(signatureFile)
            guard item.index < UInt64(log.entries.count), log.entries[Int(item.index)] == leaf else {
                let held = item.index < UInt64(log.entries.count) ? [hexString(log.entries[Int(item.index)])] : []
                finding(.envelopeNotInLog, "the SHA-256 of its signature file is not the submissions log's entry \(item.index)",
                        [hexString(leaf)] + held)
                continue
            }
            guard signature.trustedComment == item.trustedComment else {
                finding(.listingMismatch, "the listing differs from the signed trusted comment", [item.trustedComment, signature.trustedComment])
                continue
            }
            do {
                _ = try source.verifyEnvelope(id: id, signature: signature, directory: directory)
                result.envelopesVerified += 1
            } catch let e as EnvelopeError {
                finding(.outerSignatureInvalid, "\(e)", [String(decoding: signatureFile, as: UTF8.self)])
            } catch {
                finding(.unreachable, "sealed file: \(error)")
            }
        }
    }

    /// Each held receipt (of either log, by its checkpoint's origin) must verify with that log's
    /// key, and its tree must be a prefix of the log as read now: computed from the entries, so
    /// no proof from the relay is needed.
    func checkReceipts(logs: [ReadLog], skipping unread: Set<String>, listing: [RelayClient.Listing], into result: inout Result) {
        for r in receipts {
            func finding(_ kind: AuditFinding.Kind, _ detail: String, _ evidence: [String] = []) {
                result.findings.append(AuditFinding(kind: kind, subject: "receipt \(r.name)", detail: detail, evidence: evidence))
            }
            let proof: TlogProof
            do { proof = try TlogProof(parsing: r.proof) } catch { finding(.receiptInvalid, "\(error)"); continue }
            let origin = String(decoding: proof.checkpointNote.prefix { $0 != 0x0A }, as: UTF8.self)
            if unread.contains(origin) { continue }
            guard let log = logs.first(where: { $0.key.name == origin }) else {
                finding(.receiptInvalid, "it is for the log \"\(origin.prefix(100))\", not one of this relay's that was read")
                continue
            }
            let size = UInt64(log.entries.count)
            let current = log.checkpoint.map { [Self.text($0.note)] } ?? []
            let leaf: [UInt8]
            if let sig = r.signatureFile {
                leaf = SHA256.hash(sig)
            } else if proof.index < size {
                leaf = log.entries[Int(proof.index)]
            } else {
                finding(.rollback, "the receipt is for index \(proof.index); the log now has \(size) entries",
                        [Self.text(proof.checkpointNote)] + current)
                continue
            }
            let signed: SignedCheckpoint
            do { signed = try proof.verify(entry: leaf, origin: log.key.name, logKey: log.key) } catch {
                finding(.receiptInvalid, "\(error)", [Self.text(proof.checkpointNote)])
                continue
            }
            let cp = signed.checkpoint
            guard cp.size <= size else {
                finding(.rollback, "the receipt's tree has \(cp.size) entries; the log now has \(size)", [Self.text(proof.checkpointNote)] + current)
                continue
            }
            let prefix = Merkle.root(ofLeafHashes: log.entries[0..<Int(cp.size)].map { Merkle.leafHash($0) }[...])
            guard prefix == cp.rootHash, log.entries[Int(proof.index)] == leaf else {
                finding(.fork, "the log's first \(cp.size) entries are not the receipt's tree", [Self.text(proof.checkpointNote)] + current)
                continue
            }
            // A receipted envelope the caller may read must be listed and served to it.
            if let sig = r.signatureFile, log.key.name.hasSuffix("/submissions"),
               let m = (try? MinisignSignature(parsing: sig)).flatMap({ try? Envelope.inspect(signature: $0).manifest }),
               m.level == .public || source.party.map({ $0 == m.from || m.to.contains($0) }) == true {
                let listed = listing.contains { $0.index == proof.index }
                let served = try? source.envelopeSignature(id: m.id)
                guard listed, served == sig else {
                    finding(.withheld, "envelope \(m.id) (log index \(proof.index)) is in the log but the relay "
                            + (served == nil ? "does not serve it" : served != sig ? "serves another signature file for it" : "does not list it")
                            + " to \(source.party?.rawValue ?? "the public")", [String(decoding: sig, as: UTF8.self)])
                    continue
                }
            }
            result.receiptsChecked += 1
        }
    }

    static func text(_ note: [UInt8]) -> String { String(decoding: note, as: UTF8.self) }
}

extension RelayClient: AuditSource {
    /// Fetches the sealed file to a private temporary file and verifies it there.
    public func verifyEnvelope(id: String, signature: MinisignSignature, directory: KeyDirectory) throws -> Envelope.Verified {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("att-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(id).path
        let sink = try AtomicFileSink(path: path, mode: 0o600)
        do {
            _ = try fetch(id: id, sealed: sink)
            try sink.commit()
        } catch {
            sink.abort()
            throw error
        }
        return try Envelope.verify(sealed: try FileSource(path: path), signature: signature, directory: directory)
    }
}
