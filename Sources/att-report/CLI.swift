import Crypto
import Foundation

/// Exit codes (sysexits.h's EX_USAGE for usage errors).
enum ExitCode {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
}

/// A usage error: bad flags or arguments. Printed with a hint to use --help, exit 64.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A failure with a message already fit for the user. Exit 1.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
    /// The command printed its own verdict (to stdout); exit 1 without another line.
    static let alreadyReported = Failure("")
}

/// Printed to stdout, exit 0.
struct HelpRequest: Error { let text: String }

protocol Command {
    static var name: String { get }
    static var summary: String { get }
    static var usage: String { get }
    static var options: [Option] { get }
    static func run(_ args: ParsedArguments) throws
}

enum CLI {
    static var groups: [(name: String, summary: String, commands: [Command.Type])] { [
        ("age", "age v1 encryption (byte-compatible with age)", [AgeKeygen.self, AgeEncrypt.self, AgeDecrypt.self]),
        ("minisign", "minisign signatures (byte-compatible with minisign)", [MinisignKeygen.self, MinisignSign.self, MinisignVerify.self]),
        ("directory", "the key directory: signed statements about parties", [DirectoryStatement.self, DirectoryCountersign.self,
            DirectoryAppend.self, DirectoryShow.self, DirectoryWatchCommand.self, DirectoryVerifyEnrolment.self,
            DirectoryPull.self, DirectorySubmit.self]),
        ("report", "structured ATT reports: templates, validation, conversion, sealing per form", [ReportNew.self, ReportValidate.self, ReportConvert.self, ReportSeal.self]),
        ("contacts", "national points of contact, checked against the directory", [ContactsList.self, ContactsShow.self, ContactsSet.self,
            ContactsUpload.self, ContactsExportCommand.self]),
        ("message", "secure messages (att-report send sends one)", [MessageRead.self]),
        ("assistance", "requests for and offers of assistance (Article 16)", [AssistanceRequest.self, AssistanceOffer.self,
            AssistanceWithdraw.self, AssistanceList.self, AssistanceMatchCommand.self, AssistanceDetailsCommand.self]),
    ] }

    /// Commands without a group: the report workflow.
    static var topCommands: [Command.Type] { [Keygen.self, Seal.self, Open.self, Verify.self, Inspect.self, Serve.self, Submit.self, Fetch.self, Inbox.self, Send.self, Status.self, AuditCommand.self] }

    static var topUsage: String {
        var s = "att-report: secure report exchange for Arms Trade Treaty States Parties\n\nUsage: att-report <command> [options]\n       att-report <group> <command> [options]\n\n"
        for c in topCommands { s += "  \(c.name)\t\(c.summary)\n" }
        s += "\n"
        for g in groups {
            s += "  \(g.name)\t\(g.summary)\n"
            for c in g.commands { s += "    \(g.name) \(c.name)\t\(c.summary)\n" }
        }
        s += "\nRun 'att-report <command> --help' or 'att-report <group> <command> --help' for options.\n"
        return s.replacingOccurrences(of: "\t", with: "  ")
    }

    static func run(_ argv: [String]) -> Int32 {
        do {
            try dispatch(argv)
            return ExitCode.success
        } catch let h as HelpRequest {
            FileHandle.standardOutput.write(Data(h.text.utf8))
            return ExitCode.success
        } catch let u as UsageError {
            printError("\(u.description) (see --help)")
            return ExitCode.usage
        } catch {
            if let f = error as? Failure, f.description.isEmpty { return ExitCode.failure }
            printError(message(for: error))
            return ExitCode.failure
        }
    }

