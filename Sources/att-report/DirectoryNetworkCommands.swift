import Crypto
import Foundation
import Relay
import Vault

/// `att-report directory pull | submit`: the local directory and a relay's directory log
/// (docs/FORMATS.md §5.4 pinning, §7.1). Neither request is signed.
enum DirectoryPinFile {
    static let name = "pin.txt"

    /// `<directory>/pin.txt`: the directory log's verifier key (one line), then the last
    /// accepted signed checkpoint note, byte for byte.
    static func path(_ directory: LocalDirectory) -> String { directory.url.appendingPathComponent(name).path }

    static func read(_ directory: LocalDirectory) throws -> (key: NoteVerifierKey, note: [UInt8])? {
        let path = path(directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try readSmallFile(path, limit: 4096 + SignedNote.maxSize)
        guard let lf = bytes.firstIndex(of: 0x0A),
              let key = try? NoteVerifierKey(parsing: String(decoding: bytes[..<lf], as: UTF8.self)) else {
            throw Failure("\(path) is not a directory pin (a verifier key line, then a signed checkpoint)")
        }
        return (key, Array(bytes[(lf + 1)...]))
    }

    static func write(_ directory: LocalDirectory, key: NoteVerifierKey, note: [UInt8]) throws {
        try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true)
        try AtomicFileSink.write(Array((key.encoded + "\n").utf8) + note, to: path(directory))
    }
}

struct DirectoryPull: Command {
    static let name = "pull"
    static let summary = "fetch a relay's directory log into the local directory, pinned to its checkpoint"
    static let usage = "--relay URL [--directory DIR]"
    static let options: [Option] = [NetworkOptions.relay, DirectoryOptions.directory, KeystoreOptions.home]

    /// Refuses with both signed checkpoints on standard output, then one error line.
    static func refuse(_ what: String, pinned: [UInt8], offered: [UInt8]?) -> Failure {
        var text = "--- pinned checkpoint\n" + String(decoding: pinned, as: UTF8.self)
        text += "--- offered checkpoint\n" + (offered.map { String(decoding: $0, as: UTF8.self) } ?? "(none: the relay's directory log is empty)\n")
        FileHandle.standardOutput.write(Data(text.utf8))
        return Failure(what)
    }

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        guard let url = args.value("--relay") else { throw UsageError("--relay URL is required") }
        let local = DirectoryOptions.local(args)
        let client: RelayClient
        do { client = try RelayClient(url: url, party: nil, key: nil) } catch { throw Failure("--relay: \(error.description)") }
        func fail(_ e: Error) -> Failure { Failure("pulling the directory from \(url) failed: \(e)") }

        let saved = try DirectoryPinFile.read(local)
        let key: NoteVerifierKey, served: [UInt8]?
        do {
            key = try client.directoryKey()
            served = try client.directoryCheckpoint()
        } catch { throw fail(error) }
        if let saved {
            guard key == saved.key else {
                throw refuse("directory fork: the relay's directory key \(key.encoded) is not the pinned \(saved.key.encoded)",
                             pinned: saved.note, offered: served)
            }
        }
        let logKey = saved?.key ?? key
        var pin: LogPin
        do {
            if let saved {
                pin = try LogPin(origin: logKey.name, logKey: logKey, pinnedNote: saved.note)
            } else {
                pin = LogPin(origin: logKey.name, logKey: logKey)
            }
        } catch { throw Failure("the pin in \(DirectoryPinFile.path(local)) does not open: \(error)") }

        guard let note = served else {
            if let old = pin.pinned, old.checkpoint.size > 0 {
                throw refuse("directory rollback: the relay's directory log is empty, the pinned one has \(old.checkpoint.size) entries",
                             pinned: old.note, offered: nil)
            }
            FileHandle.standardOutput.write(Data("The relay's directory log is empty; nothing pinned or fetched.\n".utf8))
            return
        }

