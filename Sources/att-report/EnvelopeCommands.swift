import Crypto
import Foundation
import Vault

/// `att-report seal | open | verify | inspect`: sealed envelopes (docs/FORMATS.md §6).
enum EnvelopeOptions {
    static let signature = Option(["-x", "--signature"], value: "SIG", help: "the outer signature (default SEALED.minisig)")

    static func signature(_ args: ParsedArguments, sealed: String) throws -> MinisignSignature {
        try MinisignSignature(parsing: try readSmallFile(args.value("-x") ?? sealed + ".minisig", limit: 64 * 1024))
    }

    static func describe(_ m: Manifest, verified: Bool) -> String {
        """
        \(verified ? "Verified" : "UNVERIFIED (nothing below is checked)") envelope \(m.id)
          from:       \(m.from) (key \(m.keyID))
          report:     \(m.type.rawValue) \(m.year), file \(m.fileName)
          disclosure: \(m.level.rawValue)\(m.to.isEmpty ? "" : " to " + m.to.map(\.rawValue).joined(separator: ","))
          sealed at:  \(m.time)\(m.supersedes.map { "\n  supersedes: \($0)" } ?? "")

        """
    }
}

struct Seal: Command {
    static let name = "seal"
    static let summary = "sign, encrypt to the readers the disclosure level names, and sign again"
    static let usage = "[--party CODE] --type TYPE --year YYYY [--level LEVEL] [--to CODES] [--include-secretariat] [-o SEALED] FILE"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the sending party (its key signs); default: the keystore's only party"),
        Option(["--label"], value: "LABEL", help: "which of its keys signs (default: its only key)"),
        Option(["--type"], value: "TYPE", help: "initial, annual, amendment, message, assistance-request, assistance-offer"),
        Option(["--year"], value: "YYYY", help: "the reporting year"),
        Option(["--level"], value: "LEVEL", help: "public, states-parties, secretariat or selected (default: the party's preference, else states-parties)"),
        Option(["--to"], value: "CODES", help: "selected: the parties, comma-separated"),
        Option(["--include-secretariat"], help: "give the Secretariat a key for states-parties or selected"),
        Option(["--supersedes"], value: "ID", help: "the envelope this one amends"),
        Option(["-o", "--output"], value: "SEALED", help: "the sealed file (default FILE.att); its signature goes to SEALED.minisig"),
        DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the report FILE") }
        let party = try KeystoreOptions.partyOrOnly(args)
        guard let typeName = args.value("--type"), let type = ReportType(rawValue: typeName) else { throw UsageError("--type: give a report type") }
        guard let yearText = args.value("--year"), yearText.utf8.count == 4, yearText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let year = Int(yearText), year >= 1000 else { throw UsageError("--year YYYY (four digits) is required") }
        var level: DisclosureLevel?
        if let l = args.value("--level") {
            guard let parsed = DisclosureLevel(rawValue: l) else { throw UsageError("--level: \"\(l)\" is not a disclosure level") }
            level = parsed
        }
        let selected = try (args.value("--to")?.split(separator: ",").map(String.init) ?? []).map { code -> PartyCode in
            guard let c = try? PartyCode(code) else { throw UsageError("--to: \"\(code)\" is not a party code") }
            return c
        }
        if !selected.isEmpty, level == nil { level = .selected }
        if args.has("--include-secretariat"), level == .public || level == .secretariat {
            throw UsageError("--include-secretariat only applies to states-parties and selected")
        }
        let sealedPath = args.value("-o") ?? file + ".att"
        let sealed = try sealFile(args, file: file, party: party, type: type, year: year, level: level, selected: selected,
                                  includeSecretariat: args.has("--include-secretariat"), supersedes: args.value("--supersedes"),
                                  sealedPath: sealedPath)
        FileHandle.standardOutput.write(Data("Sealed \(sealed.manifest.id): \(sealedPath) and \(sealedPath).minisig\n".utf8))
    }

    /// Seals `file` to `sealedPath` and `sealedPath.minisig` (neither may exist), saying on
    /// standard error who will be able to read it before anything is sealed. `level` nil is
    /// the party's preference for `type`, else the default. Shared with `report seal`.
    static func sealFile(_ args: ParsedArguments, file: String, party: PartyCode, type: ReportType, year: Int,
                         level: DisclosureLevel?, selected: [PartyCode], includeSecretariat: Bool, supersedes: String?,
                         sealedPath: String) throws -> Envelope.Sealed {
        let fileName = (file as NSString).lastPathComponent
        guard Manifest.isValidFileName(fileName) else {
            throw UsageError("the report's file name \"\(fileName)\" cannot go in a manifest: use letters, digits, '.', '_' and '-' (1-92, not starting with '.' or '-')")
        }
        if let s = supersedes, !Manifest.isValidID(s) { throw UsageError("--supersedes: \"\(s)\" is not an envelope id") }
        // Everything that can fail before sealing is checked before the readers are announced.
        let source = try FileSource(path: file)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? UInt64 else {
            throw Failure("cannot read the size of \(file)")
        }
        guard !FileManager.default.fileExists(atPath: sealedPath), !FileManager.default.fileExists(atPath: sealedPath + ".minisig") else {
            throw Failure("\(sealedPath) or its .minisig already exists (never overwritten)")
        }
        let directory = try DirectoryOptions.local(args).state()
        let time = DirectoryOptions.now()
        let preferred = directory.parties[party]?.preferences[type]
        let chosen = level ?? Disclosure.defaultLevel(directory: directory, sender: party, type: type)
        let recipients = try Disclosure.resolve(directory: directory, sender: party, level: chosen, selected: selected,
                                                includeSecretariat: includeSecretariat, at: time)
        let signer = try DirectoryOptions.signer(args, party: party)
        // Say who will be able to read it, before anything is sealed.
        CLI.note("Disclosure \(chosen.rawValue)" + (level != nil ? "" : preferred != nil ? " (\(party)'s preference for \(type.rawValue) reports)" : " (the default)")
                 + (recipients.isEmpty ? ": signed, not encrypted; anyone can read it" : ", readable by:"))
        for r in recipients { CLI.note("  \(r.party)  key \(r.keyID)  \(r.recipient.encoded)") }

        return try EnvelopeFlow.sealToFiles(report: source, size: size, fileName: fileName, party: party, signingKey: signer.key,
                                            type: type, year: year, level: chosen, recipients: recipients, supersedes: supersedes,
                                            time: time, directory: directory, sealedPath: sealedPath)
    }
}

