import Crypto
import Foundation
import Relay
import Vault

/// `att-report contacts list | show | set | upload | export`: national points of contact
/// (docs/FORMATS.md §5.2, §7.3, §7.4, §9.3). The relay serves the documents; what makes
/// one valid is the directory's `contacts-sha256`, so every document read is checked
/// against the local directory (`directory pull`, or `--directory`) before it is shown.
enum ContactsFlow {
    static let directoryOption = Option(["--directory"], value: "DIR",
                                        help: "the directory the documents are checked against (default $ATT_REPORT_HOME/directory; run directory pull first)")

    /// A relay error as one line the reader can act on.
    static func failure(_ error: Error, client: RelayClient, what: String) -> Failure {
        guard let e = error as? HTTPClientError else { return Failure("\(what) failed: \(error)") }
        if case .status(403, _) = e {
            return Failure("\(what): the relay refused \(client.party?.rawValue ?? "the caller") (403): points of contact are readable by States Parties and the Secretariat only")
        }
        if case .status(401, _) = e { return Failure("\(what): the relay did not accept the request signature (401): \(e.description)") }
        return Failure("\(what) failed: \(e.description)")
    }

    /// The party's document from the relay, checked against the directory: its SHA-256 must
    /// be the party's `contacts-sha256`, and it must be a valid contacts document.
    /// nil when the relay holds none (404).
    static func verified(_ party: PartyCode, client: RelayClient, directory: DirectoryState) throws -> ContactsExport.Entry? {
        guard let p = directory.parties[party] else { throw Failure("\(party) is not in the local directory (run att-report directory pull?)") }
        guard let expected = p.contactsSHA256 else {
            throw Failure("the directory has no contacts-sha256 for \(party): no document can be verified (run att-report directory pull?)")
        }
        let bytes: [UInt8]
        do { bytes = try client.contactsDocument(party) } catch {
            if case .status(404, _)? = error as? HTTPClientError { return nil }
            throw failure(error, client: client, what: "reading \(party)'s contacts")
        }
        let actual = hexString(SHA256.hash(bytes))
        guard actual == expected else {
            throw Failure("\(party)'s contacts document from the relay does NOT match the directory (SHA-256 \(actual.prefix(16))…, "
                          + "contacts-sha256 \(expected.prefix(16))…): refused. If \(party) changed its contacts, run att-report directory pull")
        }
        let document: ContactsDocument
        do { document = try ContactsDocument(parsing: bytes) } catch {
            throw Failure("\(party)'s contacts document matches the directory but does not parse: \(error)")
        }
        return ContactsExport.Entry(party: party, partyName: p.name, document: document)
    }

    /// Every document the relay lists (or the parties named), each verified, and the
    /// parties whose document the directory commits to but the relay does not serve.
    static func entries(_ args: ParsedArguments, parties named: [PartyCode]) throws -> (entries: [ContactsExport.Entry], missing: [PartyCode]) {
        let directory = try DirectoryOptions.local(args).state()
        let client = try NetworkOptions.client(args)
        var parties = named
        var missing: [PartyCode] = []
        if parties.isEmpty {
            do { parties = try client.contactsList().map(\.party) } catch { throw failure(error, client: client, what: "listing contacts") }
            missing = directory.parties.filter { $0.value.contactsSHA256 != nil && !parties.contains($0.key) }.map(\.key)
        }
        var out: [ContactsExport.Entry] = []
        for party in parties.sorted() {
            guard let e = try verified(party, client: client, directory: directory) else {
                if !named.isEmpty { throw Failure("the relay holds no contacts document for \(party) (404)") }
                missing.append(party)
                continue
            }
            out.append(e)
        }
        return (out, missing.sorted())
    }

    static func json(_ e: ContactsExport.Entry) -> [String: Any] {
        ["party": e.party.rawValue, "partyName": e.partyName, "sha256": e.document.sha256, "verified": true,
         "contacts": e.document.contacts.map { c -> [String: Any] in
             ["name": c.name, "title": c.title ?? NSNull(), "ministry": c.ministry ?? NSNull(), "emails": c.emails,
              "telephones": c.telephones, "address": c.address ?? NSNull(), "validFrom": c.validFrom.description,
              "validUntil": c.validUntil?.description ?? NSNull()]
         }]
    }
}

