import Crypto
import Foundation
import Relay
import Vault

/// Sealing, submitting and opening envelopes whose payload att-report builds itself
/// (messages, assistance): the same Vault calls as `seal`, `submit` and `open`.
enum EnvelopeFlow {
    /// The signing key of the caller and a relay client signing with it (one passphrase prompt).
    /// `pinNote` says that the relay's submissions key was pinned now: print it once the
    /// command succeeded, so that a failure stays one line.
    static func signerAndClient(_ args: ParsedArguments) throws -> (party: PartyCode, signer: StatementSigner, client: RelayClient, pinNote: String?) {
        guard let url = args.value("--relay") else { throw UsageError("--relay URL is required") }
        guard HTTPClient.isHTTPURL(url) else { throw Failure("--relay: \"\(url)\" is not an http:// or https:// URL") }
        let party = try KeystoreOptions.partyOrOnly(args)
        let signer = try DirectoryOptions.signer(args, party: party)
        let client: RelayClient
        do { client = try RelayClient(url: url, party: party, key: signer.key) } catch { throw Failure("--relay: \(error.description)") }
        // The submissions log's key is pinned per relay, as `submit` pins it, before anything is sealed.
        let logKey: NoteVerifierKey
        do { logKey = try client.submissionsKey() } catch { throw Failure("\(client.baseURL): \(error)") }
        let firstUse = try RelayPins.check(logKey, log: .submissions, folder: RelayPins.folder(home: KeystoreOptions.keystore(args).home, url: client.baseURL))
        return (party, signer, client,
                firstUse ? "Relay submissions key \(logKey.encoded) pinned on first use (key id \(logKey.keyIDHex): compare it out of band)" : nil)
    }

    /// Seals `payload` (`size` bytes) to `sealedPath` and `sealedPath.minisig`, saying on
    /// standard error who can read it. Neither file appears unless both are written. The
    /// year is the sealing time's unless given (an amendment keeps the amended one's).
    static func seal(payload: ByteSource, size: UInt64, fileName: String, party: PartyCode, signer: StatementSigner,
                     type: ReportType, level: DisclosureLevel, selected: [PartyCode] = [], includeSecretariat: Bool = false,
                     supersedes: String? = nil, year: Int? = nil, time: UTCTime, directory: DirectoryState, sealedPath: String) throws -> Envelope.Sealed {
        let recipients = try Disclosure.resolve(directory: directory, sender: party, level: level, selected: selected,
                                                includeSecretariat: includeSecretariat, at: time)
        let sealed = try sealToFiles(report: payload, size: size, fileName: fileName, party: party, signingKey: signer.key,
                                     type: type, year: year ?? CivilDate(time).year, level: level, recipients: recipients,
                                     supersedes: supersedes, time: time, directory: directory, sealedPath: sealedPath)
        CLI.note("Sealed \(type.rawValue) \(sealed.manifest.id) at \(level.rawValue)"
                 + (recipients.isEmpty ? ": signed, not encrypted; anyone can read it" : ", readable by " + sealed.manifest.to.map(\.rawValue).joined(separator: ",")))
        return sealed
    }

    /// `Envelope.seal` to `sealedPath` and `sealedPath.minisig` (neither may exist): both are
    /// written to temporary files and renamed into place only when both are complete.
    static func sealToFiles(report: ByteSource, size: UInt64, fileName: String, party: PartyCode, signingKey: MinisignSecretKey,
                            type: ReportType, year: Int, level: DisclosureLevel, recipients: [ResolvedRecipient],
                            supersedes: String?, time: UTCTime, directory: DirectoryState, sealedPath: String) throws -> Envelope.Sealed {
        let sealedFile = try AtomicFileSink(path: sealedPath, overwrite: false)
        let signatureFile = try AtomicFileSink(path: sealedPath + ".minisig", overwrite: false)
        let sealed: Envelope.Sealed
        do {
            sealed = try Envelope.seal(report: report, reportSize: size, fileName: fileName, sender: party, signingKey: signingKey,
                                       type: type, year: year, level: level, recipients: recipients,
                                       supersedes: supersedes, time: time, directory: directory, to: sealedFile)
            try signatureFile.write(sealed.outerSignature.encodeFile())
        } catch { sealedFile.abort(); signatureFile.abort(); throw error }
        try sealedFile.commit()
        do { try signatureFile.commit() } catch { unlink(sealedPath); throw error }
        return sealed
    }

