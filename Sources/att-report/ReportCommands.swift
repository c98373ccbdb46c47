import Crypto
import Foundation
import Relay
import Vault

/// `att-report report …` (templates, validation, conversion) and `att-report status`:
/// structured ATT reports, offline (docs/FORMATS.md §8).
enum ReportOptions {
    static let format = Option(["--format"], value: "csv|json", help: "csv (for spreadsheets, the default) or json (for systems)")
    static let output = Option(["-o", "--output"], value: "FILE", help: "write here (never overwritten; default standard output)")
    static let today = Option(["--today"], value: "YYYY-MM-DD", help: "the day to compute with (default: today, UTC)")

    static func today(_ args: ParsedArguments) throws -> CivilDate {
        if let t = args.value("--today") {
            guard let d = try? CivilDate(parsing: t) else { throw UsageError("--today: \"\(t)\" is not YYYY-MM-DD") }
            return d
        }
        return CivilDate(daysSinceEpoch: Int64(Date().timeIntervalSince1970) / 86_400)
    }

    static func format(_ args: ParsedArguments) throws -> ReportFormat? {
        guard let f = args.value("--format") else { return nil }
        guard let v = ReportFormat(rawValue: f) else { throw UsageError("--format: \"\(f)\" is not csv or json") }
        return v
    }

    static func year(_ args: ParsedArguments) throws -> Int? {
        guard let y = args.value("--year") else { return nil }
        guard y.count == 4, y.allSatisfy(\.isASCII), let v = Int(y), v >= 2014 else { throw UsageError("--year: \"\(y)\" is not a year from 2014") }
        return v
    }

    /// A State's code for a report (not SEC or an auditor's code).
    static func state(_ args: ParsedArguments) throws -> PartyCode {
        let p = try KeystoreOptions.partyOrOnly(args)
        guard ReportSchema.isStateCode(p.rawValue) else { throw UsageError("--party: \(p) is not an ISO 3166-1 alpha-3 State code") }
        return p
    }

    /// Reads a report file; a file over the limit is a validation problem, not an I/O error.
    static func read(_ path: String) throws -> [UInt8]? {
        do { return try readSmallFile(path, limit: ReportLimits.maxFileSize) } catch IOError.tooLarge { return nil }
    }

    static func write(_ bytes: [UInt8], to path: String?) throws {
        let out = try Files.output(path, overwrite: false)
        try out.sink.write(bytes)
        try out.commit()
    }

    static func json(_ issue: ReportIssue) -> ReportJSON.Value {
        func opt(_ s: String?) -> ReportJSON.Value { s.map(ReportJSON.Value.string) ?? .null }
        return .object(["table": opt(issue.table), "row": issue.row.map { .integer(Int64($0)) } ?? .null, "column": opt(issue.column),
                        "line": issue.line.map { .integer(Int64($0)) } ?? .null, "problem": .string(issue.problem.code),
                        "message": .string(issue.description)])
    }
}

struct ReportNew: Command {
    static let name = "new"
    static let summary = "write a report template to fill: annual (exports and imports) or initial (national measures)"
    static let usage = "annual|initial [--year YEAR] [--party CODE] [--format csv|json] [-o FILE]"
    static let options: [Option] = [
        Option(["--year"], value: "YEAR", help: "annual: the year reported on (default last year); initial: the year it is made (default this year)"),
        Option(["--party"], value: "CODE", help: "the reporting State (default: the keystore's only party)"),
        ReportOptions.format, ReportOptions.output, ReportOptions.today, KeystoreOptions.home,
    ]

