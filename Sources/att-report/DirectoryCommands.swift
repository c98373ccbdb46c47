import Crypto
import Foundation
import Vault

/// `att-report directory …`: signed statements about parties, kept in a local directory.
enum DirectoryOptions {
    static let directory = Option(["--directory"], value: "DIR", help: "the directory's statements (default $ATT_REPORT_HOME/directory)")
    static func local(_ args: ParsedArguments) -> LocalDirectory {
        if let d = args.value("--directory") { return LocalDirectory(url: URL(fileURLWithPath: d)) }
        return LocalDirectory.default(home: KeystoreOptions.keystore(args).home)
    }

    /// The party's signing key from the keystore: `--label`, or its only key.
    static func signer(_ args: ParsedArguments, party: PartyCode, labelOption: String = "--label") throws -> StatementSigner {
        let store = KeystoreOptions.keystore(args)
        let labels = store.labels(party: party)
        let label: String
        if let l = args.value(labelOption) { label = l } else {
            guard !labels.isEmpty else { throw Failure("no key for \(party) in \(store.home.path) (att-report keygen --party \(party))") }
            guard labels.count == 1 else {
                throw UsageError("\(party) has several keys (\(labels.joined(separator: ", "))); choose one with \(labelOption)")
            }
            label = labels[0]
        }
        let key = try store.signingKey(party: party, label: label) { try Passphrase.read(args, prompt: "Passphrase for \(party)/\(label): ") }
        return StatementSigner(party: party, key: key)
    }

    static func now() -> UTCTime { UTCTime(seconds: Int64(Date().timeIntervalSince1970)) }
}

struct DirectoryStatement: Command {
    static let name = "statement"
    static let summary = "write a statement about a party, signed with one of its keys"
    static let usage = "TYPE --party CODE [fields] -o FILE   (TYPE: enrol add-key rotate-key revoke-key set-contacts set-preference set-role)"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the party the statement is about, and who signs it"),
        Option(["--label"], value: "LABEL", help: "which of the party's keys signs (default: its only key)"),
        Option(["--key"], value: "LABEL", help: "enrol/add-key/rotate-key: the keystore key to put in the directory"),
        Option(["--name"], value: "TEXT", help: "enrol: the party's name"),
        Option(["--role"], value: "ROLE", help: "enrol/set-role: state-party, signatory, secretariat or auditor"),
        Option(["--in-force"], value: "DATE", help: "enrol/set-role: entry into force, YYYY-MM-DD"),
        Option(["--replaces"], value: "KEYID", help: "rotate-key: the key id replaced"),
        Option(["--key-id"], value: "KEYID", help: "revoke-key: the key id revoked"),
        Option(["--reason"], value: "TEXT", help: "revoke-key: why"),
        Option(["--contacts"], value: "FILE", help: "set-contacts: the contacts document (only its SHA-256 is logged)"),
        Option(["--preference"], value: "TYPE=LEVEL", repeatable: true, help: "set-preference: e.g. annual=public (repeatable)"),
        Option(["-o", "--output"], value: "FILE", help: "where to write the signed statement"),
        KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        let pos = try args.positionals(max: 1)
        guard let typeName = pos.first, let type = StatementType(rawValue: typeName) else { throw UsageError("name the statement TYPE") }
        let party = try KeystoreOptions.party(args)!
        guard let output = args.value("-o") else { throw UsageError("-o FILE is required") }
        let time = DirectoryOptions.now()
        let store = KeystoreOptions.keystore(args)
        func keyFromStore() throws -> PartyKey {
            guard let label = args.value("--key") else { throw UsageError("\(typeName) needs --key LABEL (a key in the keystore)") }
            let (pub, recipient) = try store.publicKey(party: party, label: label)
            return try PartyKey(label: label, signingKey: pub, recipient: recipient, created: time)
        }
        func required(_ flag: String) throws -> String {
            guard let v = args.value(flag) else { throw UsageError("\(typeName) needs \(flag)") }
            return v
        }
        func date(_ s: String?) throws -> CivilDate? {
            guard let s, s != "-" else { return nil }
            guard let d = try? CivilDate(parsing: s) else { throw UsageError("--in-force: \"\(s)\" is not YYYY-MM-DD") }
            return d
        }
        let statement: Statement
        var signers: [StatementSigner] = []
        switch type {
        case .enrol:
            let key = try keyFromStore()
            guard let role = Role(rawValue: try required("--role")) else { throw UsageError("--role: unknown role") }
            statement = try Statement.enrol(party: party, name: try required("--name"), role: role, inForce: try date(args.value("--in-force")), key: key, time: time)
            signers = [try DirectoryOptions.signer(args, party: party, labelOption: "--key")]
        case .addKey:
            statement = try Statement.addKey(party: party, key: try keyFromStore(), time: time)
        case .rotateKey:
            statement = try Statement.rotateKey(party: party, replacing: try required("--replaces"), with: try keyFromStore(), time: time)
        case .revokeKey:
            statement = try Statement.revokeKey(party: party, keyID: try required("--key-id"), reason: args.value("--reason") ?? "unspecified", time: time)
        case .setContacts:
            let document = try ContactsDocument(parsing: try readSmallFile(try required("--contacts"), limit: ContactsDocument.maxSize))
            statement = try Statement.setContacts(party: party, sha256: document.sha256, time: time)
        case .setPreference:
            var prefs: [ReportType: DisclosureLevel] = [:]
            for p in args.all("--preference") {
                let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let t = ReportType(rawValue: kv[0]), let l = DisclosureLevel(rawValue: kv[1]) else {
                    throw UsageError("--preference: \"\(p)\" is not TYPE=LEVEL")
                }
                prefs[t] = l
            }
            guard !prefs.isEmpty else { throw UsageError("set-preference needs --preference TYPE=LEVEL") }
            statement = try Statement.setPreference(party: party, prefs, time: time)
        case .setRole:
            guard let role = Role(rawValue: try required("--role")) else { throw UsageError("--role: unknown role") }
            statement = try Statement.setRole(party: party, role: role, inForce: try date(args.value("--in-force")), time: time)
        }
        if signers.isEmpty { signers = [try DirectoryOptions.signer(args, party: party)] }
        let signed = try statement.signed(by: signers)
        try AtomicFileSink.write(signed.note, to: output, overwrite: false)
        CLI.note("Wrote \(typeName) for \(party), signed by \(signers.map(\.id.noteName).joined(separator: ", ")). "
                 + (type == .revokeKey ? "It needs no countersignature." : "The Secretariat countersigns it (directory countersign)."))
    }
}

