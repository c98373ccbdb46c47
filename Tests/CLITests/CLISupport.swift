import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The att-report binary under test and the external tools, with helpers to run them.
enum Tools {
    /// `.build/debug/att-report`, or $ATT_REPORT_BIN. Missing → the test fails (not skips).
    static func attReport() throws -> String {
        let env = ProcessInfo.processInfo.environment["ATT_REPORT_BIN"]
        let path = env ?? Vectors.packageRoot.appendingPathComponent(".build/debug/att-report").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ToolMissing("the att-report binary was not found at \(path)"
                + (env == nil ? " (run `swift build` first, or set ATT_REPORT_BIN)" : " (from ATT_REPORT_BIN)"))
        }
        return path
    }

    static func age() throws -> String { try ProcessRunner.require("age", hint: "apt-get install age") }
    static func ageKeygen() throws -> String { try ProcessRunner.require("age-keygen", hint: "apt-get install age") }
    static func minisign() throws -> String { try ProcessRunner.require("minisign", hint: "apt-get install minisign") }
    static func python3() throws -> String { try ProcessRunner.require("python3") }
}

/// The passphrase every att-report child gets unless a test gives another. Setting it
/// always means no child ever wants a terminal.
let defaultPassphrase = "default-test-passphrase-never-used-for-real"

/// Runs att-report with `args`. `passphrase` becomes $ATT_REPORT_PASSPHRASE.
@discardableResult
func att(_ args: [String], stdin: ProcessRunner.Input = .none, passphrase: String = defaultPassphrase,
         in directory: URL? = nil, timeout: Double = ProcessRunner.defaultTimeout) async throws -> ProcessResult {
    try await ProcessRunner.run(try Tools.attReport(), args, stdin: stdin,
                                environment: ["ATT_REPORT_PASSPHRASE": passphrase], directory: directory, timeout: timeout)
}

/// Runs att-report and requires exit 0 with nothing on standard error except notes
/// (such as "Public key: …"), returning the result.
@discardableResult
func attOK(_ args: [String], stdin: ProcessRunner.Input = .none, passphrase: String = defaultPassphrase,
           in directory: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
    let r = try await att(args, stdin: stdin, passphrase: passphrase, in: directory)
    try #require(r.status == 0 && r.exitedNormally, "att-report failed: \(r)", sourceLocation: sourceLocation)
    #expect(!r.stderrText.contains("error"), "unexpected error output: \(r)", sourceLocation: sourceLocation)
    return r
}

/// Runs an external program and requires exit 0.
@discardableResult
func runOK(_ executable: String, _ args: [String], stdin: ProcessRunner.Input = .none,
           environment: [String: String] = [:], in directory: URL? = nil,
           sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
    let r = try await ProcessRunner.run(executable, args, stdin: stdin, environment: environment, directory: directory)
    try #require(r.status == 0 && r.exitedNormally, "command failed: \(r)", sourceLocation: sourceLocation)
    return r
}

/// Text that must never reach a user: signs of a crash or a Swift backtrace.
let crashMarkers = ["Fatal error", "fatal error", "Stack dump", "backtrace", "Backtrace", "Crash", "💣",
                    "Current stack trace", "Illegal instruction", "Segmentation fault", "Swift runtime failure",
                    "0x0000", "did not exit normally"]

/// Checks the CLI's error contract: the exit code, exactly one line on standard error that
/// starts with "att-report: error: ", no crash text, and nothing on standard output.
func expectCLIError(_ r: ProcessResult, status: Int32, stdoutMayHaveOutput: Bool = false,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.exitedNormally, "killed by a signal: \(r)", sourceLocation: sourceLocation)
    #expect(r.status == status, "expected exit \(status): \(r)", sourceLocation: sourceLocation)
    let lines = r.stderrLines
    #expect(lines.count == 1, "expected exactly one stderr line: \(r)", sourceLocation: sourceLocation)
    #expect(lines.first?.hasPrefix("att-report: error: ") == true, "stderr must start with the error prefix: \(r)",
            sourceLocation: sourceLocation)
    #expect((lines.first?.count ?? 0) > "att-report: error: ".count + 3, "the error message is empty: \(r)",
            sourceLocation: sourceLocation)
    #expect(r.stderrText.hasSuffix("\n"), "the error line must end with a newline: \(r)", sourceLocation: sourceLocation)
    for marker in crashMarkers {
        #expect(!r.stderrText.contains(marker), "stderr contains \"\(marker)\": \(r)", sourceLocation: sourceLocation)
    }
    if !stdoutMayHaveOutput {
        #expect(r.stdout.isEmpty, "nothing should be written to stdout on error: \(r)", sourceLocation: sourceLocation)
    }
}

/// A fresh directory under the system temporary directory, removed when released.
final class TempDirectory: Sendable {
    let url: URL

    init(_ label: String = "cli") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("att-report-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: file(name))
        return path(name)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: file(name))) }
    func readText(_ name: String) throws -> String { String(decoding: try read(name), as: UTF8.self) }
    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// Sorted names in the directory, hidden files included.
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

    /// Permission bits of a file.
    func mode(_ name: String) throws -> Int {
        let attrs = try FileManager.default.attributesOfItem(atPath: path(name))
        return (attrs[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Installs one of the InteropScripts and returns its path.
    func script(_ text: String, as name: String) throws -> String { try InteropScripts.install(text, as: name, in: url) }
}

/// Cryptographically random bytes (the content of the plaintexts).
func randomBytes(_ count: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = g.next()
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return out
}

/// A message for two byte arrays that should be equal, without dumping megabytes.
func describeMismatch(_ a: [UInt8], _ b: [UInt8]) -> String {
    let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    return "lengths \(a.count) vs \(b.count), first difference at byte \(first)"
}

/// Parses "Public key: age1…" from keygen's standard error.
func publicKeyNote(_ r: ProcessResult) -> String? {
    for line in r.stderrLines where line.hasPrefix("Public key: ") {
        return String(line.dropFirst("Public key: ".count))
    }
    return nil
}

/// An age X25519 identity: the text of its identity file and its recipient.
struct AgeKey: Sendable {
    let identityFile: String
    let recipient: String
}