    static func run(_ args: ParsedArguments) throws {
        let pos = try args.positionals(max: 1)
        guard let typeName = pos.first, let type = StructuredReportType(rawValue: typeName) else { throw UsageError("name the report type: annual or initial") }
        let party = try ReportOptions.state(args)
        let thisYear = try ReportOptions.today(args).year
        let year = try ReportOptions.year(args) ?? (type == .annual ? thisYear - 1 : thisYear)
        let format = try ReportOptions.format(args) ?? .csv
        let bytes: [UInt8]
        switch (type, format) {
        case (.annual, .csv):
            bytes = ReportCSV.write(AnnualReport.template(party: party, year: year), comments: [
                "ATT annual report (Article 13(3)) on \(year). Fill the values below; see docs/FORMATS.md section 8.",
                "nil_exports / nil_imports: yes if there is nothing to report in that table. withheld: yes if information was withheld.",
                "Then one record per transfer under the table record: table is exports or imports.",
            ])
        case (.annual, .json): bytes = ReportJSON.pretty(AnnualReport.template(party: party, year: year))
        case (.initial, .csv):
            bytes = ReportCSV.write(InitialReport.template(party: party, year: year), comments: [
                "ATT initial report (Article 13(1)). Answer in_place (yes/no/partly) for every provision; see docs/FORMATS.md section 8.",
            ])
        case (.initial, .json): bytes = ReportJSON.pretty(InitialReport.template(party: party, year: year))
        }
        let output = args.value("-o")
        try ReportOptions.write(bytes, to: output)
        if let output, output != "-" { CLI.note("Wrote the \(type.rawValue) report template for \(party) (\(year)) to \(output)") }
    }
}

struct ReportValidate: Command {
    static let name = "validate"
    static let summary = "check a report (CSV or JSON) and print every bad cell, one per line"
    static let usage = "FILE [--json] [--party CODE] [--year YEAR] [--today YYYY-MM-DD] [--directory DIR]"
    static let options: [Option] = [
        Option(["--json"], help: "print the result as JSON"),
        Option(["--party"], value: "CODE", help: "require this reporting State"),
        Option(["--year"], value: "YEAR", help: "require this year"),
        ReportOptions.today,
        Option(["--directory"], value: "DIR", help: "refuse annual reports on years before the party's entry into force in this directory"),
    ]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the report FILE") }
        var context = ReportValidationContext(today: try ReportOptions.today(args), expectedYear: try ReportOptions.year(args),
                                              expectedParty: try KeystoreOptions.party(args, required: false))
        let result: ReportReadResult
        if let bytes = try ReportOptions.read(file) {
            if let d = args.value("--directory") {
                // The entry into force of the party the file names (or --party).
                let state = try LocalDirectory(url: URL(fileURLWithPath: d)).state()
                let peek = ReportValidation.read(bytes, context: ReportValidationContext())
                var party = context.expectedParty
                if party == nil, case let .annual(a)? = peek.report { party = a.party }
                if let party { context.entryIntoForce = state.parties[party]?.entryIntoForce }
            }
            result = ReportValidation.read(bytes, context: context)
        } else {
            result = ReportReadResult(format: file.hasSuffix(".json") ? .json : .csv, report: nil,
                                      issues: [ReportIssue(.tooLarge(limit: ReportLimits.maxFileSize))])
        }
        var summary = ""
        switch result.report {
        case let .annual(a)?:
            summary = "valid annual report of \(a.party) on \(a.year), version \(a.version), part \(a.part.rawValue): "
                + a.part.tables.map { "\($0.rawValue) " + (a.tables[$0]!.isNil ? "nil" : "\(a.tables[$0]!.rows.count) row(s)") }.joined(separator: ", ")
        case let .initial(r)?:
            summary = "valid initial report of \(r.party) (\(r.year)), version \(r.version): \(r.measures.count) provisions"
        case nil: break
        }
        if args.has("--json") {
            let v = ReportJSON.Value.object(["file": .string(file), "format": .string(result.format.rawValue), "valid": .bool(result.issues.isEmpty),
                                             "issues": .array(result.issues.map(ReportOptions.json))])
            FileHandle.standardOutput.write(Data((v.compact + "\n").utf8))
        } else {
            let text = result.issues.isEmpty ? "\(file): \(summary)\n" : result.issues.map { "\(file): \($0.description)\n" }.joined()
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        guard result.issues.isEmpty else { throw Failure("\(file): \(result.issues.count) problem(s)") }
    }
}

