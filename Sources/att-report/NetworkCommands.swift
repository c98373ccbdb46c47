import Crypto
import Foundation
import Relay
import Vault

/// `att-report submit | fetch | inbox`: talking to a relay (docs/FORMATS.md §7). Every
/// request to an envelope route is signed with the party's directory key.
enum NetworkOptions {
    static let relay = Option(["--relay"], value: "URL", help: "the relay's base URL, e.g. https://relay.example")
    static let party = Option(["--party"], value: "CODE", help: "who signs the requests; default: the keystore's only party")
    static let label = Option(["--label"], value: "LABEL", help: "which of its keys signs (default: its only key)")
    static let json = Option(["--json"], help: "print the result as JSON")

    /// A client signing as the chosen party.
    static func client(_ args: ParsedArguments) throws -> RelayClient {
        guard let url = args.value("--relay") else { throw UsageError("--relay URL is required") }
        guard HTTPClient.isHTTPURL(url) else { throw Failure("--relay: \"\(url)\" is not an http:// or https:// URL") }
        let party = try KeystoreOptions.partyOrOnly(args)
        let signer = try DirectoryOptions.signer(args, party: party)
        do {
            return try RelayClient(url: url, party: party, key: signer.key)
        } catch { throw Failure("--relay: \(error.description)") }
    }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// The fields of a trusted comment (`name=value` words), for JSON.
    static func fields(_ comment: String) -> [String: String] {
        var out: [String: String] = [:]
        for word in comment.split(separator: " ") {
            guard let eq = word.firstIndex(of: "=") else { continue }
            out[String(word[..<eq])] = String(word[word.index(after: eq)...])
        }
        return out
    }
}

struct Submit: Command {
    static let name = "submit"
    static let summary = "upload a sealed envelope to a relay and check its receipt (saved as SEALED.tlog-proof)"
    static let usage = "--relay URL [--party CODE] [--label LABEL] [--submissions-key VKEY] [--json] SEALED"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label, NetworkOptions.json,
                                    Option(["--submissions-key"], value: "VKEY", help: "the relay's submissions log key, obtained out of band (else pinned on first use)"),
                                    KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        guard let sealedPath = try args.positionals(max: 1).first else { throw UsageError("name the SEALED file") }
        let signaturePath = sealedPath + ".minisig"
        let signatureBytes = try readSmallFile(signaturePath, limit: RelayClient.maxSignatureSize)
        let manifest = try Envelope.inspect(signature: try MinisignSignature(parsing: signatureBytes)).manifest
        guard FileManager.default.isReadableFile(atPath: sealedPath) else { throw Failure("cannot read \(sealedPath)") }
        let client = try NetworkOptions.client(args)

        // The submissions log's key is pinned per relay (first use, or --submissions-key given
        // out of band); a relay that serves another one later is refused before the upload.
        let logKey: NoteVerifierKey
        do { logKey = try client.submissionsKey() } catch { throw Failure("\(client.baseURL): \(error)") }
        if let given = args.value("--submissions-key") {
            guard let key = try? NoteVerifierKey(parsing: given), key == logKey else {
                throw Failure("the relay's submissions key is \(logKey.encoded), not the one given with --submissions-key")
            }
        }
        let pins = RelayPins.folder(home: KeystoreOptions.keystore(args).home, url: client.baseURL)
        let firstUse = try RelayPins.check(logKey, log: .submissions, folder: pins)

        var progress: HTTPClient.Progress?
        var shown = false
        if Passphrase.isTerminal(2) {
            var last = -1
            progress = { sent, total, _, _ in
                guard total > 0 else { return }
                let percent = Int(sent * 100 / total)
                guard percent != last else { return }
                last = percent
                shown = true
                FileHandle.standardError.write(Data("\rUploading \(manifest.id): \(percent)% of \(total) bytes".utf8))
            }
        }
        let receipt: [UInt8]
        do {
            defer { if shown { FileHandle.standardError.write(Data("\n".utf8)) } }
            receipt = try client.submit(sealedPath: sealedPath, signature: signatureBytes, progress: progress)
        } catch let e as HTTPClientError { throw Failure("upload of \(manifest.id) refused or failed: \(e.description)") }