struct Open: Command {
    static let name = "open"
    static let summary = "check an envelope completely and, only then, write its report"
    static let usage = "[--party CODE] [-o OUT] [-x SIG] SEALED"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the reading party, all its keys tried; default: the keystore's only party"),
        Option(["-o", "--output"], value: "OUT", help: "where to write the report (default: its file name, here)"),
        EnvelopeOptions.signature, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let sealedPath = try args.positionals(max: 1).first else { throw UsageError("name the SEALED file") }
        let party = try KeystoreOptions.partyOrOnly(args)
        let signature = try EnvelopeOptions.signature(args, sealed: sealedPath)
        let directory = try DirectoryOptions.local(args).state()
        let identities = try EnvelopeFlow.identities(args, party: party)
        var outputPath = args.value("-o")
        let opened = try Envelope.open(sealed: try FileSource(path: sealedPath), signature: signature, directory: directory,
                                       identities: identities, output: { manifest in
            let path = outputPath ?? manifest.fileName
            outputPath = path
            return try AtomicFileSink(path: path, overwrite: false)
        })
        let m = opened.manifest
        let text = EnvelopeOptions.describe(m, verified: true)
            + "  signed by:  \(opened.signer.party) key \(opened.signer.key.keyID) (outer and inner signatures)\n"
            + "Report written to \(outputPath ?? m.fileName) (\(opened.reportSize) bytes)\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct Verify: Command {
    static let name = "verify"
    static let summary = "check an envelope's outer signature, signer and manifest, without any secret key (auditors)"
    static let usage = "[-x SIG] [--directory DIR] SEALED"
    static let options: [Option] = [EnvelopeOptions.signature, DirectoryOptions.directory, KeystoreOptions.home]

    static func run(_ args: ParsedArguments) throws {
        guard let sealedPath = try args.positionals(max: 1).first else { throw UsageError("name the SEALED file") }
        let v = try Envelope.verify(sealed: try FileSource(path: sealedPath), signature: try EnvelopeOptions.signature(args, sealed: sealedPath),
                                    directory: try DirectoryOptions.local(args).state())
        let text = EnvelopeOptions.describe(v.manifest, verified: true)
            + "  signed by:  \(v.signer.party) key \(v.signer.key.keyID), valid at sealing time; \(v.sealedSize) sealed bytes\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct Inspect: Command {
    static let name = "inspect"
    static let summary = "show what an envelope's signature claims, WITHOUT checking it"
    static let usage = "[-x SIG] SEALED"
    static let options: [Option] = [EnvelopeOptions.signature]

    static func run(_ args: ParsedArguments) throws {
        guard let sealedPath = try args.positionals(max: 1).first else { throw UsageError("name the SEALED file") }
        let u = try Envelope.inspect(signature: try EnvelopeOptions.signature(args, sealed: sealedPath))
        let text = EnvelopeOptions.describe(u.manifest, verified: false)
            + "  claims key: \(u.signatureKeyID); declares \(u.declaredSealedSize) sealed bytes\nRun 'att-report verify' to check it.\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