    static func dispatch(_ argv: [String]) throws {
        guard let first = argv.first else { throw UsageError("no command given") }
        if first == "--help" || first == "-h" || first == "help" { throw HelpRequest(text: topUsage) }
        if let command = topCommands.first(where: { $0.name == first }) {
            let parsed = try ParsedArguments(Array(argv.dropFirst()), options: command.options,
                                             help: "Usage: att-report \(command.name) \(command.usage)\n\n\(command.summary)\n\n" + Option.describe(command.options))
            return try command.run(parsed)
        }
        guard let group = groups.first(where: { $0.name == first }) else { throw UsageError("unknown command \"\(first)\"") }
        guard argv.count > 1 else { throw UsageError("\(group.name): no command given") }
        if argv[1] == "--help" || argv[1] == "-h" {
            var text = "Usage: att-report \(group.name) <command> [options]\n\n\(group.summary)\n\n"
            for c in group.commands { text += "  \(group.name) \(c.name) \(c.usage)\n      \(c.summary)\n" }
            throw HelpRequest(text: text + "\nRun 'att-report \(group.name) <command> --help' for a command's options.\n")
        }
        guard let command = group.commands.first(where: { $0.name == argv[1] }) else {
            throw UsageError("unknown command \"\(group.name) \(argv[1])\"")
        }
        let parsed = try ParsedArguments(Array(argv.dropFirst(2)), options: command.options,
                                         help: "Usage: att-report \(group.name) \(command.name) \(command.usage)\n\n\(command.summary)\n\n" + Option.describe(command.options))
        try command.run(parsed)
    }

    /// One line, no secrets, no backtrace.
    static func message(for error: Error) -> String {
        switch error {
        case let e as CustomStringConvertible: return e.description
        default: return "\(error)"
        }
    }

    static func printError(_ text: String) {
        let line = "att-report: error: " + text.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A command-line option.
struct Option {
    let names: [String]        // e.g. ["-o", "--output"]
    let value: String?         // placeholder if it takes a value
    let repeatable: Bool
    let help: String

    init(_ names: [String], value: String? = nil, repeatable: Bool = false, help: String) {
        self.names = names; self.value = value; self.repeatable = repeatable; self.help = help
    }

    static func describe(_ options: [Option]) -> String {
        var s = "Options:\n"
        for o in options {
            let left = o.names.joined(separator: ", ") + (o.value.map { " \($0)" } ?? "")
            s += "  " + left.padding(toLength: max(left.count, 26), withPad: " ", startingAt: 0) + "  " + o.help + "\n"
        }
        s += "  " + "-h, --help".padding(toLength: 26, withPad: " ", startingAt: 0) + "  show this help\n"
        return s
    }
}

/// Parsed flags and positionals. Flags are keyed by their first name.
struct ParsedArguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    init(_ argv: [String], options: [Option], help: String) throws {
        var i = 0
        var onlyPositionals = false
        func find(_ name: String) -> Option? { options.first { $0.names.contains(name) } }
        while i < argv.count {
            let a = argv[i]
            i += 1
            if onlyPositionals || a == "-" || !a.hasPrefix("-") { positionals.append(a); continue }
            if a == "--" { onlyPositionals = true; continue }
            if a == "-h" || a == "--help" { throw HelpRequest(text: help) }
            var name = a, inline: String?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq]); inline = String(a[a.index(after: eq)...])
            }
            guard let opt = find(name) else { throw UsageError("unknown option \(name)") }
            let key = opt.names[0]
            if opt.value != nil {
                let v: String
                if let inline { v = inline } else {
                    guard i < argv.count else { throw UsageError("\(name) needs a value") }
                    v = argv[i]; i += 1
                }
                if !opt.repeatable, values[key] != nil { throw UsageError("\(name) given more than once") }
                values[key, default: []].append(v)
            } else {
                guard inline == nil else { throw UsageError("\(name) takes no value") }
                flags.insert(key)
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.first }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }

    /// At most `max` positionals.
    func positionals(max: Int) throws -> [String] {
        guard positionals.count <= max else { throw UsageError("too many arguments: \(positionals.joined(separator: " "))") }
        return positionals
    }
}
