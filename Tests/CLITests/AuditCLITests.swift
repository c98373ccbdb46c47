import Crypto
import Foundation
import Testing
import TestSupport

/// `att-report audit` against live relays: a clean audit pins both logs; a later one checks
/// that they only grew; a tampered envelope, a relay that lost its history, and one that
/// forked it (same keys, other entries) are each caught, with the evidence printed.
@Suite("Audit, live", .serialized)
struct AuditCLITests {
    struct World {
        let dir: TempDirectory
        let home: URL
        let directory: URL

        init() throws {
            dir = try TempDirectory("audit")
            let root = Vectors.packageRoot.appendingPathComponent("keys-example")
            home = dir.file("home")
            directory = dir.file("directory")
            try FileManager.default.copyItem(at: root.appendingPathComponent("home"), to: home)
            try FileManager.default.copyItem(at: root.appendingPathComponent("directory"), to: directory)
            try FileManager.default.copyItem(at: root.appendingPathComponent("annual-report-FRA-2025.csv"), to: dir.file("report.csv"))
            try FileManager.default.createDirectory(at: dir.file("receipts"), withIntermediateDirectories: false)
        }

        /// Seals `name` in receipts/ as `party` at `level` and submits it (the receipt lands next to it).
        func submit(_ relay: RelayProcess, _ name: String, party: String, level: [String]) async throws {
            let sealed = dir.path("receipts/\(name)")
            try await attOK(["seal", "--home", home.path, "--directory", directory.path, "--party", party, "--type", "annual",
                             "--year", "2025", "-o", sealed] + level + [dir.path("report.csv")])
            try await attOK(["submit", "--relay", relay.url, "--party", party, "--home", home.path, sealed])
        }

        func audit(_ relay: RelayProcess, _ extra: [String] = []) async throws -> ProcessResult {
            try await att(["audit", "--relay", relay.url, "--state", dir.path("state"), "--receipts", dir.path("receipts")] + extra)
        }
    }

    @Test("clean audits pin and extend; tampering, a lost history and a fork are violations with evidence")
    func audit() async throws {
        let w = try World()
        let data = w.dir.file("data")
        var relay = try await RelayProcess(data: data, directory: w.directory, scratch: w.dir.url)
        try await w.submit(relay, "fra-public.att", party: "FRA", level: ["--level", "public"])
        try await w.submit(relay, "nga-fra.att", party: "NGA", level: ["--level", "selected", "--to", "FRA"])
        try await w.submit(relay, "jpn-sp.att", party: "JPN", level: ["--level", "states-parties"])

        // First audit, anonymous: pins both logs, verifies the public envelope, checks the three receipts.
        let first = try await w.audit(relay)
        #expect(first.status == 0, "\(first)")
        #expect(first.stdoutText.contains("pinned now (first use: compare key id \(relay.submissionsKey.keyIDHex)"))
        #expect(first.stdoutText.contains("submissions log: 3 entries"))
        #expect(first.stdoutText.contains("1 envelopes re-verified, 3 of 3 receipts checked"))
        #expect(first.stdoutText.contains("Verdict: OK"))
        #expect(try w.dir.readText("state/submissions.vkey") == relay.submissionsKey.encoded + "\n")

        // As FRA it may re-verify the one sent to it too; the pins advance with the log.
        try await w.submit(relay, "fra-sec.att", party: "FRA", level: ["--level", "secretariat"])
        let second = try await w.audit(relay, ["--party", "FRA", "--home", w.home.path, "--json"])
        #expect(second.status == 0, "\(second)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout)) as? [String: Any])
        #expect(json["verdict"] as? String == "ok")
        #expect(json["envelopesVerified"] as? Int == 4, "the public one, NGA's to FRA, JPN's to all States Parties, FRA's own")
        #expect(json["receiptsChecked"] as? Int == 4)
        #expect(((json["logs"] as? [String: Any])?["submissions"] as? [String: Any])?["size"] as? Int == 4)

        // A key given out of band that is not the pinned one is refused before anything.
        let otherKey = try NoteSignerKey.generate(name: relay.submissionsKey.name).verifierKey
        let refused = try await w.audit(relay, ["--submissions-key", otherKey.encoded])
        expectCLIError(refused, status: 1)
        #expect(refused.stderrText.contains("is not the key pinned"))

        // The relay's copy of the public envelope is altered on disk: its outer signature fails.
        let sealed = try w.dir.read("receipts/fra-public.att")
        let stored = data.appendingPathComponent("envelopes/\(hexString(SHA256.hash(sealed))).sealed")
        var altered = sealed
        altered[altered.count - 20] ^= 0x01
        try Data(altered).write(to: stored)
        let tampered = try await w.audit(relay)
        #expect(tampered.status == 1)
        #expect(tampered.stdoutText.contains("Verdict: VIOLATION, 1 finding"), "\(tampered)")
        #expect(tampered.stdoutText.contains("- outer-signature-invalid envelope "))
        #expect(tampered.stderrText.isEmpty, "the verdict is the output: \(tampered.stderrText)")
        try Data(sealed).write(to: stored)
        #expect(try await w.audit(relay).status == 0)
        _ = try await relay.stop()

        // The same log keys over a new, empty store: the history is gone.
        let forkData = w.dir.file("fork")
        try FileManager.default.createDirectory(at: forkData, withIntermediateDirectories: false)
        for key in ["submissions.skey", "directory.skey"] {
            try FileManager.default.copyItem(at: data.appendingPathComponent(key), to: forkData.appendingPathComponent(key))
        }
        try FileManager.default.copyItem(at: w.dir.file("state"), to: w.dir.file("state-before-fork"))
        relay = try await RelayProcess(data: forkData, directory: w.directory, scratch: w.dir.url)
        let lost = try await w.audit(relay)
        #expect(lost.status == 1)
        #expect(lost.stdoutText.contains("- rollback submissions log: the relay has no checkpoint; 4 entries are pinned"), "\(lost.stdoutText)")

        // Four other envelopes: the same size as pinned, another root. A fork, shown with both signed checkpoints.
        try FileManager.default.createDirectory(at: w.dir.file("receipts-fork"), withIntermediateDirectories: false)
        for i in 0..<4 {
            let name = "receipts-fork/other-\(i).att"
            try await attOK(["seal", "--home", w.home.path, "--directory", w.directory.path, "--party", "MEX", "--type", "annual",
                             "--year", "2025", "--level", "public", "-o", w.dir.path(name), w.dir.path("report.csv")])
            try await attOK(["submit", "--relay", relay.url, "--party", "MEX", "--home", w.home.path, w.dir.path(name)])
        }
        let forked = try await w.audit(relay)
        #expect(forked.status == 1)
        let out = forked.stdoutText
        #expect(out.contains("- fork submissions log: the checkpoint does not extend the pinned one (same size, different root)"), "\(out)")
        #expect(out.components(separatedBy: "    | \(relay.submissionsKey.name)\n    | 4\n").count == 3, "both notes, verbatim")
        // The receipts the first relay gave cannot be matched by the forked log either.
        #expect(!out.contains("4 of 4 receipts checked"))
        // The pins did not move: a second look still sees the fork.
        #expect(try w.dir.read("state/submissions.checkpoint") == (try w.dir.read("state-before-fork/submissions.checkpoint")))
        _ = try await relay.stop()
    }
}