    /// A receipt from the relay, checked against its submissions key for the envelope whose
    /// outer signature file is `signature`, and saved as `SEALED.tlog-proof`.
    static func keepReceipt(_ receipt: [UInt8], signature: [UInt8], logKey: NoteVerifierKey, id: String,
                            sealedPath: String) throws -> (proofPath: String, proof: TlogProof, checkpoint: SignedCheckpoint) {
        let proof: TlogProof, checkpoint: SignedCheckpoint
        do {
            proof = try TlogProof(parsing: receipt)
            checkpoint = try proof.verify(leafHash: Merkle.leafHash(SHA256.hash(signature)), origin: logKey.name, logKey: logKey)
        } catch { throw Failure("the relay's receipt for \(id) does not verify: \(error)") }
        let proofPath = sealedPath + ".tlog-proof"
        try AtomicFileSink.write(receipt, to: proofPath)
        return (proofPath, proof, checkpoint)
    }

    /// Uploads an envelope and checks the receipt against the relay's submissions key
    /// (pinned by `signerAndClient`); the receipt goes to `SEALED.tlog-proof`.
    static func submit(_ client: RelayClient, sealedPath: String, id: String) throws -> (proofPath: String, index: UInt64, size: UInt64) {
        let signature = try readSmallFile(sealedPath + ".minisig", limit: RelayClient.maxSignatureSize)
        let receipt: [UInt8], logKey: NoteVerifierKey
        do {
            logKey = try client.submissionsKey()
            receipt = try client.submit(sealedPath: sealedPath, signature: signature)
        } catch let e as HTTPClientError {
            throw Failure("\(id) is sealed in \(sealedPath) but its upload was refused or failed: \(e.description) (retry with att-report submit)")
        }
        let kept = try keepReceipt(receipt, signature: signature, logKey: logKey, id: id, sealedPath: sealedPath)
        return (kept.proofPath, kept.proof.index, kept.checkpoint.checkpoint.size)
    }

    /// Every identity of `party` in the keystore, for opening.
    static func identities(_ args: ParsedArguments, party: PartyCode) throws -> [ReaderIdentity] {
        let store = KeystoreOptions.keystore(args)
        var identities: [ReaderIdentity] = []
        for label in store.labels(party: party) {
            let id = try store.identity(party: party, label: label) { try Passphrase.read(args, prompt: "Passphrase for \(party)/\(label): ") }
            let (pub, _) = try store.publicKey(party: party, label: label)
            identities.append(ReaderIdentity(party: party, keyID: pub.keyIDString, identity: id))
        }
        return identities
    }

    /// A comma-separated list of party codes.
    static func parties(_ text: String?, flag: String) throws -> [PartyCode] {
        guard let text else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { code -> PartyCode in
            guard let c = try? PartyCode(String(code)) else { throw UsageError("\(flag): \"\(code)\" is not a party code") }
            return c
        }
    }
}

