import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A running `att-report serve`. Standard output and error go to files; the banner is
/// read from the output file once the `url` line (printed after listening) is there.
public final class RelayProcess {
    public let process: Process
    public let output: URL
    public let errors: URL
    public let url: String
    public let submissionsKey: NoteVerifierKey
    public let directoryKey: NoteVerifierKey

    public static func binary() throws -> String {
        // $ATT_REPORT_BIN, as the CLI tests use, so that a build in another scratch path can be tested.
        let path = ProcessInfo.processInfo.environment["ATT_REPORT_BIN"]
            ?? Vectors.packageRoot.appendingPathComponent(".build/debug/att-report").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ToolMissing("the att-report binary was not found at \(path) (run `swift build` first)")
        }
        return path
    }

    public init(data: URL, directory: URL, scratch: URL) async throws {
        output = scratch.appendingPathComponent("stdout-\(UUID().uuidString)")
        errors = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["serve", "--port", "0", "--data", data.path, "--directory", directory.path]
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()

        let deadline = Date().addingTimeInterval(20)
        var lines: [String: String] = [:]
        while lines["url"] == nil {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                if parts.count == 2 { lines[parts[0]] = parts[1] }
            }
            if lines["url"] != nil { break }
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { process.terminate() }
                let err = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                throw RelayFailed(description: "att-report serve did not print its URL; stdout: \(text) stderr: \(err)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        url = lines["url"]!
        submissionsKey = try NoteVerifierKey(parsing: lines["submissions-key"] ?? "")
        directoryKey = try NoteVerifierKey(parsing: lines["directory-key"] ?? "")
    }

    public var stderrText: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

    /// The files the relay holds open under `directory` (from /proc/<pid>/fd), named or not:
    /// an unnamed (O_TMPFILE) file shows as `<directory>/#<inode> (deleted)`.
    public func openFiles(under directory: String) -> [String] {
        let fds = "/proc/\(process.processIdentifier)/fd"
        let prefix = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path + "/"
        return ((try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? []).compactMap {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fds)/\($0)") else { return nil }
            return target.hasPrefix(prefix) ? target : nil
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the seconds it took and the status.
    public func stop(timeout: Double = 10) async throws -> (seconds: Double, status: Int32) {
        let start = Date()
        process.terminate()
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                kill(process.processIdentifier, SIGKILL)
                throw RelayFailed(description: "att-report serve did not stop within \(timeout) s after SIGTERM")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        return (Date().timeIntervalSince(start), process.terminationStatus)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

public struct RelayFailed: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