struct ContactsList: Command {
    static let name = "list"
    static let summary = "every point of contact the relay holds, each document checked against the directory"
    static let usage = "--relay URL [--party CODE] [--directory DIR] [--json]"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label, NetworkOptions.json,
                                    ContactsFlow.directoryOption, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let (entries, missing) = try ContactsFlow.entries(args, parties: [])
        if args.has("--json") {
            return try NetworkOptions.printJSON(["contacts": entries.map(ContactsFlow.json), "missing": missing.map(\.rawValue)] as [String: Any])
        }
        var text = ""
        for e in entries {
            text += "\(e.party)  \(e.partyName)  (\(e.document.contacts.count) contact\(e.document.contacts.count == 1 ? "" : "s"), "
                + "verified: contacts-sha256 \(e.document.sha256.prefix(16))…)\n"
            for c in e.document.contacts {
                text += "    " + ([c.name] + [c.title, c.ministry].compactMap { $0 } + c.emails + c.telephones).joined(separator: " | ") + "\n"
            }
        }
        if entries.isEmpty { text = "The relay holds no points of contact.\n" }
        for party in missing { text += "\(party)  no document on the relay (the directory commits to one)\n" }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct ContactsShow: Command {
    static let name = "show"
    static let summary = "one party's points of contact from the relay, checked against the directory"
    static let usage = "--relay URL [--party CODE] [--directory DIR] [--json] PARTY"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label, NetworkOptions.json,
                                    ContactsFlow.directoryOption, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        guard let code = try args.positionals(max: 1).first else { throw UsageError("name the PARTY whose contacts to show") }
        guard let party = try? PartyCode(code) else { throw UsageError("\"\(code)\" is not a party code") }
        guard let e = try ContactsFlow.entries(args, parties: [party]).entries.first else { throw Failure("no contacts document for \(party)") }
        if args.has("--json") { return try NetworkOptions.printJSON(ContactsFlow.json(e)) }
        var text = "\(e.party)  \(e.partyName): points of contact, verified against the directory (contacts-sha256 \(e.document.sha256))\n"
        for c in e.document.contacts {
            text += "\n  \(c.name)\n"
            if let t = c.title { text += "    title:      \(t)\n" }
            if let m = c.ministry { text += "    ministry:   \(m)\n" }
            for m in c.emails { text += "    email:      \(m)\n" }
            for t in c.telephones { text += "    telephone:  \(t)\n" }
            if let a = c.address { text += "    address:    \(a)\n" }
            text += "    valid:      from \(c.validFrom)" + (c.validUntil.map { " until \($0)" } ?? "") + "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct ContactsSet: Command {
    static let name = "set"
    static let summary = "check a contacts document and write the party's signed set-contacts statement"
    static let usage = "--party CODE [--label LABEL] [-o STATEMENT] [--json] FILE"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the party whose contacts these are (its key signs)"),
        NetworkOptions.label,
        Option(["-o", "--output"], value: "STATEMENT", help: "where to write the statement (default FILE.statement; never replaced)"),
        NetworkOptions.json, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the contacts FILE") }
        let party = try KeystoreOptions.party(args)!
        let document: ContactsDocument
        do { document = try ContactsDocument(parsing: try readSmallFile(file, limit: ContactsDocument.maxSize + 1)) } catch let e as ContactsDocument.Error {
            throw Failure("\(file): \(e.description)")
        }
        let output = args.value("-o") ?? file + ".statement"
        let statement = try Statement.setContacts(party: party, sha256: document.sha256, time: DirectoryOptions.now())
        let signer = try DirectoryOptions.signer(args, party: party)
        let signed = try statement.signed(by: [signer])
        try AtomicFileSink.write(signed.note, to: output, overwrite: false)
        if args.has("--json") {
            return try NetworkOptions.printJSON(["party": party.rawValue, "statement": output, "sha256": document.sha256,
                                                 "contacts": document.contacts.count, "signedBy": [signer.id.noteName],
                                                 "next": ["directory countersign --party <SECRETARIAT> \(output)",
                                                          "directory submit --relay URL \(output)",
                                                          "contacts upload --relay URL --party \(party) \(file)"]] as [String: Any])
        }
        let text = """
            Wrote set-contacts for \(party) to \(output), signed by \(signer.id.noteName).
            \(document.contacts.count) contact(s); contacts-sha256 \(document.sha256)
            Next:
              1. the Secretariat countersigns it:  att-report directory countersign --party <SECRETARIAT> \(output)
              2. submit it to the relay:           att-report directory submit --relay URL \(output)
              3. upload the document:              att-report contacts upload --relay URL --party \(party) \(file)
            (A statement about the Secretariat itself needs no countersignature: its own signature counts as both.)

            """
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct ContactsUpload: Command {
    static let name = "upload"
    static let summary = "upload a contacts document once the directory on the relay commits to it"
    static let usage = "--relay URL [--party CODE] [--for CODE] [--json] FILE"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label,
                                    Option(["--for"], value: "CODE", help: "the party whose document it is (default --party; the Secretariat may upload for any)"),
                                    NetworkOptions.json, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the contacts FILE") }
        let bytes = try readSmallFile(file, limit: ContactsDocument.maxSize + 1)
        let document: ContactsDocument
        do { document = try ContactsDocument(parsing: bytes) } catch let e as ContactsDocument.Error { throw Failure("\(file): \(e.description)") }
        let client = try NetworkOptions.client(args)
        var owner = client.party!
        if let f = args.value("--for") {
            guard let c = try? PartyCode(f) else { throw UsageError("--for: \"\(f)\" is not a party code") }
            owner = c
        }
        do { try client.uploadContacts(owner, document: bytes) } catch {
            if case .status(422, _)? = error as? HTTPClientError {
                throw Failure("the relay's directory does not commit to \(file) (SHA-256 \(document.sha256.prefix(16))… is not \(owner)'s contacts-sha256 there, 422): "
                              + "write it with contacts set, have the Secretariat countersign it, and directory submit it first")
            }
            if case .status(403, _)? = error as? HTTPClientError {
                throw Failure("the relay refused \(client.party!) (403): a contacts document is uploaded by its party or the Secretariat, who must be a State Party or the Secretariat")
            }
            throw ContactsFlow.failure(error, client: client, what: "uploading \(owner)'s contacts")
        }
        if args.has("--json") {
            return try NetworkOptions.printJSON(["party": owner.rawValue, "sha256": document.sha256, "contacts": document.contacts.count] as [String: Any])
        }
        FileHandle.standardOutput.write(Data("Uploaded \(owner)'s contacts document (\(document.contacts.count) contact(s), contacts-sha256 \(document.sha256))\n".utf8))
    }
}

struct ContactsExportCommand: Command {
    static let name = "export"
    static let summary = "export verified points of contact as CSV (RFC 4180) or vCard 4.0 (RFC 6350)"
    static let usage = "--relay URL [--party CODE] --format csv|vcard [-o FILE] [--directory DIR] [PARTY...]"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label,
                                    Option(["--format"], value: "FORMAT", help: "csv or vcard"),
                                    Option(["-o", "--output"], value: "FILE", help: "where to write (default: standard output)"),
                                    ContactsFlow.directoryOption, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        let named = try args.positionals.map { code -> PartyCode in
            guard let c = try? PartyCode(code) else { throw UsageError("\"\(code)\" is not a party code") }
            return c
        }
        guard let format = args.value("--format"), format == "csv" || format == "vcard" else { throw UsageError("--format csv or --format vcard is required") }
        let (entries, missing) = try ContactsFlow.entries(args, parties: named)
        let bytes = format == "csv" ? ContactsExport.csv(entries) : ContactsExport.vcard(entries)
        let out = try Files.output(args.value("-o"), overwrite: false)
        try out.sink.write(bytes)
        try out.commit()
        if let path = args.value("-o"), path != "-" {
            if !missing.isEmpty { CLI.note("No document on the relay for " + missing.map(\.rawValue).joined(separator: ", ")) }
            CLI.note("Wrote \(entries.reduce(0) { $0 + $1.document.contacts.count }) contact(s) of \(entries.count) part\(entries.count == 1 ? "y" : "ies") to \(path)")
        }
    }
}