/// `prefix`, then everything `rest` reads.
final class PrefixedSource: ByteSource {
    private let prefix: [UInt8]
    private var offset = 0
    private let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) { self.prefix = prefix; self.rest = rest }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < prefix.count {
            let n = min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// An opened report in memory, refused past `limit` bytes.
final class MemoryOutput: ReportOutput {
    private(set) var bytes: [UInt8] = []
    let limit: Int
    private(set) var committed = false
    init(limit: Int) { self.limit = limit }
    func write(_ b: UnsafeRawBufferPointer) throws {
        guard bytes.count + b.count <= limit else { throw Failure("the envelope's content is larger than \(limit) bytes") }
        bytes += b
    }
    func commit() throws { committed = true }
    func abort() { bytes = []; committed = false }
}

/// The opened payload of a message: its header is parsed as it arrives, then the
/// attachment streams to a temporary file in `directory`, renamed to its real name only
/// when `Envelope.open` commits (every check passed).
final class MessageOutput: ReportOutput {
    let directory: String
    private var pending: [UInt8] = []
    private(set) var header: MessageHeader?
    private(set) var file: AtomicFileSink?
    private(set) var attachmentSize: UInt64 = 0

    init(directory: String) { self.directory = directory }

    var path: String? { file?.path }

    func write(_ b: UnsafeRawBufferPointer) throws {
        if let file {
            try file.write(b)
            attachmentSize += UInt64(b.count)
            return
        }
        pending += b
        guard let n = try PayloadHeader.length(in: pending) else { return }
        let h = try MessageHeader(parsing: pending[..<n])
        // The name is one path component (MessageHeader refuses '/', '..' and the like).
        let f = try AtomicFileSink(path: (directory as NSString).appendingPathComponent(h.fileName), overwrite: false)
        header = h
        file = f
        let rest = Array(pending[n...])
        pending = []
        try f.write(rest)
        attachmentSize = UInt64(rest.count)
    }

    func commit() throws {
        guard let file else { throw PayloadError.noHeaderEnd(limit: PayloadHeader.maxSize) }
        try file.commit()
    }

    func abort() { file?.abort(); pending = [] }
}

struct Send: Command {
    static let name = "send"
    static let summary = "send a secure message: subject and file sealed to the named parties, submitted to a relay"
    static let usage = "--relay URL [--party CODE] --to CODES --subject TEXT [--include-secretariat] [--name NAME] [-o SEALED] [--json] FILE"
    static let options: [Option] = [
        NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label,
        Option(["--to"], value: "CODES", help: "the recipient parties, comma-separated (e.g. DEU,NGA)"),
        Option(["--subject"], value: "TEXT", help: "the subject (sealed: the relay never sees it)"),
        Option(["--include-secretariat"], help: "give the Secretariat a key too"),
        Option(["--name"], value: "NAME", help: "the attachment's name for the readers (default: FILE's base name; sealed)"),
        Option(["-o", "--output"], value: "SEALED", help: "the sealed message (default FILE.message.att); receipt in SEALED.tlog-proof"),
        NetworkOptions.json, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the FILE to send") }
        let to = try EnvelopeFlow.parties(args.value("--to"), flag: "--to")
        guard !to.isEmpty else { throw UsageError("--to CODES is required") }
        guard let subject = args.value("--subject") else { throw UsageError("--subject TEXT is required") }
        let header: MessageHeader
        do {
            header = try MessageHeader(subject: subject, fileName: args.value("--name") ?? (file as NSString).lastPathComponent)
        } catch { throw UsageError("\(error) (choose the name with --name)") }
        let source = try FileSource(path: file)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? UInt64 else {
            throw Failure("cannot read the size of \(file)")
        }
        let sealedPath = args.value("-o") ?? file + ".message.att"
        let directory = try DirectoryOptions.local(args).state()
        let (party, signer, client, pinNote) = try EnvelopeFlow.signerAndClient(args)
        let prefix = header.encoded
        let sealed = try EnvelopeFlow.seal(payload: PrefixedSource(prefix: prefix, rest: source), size: UInt64(prefix.count) + size,
                                           fileName: MessageHeader.manifestFileName, party: party, signer: signer, type: .message,
                                           level: .selected, selected: to, includeSecretariat: args.has("--include-secretariat"),
                                           time: DirectoryOptions.now(), directory: directory, sealedPath: sealedPath)
        let id = sealed.manifest.id
        let receipt = try EnvelopeFlow.submit(client, sealedPath: sealedPath, id: id)
        if let pinNote { CLI.note(pinNote) }
        if args.has("--json") {
            try NetworkOptions.printJSON(["id": id, "sealed": sealedPath, "receipt": receipt.proofPath, "index": receipt.index,
                                          "to": sealed.manifest.to.map(\.rawValue)] as [String: Any])
        } else {
            let text = "Sent message \(id) to \(sealed.manifest.to.map(\.rawValue).joined(separator: ",")): log index \(receipt.index) of \(receipt.size), "
                + "receipt verified and saved to \(receipt.proofPath)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

struct MessageRead: Command {
    static let name = "read"
    static let summary = "open a message envelope: print its subject, write its attachment under its (checked) name"
    static let usage = "[--party CODE] [-o DIR] [-x SIG] [--json] SEALED"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the reading party, all its keys tried; default: the keystore's only party"),
        Option(["-o", "--output"], value: "DIR", help: "the folder for the attachment (default: here); an existing file is never replaced"),
        EnvelopeOptions.signature, NetworkOptions.json, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let sealedPath = try args.positionals(max: 1).first else { throw UsageError("name the SEALED file") }
        let party = try KeystoreOptions.partyOrOnly(args)
        let signature = try EnvelopeOptions.signature(args, sealed: sealedPath)
        let directory = try DirectoryOptions.local(args).state()
        let folder = args.value("-o") ?? "."
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure("-o: \(folder) is not a folder")
        }
        let output = MessageOutput(directory: folder)
        let opened = try Envelope.open(sealed: try FileSource(path: sealedPath), signature: signature, directory: directory,
                                       identities: try EnvelopeFlow.identities(args, party: party), output: { manifest in
            guard manifest.type == .message else {
                throw Failure("envelope \(manifest.id) is of type \(manifest.type.rawValue), not a message (att-report open reads it)")
            }
            return output
        })
        guard let header = output.header, let path = output.path else { throw PayloadError.noHeaderEnd(limit: PayloadHeader.maxSize) }
        let m = opened.manifest
        if args.has("--json") {
            try NetworkOptions.printJSON(["id": m.id, "from": m.from.rawValue, "to": m.to.map(\.rawValue), "time": m.time.description,
                                          "subject": header.subject, "file": header.fileName, "path": path,
                                          "size": output.attachmentSize] as [String: Any])
        } else {
            let text = "Message \(m.id) from \(m.from) (key \(m.keyID), outer and inner signatures verified), sent \(m.time)\n"
                + "  to:      \(m.to.map(\.rawValue).joined(separator: ","))\n"
                + "  subject: \(header.subject)\n"
                + "Attachment \(header.fileName) written to \(path) (\(output.attachmentSize) bytes)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
