import Crypto
import Foundation
import Vault

/// `att-report report seal`: disclosure per form (docs/FORMATS.md §8.6). A structured report
/// is validated, and its tables are grouped by the level each is given: one envelope per
/// level, each holding the canonical JSON of those tables with the whole header. The parts
/// are linked by what they share and sign: sender, type, year, version, and a file name
/// `<type>-<party>-<year>-v<version>.<part>.json`.
struct ReportSeal: Command {
    static let name = "seal"
    static let summary = "validate a structured report and seal it, one envelope per disclosure level (e.g. exports public, imports restricted)"
    static let usage = "[--party CODE] [--exports LEVEL] [--imports LEVEL] [--level LEVEL] [--to CODES] [--include-secretariat] [--supersedes-exports ID] [--supersedes-imports ID] [-o DIR] FILE"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the sending party (its key signs); default: the keystore's only party"),
        Option(["--label"], value: "LABEL", help: "which of its keys signs (default: its only key)"),
        Option(["--level"], value: "LEVEL", help: "the level of every table not given its own (default: the party's preference, else states-parties)"),
        Option(["--exports"], value: "LEVEL", help: "annual reports: the exports table's level"),
        Option(["--imports"], value: "LEVEL", help: "annual reports: the imports table's level"),
        Option(["--to"], value: "CODES", help: "the parties of the selected level, comma-separated"),
        Option(["--include-secretariat"], help: "give the Secretariat a key for states-parties or selected"),
        Option(["--supersedes"], value: "ID", help: "the envelope this one amends (a report sealed whole)"),
        Option(["--supersedes-exports"], value: "ID", help: "the exports envelope this part amends"),
        Option(["--supersedes-imports"], value: "ID", help: "the imports envelope this part amends"),
        Option(["-o", "--output"], value: "DIR", help: "where the envelopes go (default: here); none may exist yet"),
        ReportOptions.today, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func level(_ args: ParsedArguments, _ name: String) throws -> DisclosureLevel? {
        guard let l = args.value(name) else { return nil }
        guard let parsed = DisclosureLevel(rawValue: l) else { throw UsageError("\(name): \"\(l)\" is not a disclosure level") }
        return parsed
    }

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the report FILE (CSV or JSON)") }
        let party = try KeystoreOptions.partyOrOnly(args)
        let selected = try (args.value("--to")?.split(separator: ",").map(String.init) ?? []).map { code -> PartyCode in
            guard let c = try? PartyCode(code) else { throw UsageError("--to: \"\(code)\" is not a party code") }
            return c
        }
        let base = try level(args, "--level") ?? (selected.isEmpty ? nil : .selected)
        let exportsLevel = try level(args, "--exports"), importsLevel = try level(args, "--imports")
        for id in ["--supersedes", "--supersedes-exports", "--supersedes-imports"].compactMap({ args.value($0) }) where !Manifest.isValidID(id) {
            throw UsageError("\"\(id)\" is not an envelope id")
        }

        // Validate first: nothing is sealed from a report with a bad cell.
        guard let bytes = try ReportOptions.read(file) else { throw Failure("\(file) is larger than a report may be") }
        let directory = try DirectoryOptions.local(args).state()
        let context = ReportValidationContext(today: try ReportOptions.today(args), entryIntoForce: directory.parties[party]?.entryIntoForce,
                                              expectedParty: party)
        let read = ReportValidation.read(bytes, context: context)
        guard let report = read.report else {
            let first = read.issues.first.map { " (first: \($0))" } ?? ""
            throw Failure("\(file) has \(read.issues.count) problem\(read.issues.count == 1 ? "" : "s")\(first); nothing was sealed (att-report report validate lists them)")
        }

        // The parts, grouped by level: (file stem part, level, document, supersedes).
        var parts: [(name: String, level: DisclosureLevel?, json: [UInt8], supersedes: String?)] = []
        switch report {
        case .initial(let r):
            guard exportsLevel == nil, importsLevel == nil else { throw UsageError("--exports and --imports apply to annual reports") }
            parts = [("initial-\(r.party)-v\(r.version)", base, ReportJSON.canonical(r), args.value("--supersedes"))]
        case .annual(let r):
            let stem = "annual-\(r.party)-\(r.year)-v\(r.version)"
            let ex = exportsLevel ?? base, im = importsLevel ?? base
            if ex == im {
                guard args.value("--supersedes-exports") == nil, args.value("--supersedes-imports") == nil else {
                    throw UsageError("one envelope: use --supersedes")
                }
                parts = [(stem + ".all", ex, ReportJSON.canonical(r), args.value("--supersedes"))]
            } else {
                guard args.value("--supersedes") == nil else { throw UsageError("two envelopes: use --supersedes-exports and --supersedes-imports") }
                for p in r.split() {
                    let level = p.part == .exports ? ex : im
                    parts.append((stem + "." + p.part.rawValue, level, ReportJSON.canonical(p),
                                  args.value(p.part == .exports ? "--supersedes-exports" : "--supersedes-imports")))
                }
            }
        }
        let levels = parts.map { $0.level ?? Disclosure.defaultLevel(directory: directory, sender: party, type: report.reportType) }
        if args.value("--to") != nil, !levels.contains(.selected) { throw UsageError("--to is for the selected level") }
        if levels.contains(.selected), selected.isEmpty { throw UsageError("the selected level needs --to") }

        // Each part goes through `att-report seal`'s own path, from a private temporary file.
        let outDir = args.value("-o") ?? "."
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("att-report-seal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        for p in parts {
            let target = outDir + "/" + p.name + ".json.att"
            guard !FileManager.default.fileExists(atPath: target), !FileManager.default.fileExists(atPath: target + ".minisig") else {
                throw Failure("\(target) already exists; nothing was sealed")
            }
        }
        var lines: [String] = []
        var done: [String] = []
        for p in parts {
            let partFile = scratch.appendingPathComponent(p.name + ".json").path
            try AtomicFileSink.write(p.json, to: partFile, mode: 0o600)
            let target = outDir + "/" + p.name + ".json.att"
            do {
                // --to and --include-secretariat go to the parts whose level takes them.
                let chosen = p.level ?? Disclosure.defaultLevel(directory: directory, sender: party, type: report.reportType)
                let sealed = try Seal.sealFile(args, file: partFile, party: party, type: report.reportType, year: reportYear(report),
                                               level: chosen, selected: chosen == .selected ? selected : [],
                                               includeSecretariat: args.has("--include-secretariat") && (chosen == .statesParties || chosen == .selected),
                                               supersedes: p.supersedes, sealedPath: target)
                done.append(target)
                lines.append("Sealed \(sealed.manifest.id) (\(p.name), \(sealed.manifest.level.rawValue)): \(target) and \(target).minisig")
            } catch {
                // All or nothing: the parts already sealed are removed.
                for t in done { unlink(t); unlink(t + ".minisig") }
                throw error
            }
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func reportYear(_ r: ParsedReport) -> Int {
        switch r {
        case .annual(let a): return a.year
        case .initial(let i): return i.year
        }
    }
}