        let (proofPath, proof, checkpoint) = try EnvelopeFlow.keepReceipt(receipt, signature: signatureBytes, logKey: logKey,
                                                                          id: manifest.id, sealedPath: sealedPath)
        // Said only on success, so a failure stays one line.
        CLI.note(firstUse ? "Relay submissions key \(logKey.encoded) pinned on first use (key id \(logKey.keyIDHex): compare it out of band)"
                          : "Relay submissions key \(logKey.keyIDHex) is the pinned one")

        if args.has("--json") {
            try NetworkOptions.printJSON([
                "id": manifest.id, "receipt": proofPath, "index": proof.index, "treeSize": checkpoint.checkpoint.size,
                "submissionsKey": logKey.encoded, "keyID": logKey.keyIDHex,
            ] as [String: Any])
        } else {
            let text = "Submitted \(manifest.id): log index \(proof.index) of \(checkpoint.checkpoint.size), "
                + "receipt verified and saved to \(proofPath)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

struct Fetch: Command {
    static let name = "fetch"
    static let summary = "download an envelope the caller may read (SEALED and SEALED.minisig)"
    static let usage = "--relay URL [--party CODE] [--label LABEL] [-o SEALED] [--json] ID"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label,
                                    Option(["-o", "--output"], value: "SEALED", help: "where to write it (default ID.att); the signature goes to SEALED.minisig"),
                                    NetworkOptions.json, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        guard let id = try args.positionals(max: 1).first else { throw UsageError("name the envelope ID") }
        guard Manifest.isValidID(id) else { throw UsageError("\"\(id)\" is not an envelope id") }
        let client = try NetworkOptions.client(args)
        let sealedPath = args.value("-o") ?? id + ".att"
        let sealedFile = try AtomicFileSink(path: sealedPath, overwrite: false)
        let signatureFile = try AtomicFileSink(path: sealedPath + ".minisig", overwrite: false)
        let signature: [UInt8]
        do {
            signature = try client.fetch(id: id, sealed: sealedFile)
        } catch let e as HTTPClientError {
            sealedFile.abort(); signatureFile.abort()
            if case .status(404, _) = e { throw Failure("envelope \(id): not found, or not readable by \(client.party?.rawValue ?? "you") (404)") }
            throw Failure("fetching \(id) failed: \(e.description)")
        } catch { sealedFile.abort(); signatureFile.abort(); throw error }
        // The signature must be for this envelope (the relay cannot be trusted on that).
        let manifest: Manifest
        do {
            manifest = try Envelope.inspect(signature: try MinisignSignature(parsing: signature)).manifest
        } catch { sealedFile.abort(); signatureFile.abort(); throw Failure("the relay's signature file for \(id) is malformed: \(error)") }
        guard manifest.id == id else {
            sealedFile.abort(); signatureFile.abort()
            throw Failure("the relay sent the signature of envelope \(manifest.id) for \(id)")
        }
        try signatureFile.write(signature)
        try sealedFile.commit()
        do { try signatureFile.commit() } catch { unlink(sealedPath); throw error }
        if args.has("--json") {
            try NetworkOptions.printJSON(["id": id, "sealed": sealedPath, "signature": sealedPath + ".minisig"])
        } else {
            FileHandle.standardOutput.write(Data("Fetched \(id): \(sealedPath) and \(sealedPath).minisig (check it with att-report verify or open)\n".utf8))
        }
    }
}

struct Inbox: Command {
    static let name = "inbox"
    static let summary = "list the envelopes on a relay that the caller may see"
    static let usage = "--relay URL [--party CODE] [--label LABEL] [--json]"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label, NetworkOptions.json,
                                    KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let client = try NetworkOptions.client(args)
        let listing: [RelayClient.Listing]
        do { listing = try client.list() } catch let e as HTTPClientError { throw Failure("listing envelopes failed: \(e.description)") }
        if args.has("--json") {
            try NetworkOptions.printJSON(listing.map { l -> [String: Any] in
                ["index": l.index, "trustedComment": l.trustedComment, "fields": NetworkOptions.fields(l.trustedComment)]
            })
        } else {
            var text = ""
            for l in listing { text += "\(l.index) \(l.trustedComment)\n" }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