        // The consistency proof from the pinned size, when the offered tree is larger.
        var proof: [Merkle.Hash] = []
        let offered: SignedCheckpoint
        do { offered = try pin.open(note) } catch { throw Failure("\(error)") }
        if let old = pin.pinned, old.checkpoint.size > 0, offered.checkpoint.size > old.checkpoint.size {
            do { proof = try client.directoryConsistencyProof(old: old.checkpoint.size, new: offered.checkpoint.size) } catch { throw fail(error) }
        }
        let update: LogPinUpdate
        do {
            update = try pin.update(to: note, consistencyProof: proof)
        } catch let e {
            switch e {
            case let .rollback(p, o):
                throw refuse("directory rollback: the relay offers a smaller tree than the one pinned", pinned: p, offered: o)
            case let .fork(p, o, why):
                throw refuse("directory fork: the relay's checkpoint does not extend the pinned one"
                             + (why.map { " (\($0))" } ?? " (same size, different root)"), pinned: p, offered: o)
            default:
                throw Failure("\(e)")
            }
        }
        let size = pin.pinned!.checkpoint.size

        // The entries: the local ones, then the missing ones from the relay; all together
        // must be exactly the pinned tree, and the new ones must all be accepted by replay.
        let held = try local.entries()
        guard UInt64(held.count) <= size else {
            throw Failure("the local directory has \(held.count) entries, more than the relay's \(size): it is not this relay's directory")
        }
        var fetched: [[UInt8]] = []
        while UInt64(held.count + fetched.count) < size {
            let from = UInt64(held.count + fetched.count)
            let page: [[UInt8]]
            do { page = try client.statements(from: from, limit: Int(min(1000, size - from))) } catch { throw fail(error) }
            guard !page.isEmpty else { throw Failure("the relay sent no directory statements from index \(from) of \(size)") }
            fetched += page
        }
        let all = held + fetched
        do { try pin.verifyEntries(all) } catch {
            throw Failure("\(error): the local directory and the relay's log differ")
        }
        let state = DirectoryState(replaying: all)
        for (i, outcome) in state.outcomes.enumerated() where i >= held.count {
            if let r = outcome.rejection { throw Failure("directory log entry \(i) is refused by replay: \(r)") }
        }
        for entry in fetched {
            let outcome = try local.append(entry)
            guard outcome.isAccepted else { throw Failure("statement refused: \(outcome.description)") }
        }
        try DirectoryPinFile.write(local, key: logKey, note: pin.pinned!.note)

        let what: String
        switch update {
        case .pinnedFirst: what = "pinned (first use: compare key id \(logKey.keyIDHex) out of band)"
        case .unchanged: what = "unchanged"
        case let .advanced(from, to): what = "advanced from \(from) to \(to) (consistency proof checked)"
        }
        let text = "Directory checkpoint of \(logKey.name) at size \(size) \(what); "
            + "fetched \(fetched.count) new statement(s); \(all.count) in \(local.url.path)\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct DirectorySubmit: Command {
    static let name = "submit"
    static let summary = "send a signed statement to a relay's directory log (receipt saved as FILE.tlog-proof)"
    static let usage = "--relay URL FILE"
    static let options: [Option] = [NetworkOptions.relay, KeystoreOptions.home]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the statement FILE") }
        guard let url = args.value("--relay") else { throw UsageError("--relay URL is required") }
        let entry = try readSmallFile(file, limit: Statement.maxSize)
        do { _ = try SignedStatement(parsing: entry) } catch { throw Failure("\(file) is not a signed statement: \(error)") }
        let client: RelayClient
        do { client = try RelayClient(url: url, party: nil, key: nil) } catch { throw Failure("--relay: \(error.description)") }
        let receipt: [UInt8], key: NoteVerifierKey
        do {
            key = try client.directoryKey()
            receipt = try client.submitStatement(entry)
        } catch { throw Failure("the relay refused the statement or failed: \(error)") }
        let proof: TlogProof, checkpoint: SignedCheckpoint
        do {
            proof = try TlogProof(parsing: receipt)
            checkpoint = try proof.verify(leafHash: Merkle.leafHash(entry), origin: key.name, logKey: key)
        } catch { throw Failure("the relay's receipt for \(file) does not verify: \(error)") }
        let proofPath = file + ".tlog-proof"
        try AtomicFileSink.write(receipt, to: proofPath)
        let text = "Submitted \(file): directory log index \(proof.index) of \(checkpoint.checkpoint.size), "
            + "receipt verified and saved to \(proofPath)\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
