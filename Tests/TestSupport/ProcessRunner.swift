import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished child process left behind.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public let command: [String]
    public let status: Int32
    /// True if the process was killed by a signal (then `status` is the signal number).
    public let signaled: Bool
    public let stdout: [UInt8]
    public let stderr: [UInt8]

    public var exitedNormally: Bool { !signaled }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// Standard error split into lines (a final newline does not make an empty last line).
    public var stderrLines: [String] { ProcessResult.lines(stderrText) }
    public var stdoutLines: [String] { ProcessResult.lines(stdoutText) }

    static func lines(_ s: String) -> [String] {
        var parts = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// A short account for failure messages.
    public var description: String {
        func clip(_ s: String) -> String { s.count > 2000 ? String(s.prefix(2000)) + "…(\(s.count) chars)" : s }
        let how = signaled ? "killed by signal \(status)" : "exit \(status)"
        return "`\(command.joined(separator: " "))` → \(how)\nstdout: \(clip(stdoutText))\nstderr: \(clip(stderrText))"
    }
}

/// A child process that outlived its time limit; it and its descendants were killed.
public struct ProcessTimeout: Error, CustomStringConvertible {
    public let command: [String]
    public let seconds: Double
    public let stdout: String
    public let stderr: String
    public var description: String {
        "timed out after \(seconds) s (killed): \(command.joined(separator: " "))\nstdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))"
    }
}

/// A program a test needs that is not installed: the test fails with this message.
public struct ToolMissing: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs programs for black-box tests without deadlocks: standard input comes from a file
/// (or /dev/null), standard output and error go to temporary files that are read after
/// exit, and a timeout kills the whole process tree. Each child is started in a new
/// session (via setsid(1)) so it has no controlling terminal and can never block on
/// a /dev/tty prompt.
public enum ProcessRunner {
    public static let defaultTimeout: Double = 120

    public enum Input: Sendable {
        case none
        case bytes([UInt8])
        case file(URL)
    }

    /// Variables removed from the inherited environment so the caller's shell cannot
    /// change what a test sees.
    public static let scrubbedVariables = ["ATT_REPORT_PASSPHRASE", "PTY_PASSPHRASE", "PYRAGE_PASSPHRASE", "ATT_REPORT_BIN"]

    static let setsidPath: String? = {
        for p in ["/usr/bin/setsid", "/bin/setsid"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        return nil
    }()

    /// Finds `name` on PATH (or returns it if it is already a path to an executable).
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Like `which`, but throws `ToolMissing` naming the tool.
    public static func require(_ name: String, hint: String = "") throws -> String {
        guard let p = which(name) else {
            throw ToolMissing("required program \"\(name)\" was not found on PATH\(hint.isEmpty ? "" : " (\(hint))")")
        }
        return p
    }

    public static func run(_ executable: String, _ arguments: [String], stdin: Input = .none,
                           environment: [String: String] = [:], directory: URL? = nil,
                           timeout: Double = defaultTimeout) async throws -> ProcessResult {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("process-runner-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle: FileHandle
        switch stdin {
        case .none:
            inHandle = FileHandle(forReadingAtPath: "/dev/null")!
        case .bytes(let b):
            let inURL = scratch.appendingPathComponent("stdin")
            try Data(b).write(to: inURL)
            inHandle = try FileHandle(forReadingFrom: inURL)
        case .file(let url):
            inHandle = try FileHandle(forReadingFrom: url)
        }
        defer {
            try? outHandle.close(); try? errHandle.close(); try? inHandle.close()
        }

        var env = ProcessInfo.processInfo.environment
        for v in scrubbedVariables { env.removeValue(forKey: v) }
        for (k, v) in environment { env[k] = v }

        let process = Process()
        if let setsid = setsidPath {
            process.executableURL = URL(fileURLWithPath: setsid)
            process.arguments = ["-w", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = inHandle
        process.standardOutput = outHandle
        process.standardError = errHandle

        let state = RunState()
        let command = [executable] + arguments
        let (status, reason): (Int32, Process.TerminationReason) = try await withCheckedThrowingContinuation { cont in
            process.terminationHandler = { p in
                state.markFinished()
                cont.resume(returning: (p.terminationStatus, p.terminationReason))
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                cont.resume(throwing: error)
                return
            }
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if state.markTimedOutIfRunning() { killTree(pid) }
            }
        }
        try? outHandle.close(); try? errHandle.close()
        let out = [UInt8]((try? Data(contentsOf: outURL)) ?? Data())
        let err = [UInt8]((try? Data(contentsOf: errURL)) ?? Data())
        if state.timedOut {
            throw ProcessTimeout(command: command, seconds: timeout,
                                 stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
        }
        return ProcessResult(command: command, status: status, signaled: reason == .uncaughtSignal, stdout: out, stderr: err)
    }

    /// SIGKILLs `pid` and all its descendants (found through /proc), children first.
    static func killTree(_ pid: pid_t) {
        var all: [pid_t] = []
        var queue = [pid]
        while let p = queue.popLast() {
            all.append(p)
            let taskDir = "/proc/\(p)/task"
            for tid in (try? FileManager.default.contentsOfDirectory(atPath: taskDir)) ?? [] {
                guard let text = try? String(contentsOfFile: "\(taskDir)/\(tid)/children", encoding: .utf8) else { continue }
                queue += text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
        for p in all.reversed() { kill(p, SIGKILL) }
    }
}

/// Whether a run finished or timed out, shared between the termination handler and the
/// timeout timer.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    private var timedOutFlag = false

    func markFinished() { lock.lock(); finished = true; lock.unlock() }

    /// Returns true (and records the timeout) only if the process has not finished yet.
    func markTimedOutIfRunning() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if finished { return false }
        timedOutFlag = true
        return true
    }

    var timedOut: Bool { lock.lock(); defer { lock.unlock() }; return timedOutFlag }
}