struct DirectoryCountersign: Command {
    static let name = "countersign"
    static let summary = "add a signature (e.g. the Secretariat's) to a statement file, in place"
    static let usage = "--party CODE [--label LABEL] FILE"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "who countersigns (the Secretariat's code)"),
        Option(["--label"], value: "LABEL", help: "which key signs (default: the party's only key)"),
        KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the statement FILE") }
        let party = try KeystoreOptions.party(args)!
        let signed = try SignedStatement(parsing: try readSmallFile(file, limit: Statement.maxSize))
        let more = try signed.addingSignatures([try DirectoryOptions.signer(args, party: party)])
        try AtomicFileSink.write(more.note, to: file)
    }
}

struct DirectoryAppend: Command {
    static let name = "append"
    static let summary = "add a signed statement to the local directory if the replay accepts it"
    static let usage = "[--directory DIR] FILE"
    static let options: [Option] = [DirectoryOptions.directory, KeystoreOptions.home]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the statement FILE") }
        let outcome = try DirectoryOptions.local(args).append(try readSmallFile(file, limit: Statement.maxSize))
        guard outcome.isAccepted else { throw Failure("statement refused: \(outcome.description)") }
        FileHandle.standardOutput.write(Data("accepted: \(outcome.description)\n".utf8))
    }
}

struct DirectoryShow: Command {
    static let name = "show"
    static let summary = "replay the directory and print its parties, keys and refused statements"
    static let usage = "[--directory DIR] [--party CODE]"
    static let options: [Option] = [DirectoryOptions.directory, KeystoreOptions.home,
                                     Option(["--party"], value: "CODE", help: "only this party")]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let state = try DirectoryOptions.local(args).state()
        let only = try KeystoreOptions.party(args, required: false)
        let now = DirectoryOptions.now()
        var out = ""
        for code in state.parties.keys.sorted() where only == nil || only == code {
            let p = state.parties[code]!
            out += "\(code)  \(p.name)  role=\(p.role.rawValue)  in-force=\(p.entryIntoForce?.description ?? "-")\n"
            for k in p.keys {
                let v: String
                switch k.validity(at: now) {
                case .valid: v = "valid"
                case .expired: v = "expired"
                case .revoked: v = "revoked \(k.revoked!.description)"
                case .notYetValid: v = "not yet valid"
                }
                out += "    key \(k.label)  \(k.keyID)  \(k.recipient.encoded)  \(v)\n"
            }
            if !p.preferences.isEmpty {
                out += "    preferences: " + p.preferences.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value.rawValue)" }.joined(separator: " ") + "\n"
            }
        }
        for r in state.rejected where only == nil || r.statement?.party == only { out += "REFUSED \(r.description)\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

struct DirectoryWatchCommand: Command {
    static let name = "watch"
    static let summary = "list every statement about a party that its own keys did not sign (the alarm)"
    static let usage = "--party CODE [--directory DIR]"
    static let options: [Option] = [Option(["--party"], value: "CODE", help: "the party to watch"), DirectoryOptions.directory, KeystoreOptions.home]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let party = try KeystoreOptions.party(args)!
        let alarms = try DirectoryOptions.local(args).state().watch(party: party)
        guard alarms.isEmpty else {
            let text = alarms.map { "ALARM \($0.description)\n" }.joined()
            FileHandle.standardOutput.write(Data(text.utf8))
            throw Failure("\(alarms.count) statement(s) about \(party) were not signed by \(party)'s own keys")
        }
        FileHandle.standardOutput.write(Data("no statement about \(party) lacks \(party)'s own signature\n".utf8))
    }
}

struct DirectoryVerifyEnrolment: Command {
    static let name = "verify-enrolment"
    static let summary = "check a party's enrolled key against the fingerprint from its Note Verbale"
    static let usage = "--party CODE --fingerprint HEX [--directory DIR]"
    static let options: [Option] = [Option(["--party"], value: "CODE", help: "the party"),
                                     Option(["--fingerprint"], value: "HEX", help: "the fingerprint delivered out of band"),
                                     DirectoryOptions.directory, KeystoreOptions.home]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let party = try KeystoreOptions.party(args)!
        guard let fp = args.value("--fingerprint") else { throw UsageError("--fingerprint HEX is required") }
        let key = try DirectoryOptions.local(args).state().checkEnrolment(of: party, fingerprint: fp)
        FileHandle.standardOutput.write(Data("\(party)'s enrolled key \(key.keyID) matches the fingerprint\n".utf8))
    }
}
