import Crypto
import Foundation
import Testing
import TestSupport

/// `att-report directory pull | submit` against live `att-report serve` relays on copies of
/// keys-example: trust on first use, a consistency-checked advance, and refused rollback
/// and forks (docs/FORMATS.md §5.4, §7.1).
@Suite("Directory over HTTP, live", .serialized)
struct DirectoryNetworkCLITests {
    typealias Relay = RelayProcess

    @Test("pull pins and fetches; submit appends; a second pull advances by one; rollback and forks are refused")
    func pullSubmitRollbackFork() async throws {
        let dir = try TempDirectory("dirnet")
        let root = Vectors.packageRoot.appendingPathComponent("keys-example")
        let home = dir.file("home"), source = dir.file("source")
        try FileManager.default.copyItem(at: root.appendingPathComponent("home"), to: home)
        try FileManager.default.copyItem(at: root.appendingPathComponent("directory"), to: source)
        let exampleNames = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".statement") }.sorted()
        let data = dir.file("data")
        let relay = try await Relay(data: data, directory: source, scratch: dir.url)
        let local = dir.path("local")
        func pull(_ url: String) async throws -> ProcessResult {
            try await att(["directory", "pull", "--relay", url, "--directory", local])
        }
        func localNames() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: local).filter { $0.hasSuffix(".statement") }.sorted()
        }

        // First pull into an empty directory: the same entries as keys-example, and a pin.
        let first = try await pull(relay.url)
        try #require(first.status == 0, "\(first)")
        #expect(first.stdoutText.contains("fetched \(exampleNames.count) new statement(s)"), "\(first)")
        #expect(first.stdoutText.contains("pinned (first use"), "\(first)")
        #expect(try localNames() == exampleNames)
        for name in exampleNames {
            #expect(try Data(contentsOf: URL(fileURLWithPath: local).appendingPathComponent(name))
                    == (try Data(contentsOf: source.appendingPathComponent(name))), "\(name)")
        }
        let pinText = try String(contentsOfFile: local + "/pin.txt", encoding: .utf8)
        #expect(pinText.hasPrefix("att-relay.localhost/directory+"), "\(pinText)")

        // Again: nothing new.
        let again = try await attOK(["directory", "pull", "--relay", relay.url, "--directory", local])
        #expect(again.stdoutText.contains("unchanged; fetched 0 new"), "\(again)")

        // A set-preference statement by FRA, countersigned by SEC, submitted.
        let pref = dir.path("pref.statement")
        try await attOK(["directory", "statement", "set-preference", "--party", "FRA", "--preference", "annual=public",
                         "-o", pref, "--home", home.path])
        try await attOK(["directory", "countersign", "--party", "SEC", "--home", home.path, pref])
        let submitted = try await attOK(["directory", "submit", "--relay", relay.url, pref])
        #expect(submitted.stdoutText.contains("index \(exampleNames.count) of \(exampleNames.count + 1)"), "\(submitted)")
        let receipt = try dir.read("pref.statement.tlog-proof")
        // The same statement again gets its receipt again.
        try FileManager.default.removeItem(atPath: pref + ".tlog-proof")
        try await attOK(["directory", "submit", "--relay", relay.url, pref])
        #expect(try TlogProof(parsing: try dir.read("pref.statement.tlog-proof")).index == (try TlogProof(parsing: receipt)).index)

        // A statement the replay refuses (no Secretariat signature): 422, exit 1, the reason.
        let lone = dir.path("lone.statement")
        try await attOK(["directory", "statement", "set-preference", "--party", "FRA", "--preference", "message=public",
                         "-o", lone, "--home", home.path])
        let refused = try await att(["directory", "submit", "--relay", relay.url, lone])
        expectCLIError(refused, status: 1)
        #expect(refused.stderrText.contains("422") && refused.stderrText.contains("not signed by a Secretariat key"), "\(refused)")

        // The second pull fetches exactly the new entry, consistency checked.
        let second = try await attOK(["directory", "pull", "--relay", relay.url, "--directory", local])
        #expect(second.stdoutText.contains("advanced from \(exampleNames.count) to \(exampleNames.count + 1) (consistency proof checked)"), "\(second)")
        #expect(second.stdoutText.contains("fetched 1 new statement(s)"), "\(second)")
        let names = try localNames()
        #expect(names.count == exampleNames.count + 1)
        #expect(try dir.read("local/\(names.last!)") == (try dir.read("pref.statement")))
        let pinned = try dir.read("local/pin.txt")

        // The relay's log keys, for relays that sign as the same log.
        func dataWithSameKeys(_ name: String) throws -> URL {
            let d = dir.file(name)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for key in ["directory.skey", "submissions.skey"] {
                try FileManager.default.copyItem(at: data.appendingPathComponent(key), to: d.appendingPathComponent(key))
            }
            return d
        }
        func expectRefused(_ r: ProcessResult, _ word: String) {
            expectCLIError(r, status: 1, stdoutMayHaveOutput: true)
            #expect(r.stderrText.contains(word), "\(r)")
            #expect(r.stdoutText.contains("--- pinned checkpoint\natt-relay.localhost/directory\n"), "\(r)")
            #expect(r.stdoutText.contains("--- offered checkpoint\n"), "\(r)")
            #expect(r.stdoutText.contains(String(decoding: pinned.drop { $0 != 0x0A }.dropFirst(), as: UTF8.self)), "\(r)")
        }

        // Rollback: the same log key on a prefix of the directory (the example's entries only).
        let scratch2 = try TempDirectory("dirnet-rollback")
        let rollback = try await Relay(data: try dataWithSameKeys("data-rollback"), directory: source, scratch: scratch2.url)
        let rolled = try await pull(rollback.url)
        expectRefused(rolled, "directory rollback")
        #expect(try localNames().count == exampleNames.count + 1)
        #expect(try dir.read("local/pin.txt") == pinned)

        // Fork: the same log key, the same size, another last statement.
        let forkSource = dir.file("fork-source")
        try FileManager.default.copyItem(at: source, to: forkSource)
        let other = dir.path("other.statement")
        try await attOK(["directory", "statement", "set-preference", "--party", "FRA", "--preference", "annual=secretariat",
                         "-o", other, "--home", home.path])
        try await attOK(["directory", "countersign", "--party", "SEC", "--home", home.path, other])
        try FileManager.default.copyItem(atPath: other, toPath: forkSource.appendingPathComponent(names.last!).path)
        let scratch3 = try TempDirectory("dirnet-fork")
        let fork = try await Relay(data: try dataWithSameKeys("data-fork"), directory: forkSource, scratch: scratch3.url)
        let forked = try await pull(fork.url)
        expectRefused(forked, "directory fork")
        #expect(forked.stderrText.contains("same size, different root"), "\(forked)")
        #expect(try dir.read("local/pin.txt") == pinned)

        // Fork: a relay with another directory log key (the same entries).
        let localCopy = dir.file("local-copy")
        try FileManager.default.createDirectory(at: localCopy, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(atPath: local + "/" + name, toPath: localCopy.appendingPathComponent(name).path)
        }
        let scratch4 = try TempDirectory("dirnet-rekeyed")
        let rekeyed = try await Relay(data: dir.file("data-rekeyed"), directory: localCopy, scratch: scratch4.url)
        let rekeyPull = try await pull(rekeyed.url)
        expectRefused(rekeyPull, "directory key")
        #expect(try dir.read("local/pin.txt") == pinned)
        #expect(try localNames().count == exampleNames.count + 1)
    }
}