struct ReportConvert: Command {
    static let name = "convert"
    static let summary = "write a valid report in the other format (or the canonical JSON that sealing uses)"
    static let usage = "FILE --format csv|json [--canonical] [-o FILE]"
    static let options: [Option] = [ReportOptions.format, Option(["--canonical"], help: "json: the canonical form (compact, sorted keys)"),
                                     ReportOptions.output]

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the report FILE") }
        guard let format = try ReportOptions.format(args) else { throw UsageError("--format csv|json is required") }
        if args.has("--canonical"), format != .json { throw UsageError("--canonical is for --format json") }
        guard let bytes = try ReportOptions.read(file) else { throw Failure("\(file) is larger than \(ReportLimits.maxFileSize) bytes") }
        let result = ReportValidation.read(bytes)
        guard let report = result.report else {
            throw Failure("\(file) is not a valid report (\(result.issues.count) problem(s); see att-report report validate)")
        }
        let out: [UInt8]
        switch (report, format) {
        case let (.annual(a), .csv): out = ReportCSV.write(a)
        case let (.annual(a), .json): out = args.has("--canonical") ? ReportJSON.canonical(a) : ReportJSON.pretty(a)
        case let (.initial(r), .csv): out = ReportCSV.write(r)
        case let (.initial(r), .json): out = args.has("--canonical") ? ReportJSON.canonical(r) : ReportJSON.pretty(r)
        }
        try ReportOptions.write(out, to: args.value("-o"))
    }
}

struct Status: Command {
    static let name = "status"
    static let summary = "what reports a State owes and when (initial report, annual reports by 31 May)"
    static let usage = "[--party CODE] [--relay URL] [--today YYYY-MM-DD] [--json] [--directory DIR] [--submitted initial|annual:YEAR]..."
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the State (default: the keystore's only party)"),
        ReportOptions.today,
        Option(["--json"], help: "print the result as JSON"),
        Option(["--submitted"], value: "REPORT", repeatable: true, help: "count this report as submitted: initial or annual:YEAR (repeatable)"),
        Option(["--relay"], value: "URL", help: "ask this relay what it holds from the State (requests signed with its key)"),
        NetworkOptions.label, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let code = try KeystoreOptions.partyOrOnly(args)
        let today = try ReportOptions.today(args)
        var submitted: Set<ReportObligation.Kind> = []
        for s in args.all("--submitted") {
            guard let k = try? ReportObligation.Kind(parsing: s) else { throw UsageError("--submitted: \"\(s)\" is not initial or annual:YEAR") }
            submitted.insert(k)
        }
        let directory = DirectoryOptions.local(args)
        let state = try directory.state()
        guard let party = state.parties[code] else { throw Failure("\(code) is not in the directory at \(directory.url.path)") }
        // What the relay holds from the State: its initial and annual envelopes, by manifest.
        var held: [Manifest] = []
        if args.value("--relay") != nil {
            let listing: [RelayClient.Listing]
            do { listing = try NetworkOptions.client(args).list() } catch let e as HTTPClientError {
                throw Failure("listing envelopes failed: \(e.description)")
            }
            held = listing.compactMap { try? Manifest.parseOuterComment($0.trustedComment).manifest }
                .filter { $0.from == code && ($0.type == .initial || $0.type == .annual) }
            for m in held { submitted.insert(m.type == .initial ? .initial : .annual(m.year)) }
        }
        let obligations = ReportingCalendar.obligations(entryIntoForce: party.entryIntoForce, today: today, submitted: submitted)
        if args.has("--json") {
            let v = ReportJSON.Value.object([
                "party": .string(code.rawValue), "name": .string(party.name), "role": .string(party.role.rawValue),
                "entry_into_force": party.entryIntoForce.map { .string($0.description) } ?? .null, "today": .string(today.description),
                "obligations": .array(obligations.map { o in
                    .object(["report": .string(o.kind.description), "due": .string(o.due.description), "state": .string(o.state.rawValue),
                             "days_left": .integer(Int64(o.daysLeft))])
                }),
                "held_by_relay": .array(held.map { m in
                    .object(["id": .string(m.id), "type": .string(m.type.rawValue), "year": .integer(Int64(m.year)),
                             "level": .string(m.level.rawValue), "file": .string(m.fileName)])
                }),
            ])
            FileHandle.standardOutput.write(Data((v.compact + "\n").utf8))
            return
        }
        var out = "\(code)  \(party.name)  role=\(party.role.rawValue)  in-force=\(party.entryIntoForce?.description ?? "-")  today=\(today)\n"
        if party.entryIntoForce == nil { out += "  no entry into force in the directory: no reports are due\n" }
        for o in obligations { out += "  " + o.description + "\n" }
        if let relay = args.value("--relay") {
            out += held.isEmpty ? "The relay \(relay) holds no initial or annual report from \(code).\n" : "Held by \(relay):\n"
            for m in held { out += "  \(m.id)  \(m.type.rawValue) \(m.year)  \(m.level.rawValue)  \(m.fileName)\n" }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
