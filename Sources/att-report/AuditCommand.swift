import Crypto
import Foundation
import Relay
import Vault

/// `att-report audit`: checks a relay with no secret key (docs/FORMATS.md §7.7). The pins
/// (each log's verifier key and last accepted checkpoint) live in the state folder, so each
/// audit checks that the logs only grew since the last one.
struct AuditCommand: Command {
    static let name = "audit"
    static let summary = "check a relay's logs, envelopes and your receipts (no secret key needed)"
    static let usage = "--relay URL [--state DIR] [--receipts DIR]... [--submissions-key VKEY] [--directory-key VKEY] [--party CODE] [--json]"
    static let options: [Option] = [
        NetworkOptions.relay,
        Option(["--state"], value: "DIR", help: "where the pins are kept (default $ATT_REPORT_HOME/relays/<host>_<port>, shared with submit)"),
        Option(["--receipts"], value: "DIR", repeatable: true, help: "check every *.tlog-proof under DIR (with its .minisig when next to it); repeatable"),
        Option(["--submissions-key"], value: "VKEY", help: "the submissions log's verifier key, obtained out of band (else pinned on first use)"),
        Option(["--directory-key"], value: "VKEY", help: "the directory log's verifier key, obtained out of band (else pinned on first use)"),
        Option(["--party"], value: "CODE", help: "sign requests as this party, to re-verify the restricted envelopes it may read"),
        NetworkOptions.label, NetworkOptions.json, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        guard let url = args.value("--relay") else { throw UsageError("--relay URL is required") }
        let client: RelayClient
        if args.value("--party") != nil {
            client = try NetworkOptions.client(args)
        } else {
            do { client = try RelayClient(url: url, party: nil, key: nil) } catch { throw Failure("--relay: \(error.description)") }
        }
        let relayName: String
        do { relayName = try client.relayName() } catch { throw Failure("\(url): \(error)") }

        let stateDir = args.value("--state").map { URL(fileURLWithPath: $0) }
            ?? RelayPins.folder(home: KeystoreOptions.keystore(args).home, url: client.baseURL)
        var pins = try AuditState.load(stateDir)
        for (log, flag) in [(LogName.submissions, "--submissions-key"), (.directory, "--directory-key")] {
            guard let text = args.value(flag) else { continue }
            let key: NoteVerifierKey
            do { key = try NoteVerifierKey(parsing: text) } catch { throw UsageError("\(flag): \(error)") }
            guard key.name == "\(relayName)/\(log.rawValue)" else { throw Failure("\(flag): the key is for \(key.name), not \(relayName)/\(log.rawValue)") }
            if let pinned = pins.keys[log], pinned != key {
                throw Failure("\(flag) is not the key pinned in \(stateDir.path) (\(pinned.encoded)); remove the pin only if you trust the new key")
            }
            pins.keys[log] = key
        }
        let receipts = try args.all("--receipts").flatMap(AuditState.receipts(under:))

        let result = Audit(source: client, pins: pins, receipts: receipts).run()
        try AuditState.save(result.pins, to: stateDir)

        if args.has("--json") {
            try NetworkOptions.printJSON([
                "relay": url, "relayName": relayName, "verdict": result.clean ? "ok" : "violation",
                "logs": Dictionary(uniqueKeysWithValues: LogName.allCases.map { log in
                    (log.rawValue, ["size": result.sizes[log].map { Int($0) } as Any,
                                    "key": result.pins.keys[log]?.encoded as Any,
                                    "checkpoint": result.pins.checkpoints[log].map { String(decoding: $0, as: UTF8.self) } as Any])
                }),
                "statementsReplayed": result.statementsReplayed, "envelopesVerified": result.envelopesVerified,
                "receiptsChecked": result.receiptsChecked, "state": stateDir.path,
                "findings": result.findings.map { ["kind": $0.kind.rawValue, "subject": $0.subject, "detail": $0.detail, "evidence": $0.evidence] },
            ])
        } else {
            var text = "Audit of \(url) (relay \(relayName))\n"
            for log in LogName.allCases {
                let size = result.sizes[log].map { "\($0) entries" } ?? "not verified"
                let was = pins.checkpoints[log].flatMap { try? SignedNote(parsing: $0) }.flatMap { try? Checkpoint(parsing: $0.unverifiedText) }
                let pinned = was.map { "consistent with the checkpoint pinned before (size \($0.size))" }
                    ?? "pinned now (first use: compare key id \(result.pins.keys[log]?.keyIDHex ?? "-") out of band)"
                text += "  \(log.rawValue) log: \(size)" + (result.sizes[log] != nil ? ", \(pinned)" : "") + "\n"
            }
            text += "  \(result.statementsReplayed) directory statements replayed, \(result.envelopesVerified) envelopes re-verified, "
                + "\(result.receiptsChecked) of \(receipts.count) receipts checked\n"
            if result.clean {
                text += "Verdict: OK, no violation found\n"
            } else {
                text += "Verdict: VIOLATION, \(result.findings.count) finding\(result.findings.count == 1 ? "" : "s")\n"
                for f in result.findings {
                    text += "- \(f)\n"
                    for e in f.evidence {
                        text += e.split(separator: "\n", omittingEmptySubsequences: false).map { "    | " + $0 }.joined(separator: "\n") + "\n"
                    }
                }
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if !result.clean { throw Failure.alreadyReported }
    }
}

/// The audit's state folder: `<log>.vkey` (one line) and `<log>.checkpoint` (the signed note)
/// per log, each written atomically.
enum AuditState {
    static func load(_ dir: URL) throws -> AuditPins {
        var pins = AuditPins()
        for log in LogName.allCases {
            let keyPath = dir.appendingPathComponent("\(log.rawValue).vkey").path
            if let data = FileManager.default.contents(atPath: keyPath) {
                let line = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
                do { pins.keys[log] = try NoteVerifierKey(parsing: line) } catch { throw Failure("\(keyPath): \(error)") }
            }
            let cpPath = dir.appendingPathComponent("\(log.rawValue).checkpoint").path
            if let data = FileManager.default.contents(atPath: cpPath) {
                guard pins.keys[log] != nil else { throw Failure("\(cpPath) is there without \(log.rawValue).vkey") }
                pins.checkpoints[log] = [UInt8](data)
            }
        }
        return pins
    }

    static func save(_ pins: AuditPins, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for log in LogName.allCases {
            if let key = pins.keys[log] {
                try AtomicFileSink.write(Array((key.encoded + "\n").utf8), to: dir.appendingPathComponent("\(log.rawValue).vkey").path)
            }
            if let note = pins.checkpoints[log] {
                try AtomicFileSink.write(note, to: dir.appendingPathComponent("\(log.rawValue).checkpoint").path)
            }
        }
    }

    /// Every `*.tlog-proof` under `root` (recursively), with `X.minisig` when `X.tlog-proof` has one.
    static func receipts(under root: String) throws -> [HeldReceipt] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw Failure("--receipts \(root): not a folder")
        }
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [HeldReceipt] = []
        for case let rel as String in walker where rel.hasSuffix(".tlog-proof") {
            let path = root + "/" + rel
            guard let proof = FileManager.default.contents(atPath: path), proof.count <= TlogProof.maxSize else {
                throw Failure("\(path): unreadable or larger than \(TlogProof.maxSize) bytes")
            }
            let sigPath = String(path.dropLast(".tlog-proof".count)) + ".minisig"
            let sig = FileManager.default.contents(atPath: sigPath).map { [UInt8]($0) }
            out.append(HeldReceipt(name: path, proof: [UInt8](proof), signatureFile: sig))
        }
        return out.sorted { $0.name < $1.name }
    }
}
