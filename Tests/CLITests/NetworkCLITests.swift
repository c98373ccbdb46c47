import Crypto
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `att-report submit | inbox | fetch` against a live `att-report serve` on an ephemeral
/// port, with copies of keys-example/home and keys-example/directory.
@Suite("Network commands, live", .serialized)
struct NetworkCLITests {
    typealias Relay = RelayProcess

    @Test("submit, inbox, fetch and open; refusals")
    func roundTrip() async throws {
        let dir = try TempDirectory("network")
        let root = Vectors.packageRoot.appendingPathComponent("keys-example")
        let home = dir.file("home"), directory = dir.file("directory")
        try FileManager.default.copyItem(at: root.appendingPathComponent("home"), to: home)
        try FileManager.default.copyItem(at: root.appendingPathComponent("directory"), to: directory)
        try FileManager.default.copyItem(at: root.appendingPathComponent("annual-report-FRA-2025.csv"),
                                         to: dir.file("annual-report-FRA-2025.csv"))
        let relay = try await Relay(data: dir.file("data"), directory: directory, scratch: dir.url)
        let common = ["--home", home.path]
        func net(_ command: String, party: String, _ rest: [String]) -> [String] {
            [command, "--relay", relay.url, "--party", party] + common + rest
        }

        // Seal as FRA for NGA only, with the CLI.
        let sealed = dir.path("sel.att")
        try await attOK(["seal", "--directory", directory.path, "--party", "FRA", "--type", "annual", "--year", "2025",
                         "--level", "selected", "--to", "NGA", "-o", sealed, dir.path("annual-report-FRA-2025.csv")] + common)
        let signature = try dir.read("sel.att.minisig")
        let id = try #require(String(decoding: signature, as: UTF8.self)
            .split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) })

        // submit: exit 0, a receipt next to the envelope that verifies against the relay's key.
        let submitted = try await attOK(net("submit", party: "FRA", [sealed]))
        #expect(submitted.stderrText.contains(relay.submissionsKey.keyIDHex))
        let proof = try TlogProof(parsing: try dir.read("sel.att.tlog-proof"))
        #expect(throws: Never.self) {
            try proof.verify(leafHash: Merkle.leafHash(SHA256.hash(signature)), origin: relay.submissionsKey.name,
                             logKey: relay.submissionsKey)
        }
        #expect(relay.submissionsKey.name.hasSuffix("/submissions"))

        // inbox: a recipient sees it, a non-recipient does not.
        let nga = try await attOK(net("inbox", party: "NGA", []))
        #expect(nga.stdoutText.contains("id=\(id)"))
        let jpn = try await attOK(net("inbox", party: "JPN", []))
        #expect(!jpn.stdoutText.contains(id))
        let json = try await attOK(net("inbox", party: "NGA", ["--json"]))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]]
        #expect((parsed?.first?["fields"] as? [String: String])?["id"] == id)

        // fetch as a recipient: byte-identical files that open.
        let fetched = dir.path("fetched.att")
        try await attOK(net("fetch", party: "NGA", ["-o", fetched, id]))
        #expect(try dir.read("fetched.att") == (try dir.read("sel.att")))
        #expect(try dir.read("fetched.att.minisig") == signature)
        let opened = try await attOK(["open", "--directory", directory.path, "--party", "NGA", "-o", dir.path("out.csv"), fetched] + common)
        #expect(opened.stdoutText.contains("Verified envelope \(id)"))
        #expect(try dir.read("out.csv") == (try dir.read("annual-report-FRA-2025.csv")))

        // fetch as a non-recipient: 404, one line, nothing written.
        let refused = try await att(net("fetch", party: "JPN", ["-o", dir.path("nope.att"), id]))
        expectCLIError(refused, status: 1)
        #expect(refused.stderrText.contains("404"))
        #expect(!dir.exists("nope.att") && !dir.exists("nope.att.minisig"))

        // A tampered envelope is refused by the relay.
        var bytes = try dir.read("sel.att")
        bytes[bytes.count / 2] ^= 0x01
        try dir.write("bad.att", bytes)
        try dir.write("bad.att.minisig", signature)
        let tampered = try await att(net("submit", party: "FRA", [dir.path("bad.att")]))
        #expect(tampered.status == 1, "\(tampered)")
        #expect(tampered.stderrLines.last?.hasPrefix("att-report: error: ") == true, "\(tampered)")
        #expect(!dir.exists("bad.att.tlog-proof"))

        // The submissions key was pinned on first use, per relay URL; a relay that serves
        // another key later is refused before anything is uploaded (here: the pin is swapped),
        // and so is a key given out of band that is not the served one.
        #expect(submitted.stderrText.contains("pinned on first use"))
        let port = String(relay.url.split(separator: ":").last ?? "")
        let pin = home.appendingPathComponent("relays/127.0.0.1_\(port)/submissions.vkey")
        #expect(try String(contentsOf: pin, encoding: .utf8) == relay.submissionsKey.encoded + "\n")
        try await attOK(["seal", "--directory", directory.path, "--party", "FRA", "--type", "annual", "--year", "2025",
                         "--level", "public", "-o", dir.path("pub.att"), dir.path("annual-report-FRA-2025.csv")] + common)
        let other = try NoteSignerKey.generate(name: relay.submissionsKey.name).verifierKey
        let wrongGiven = try await att(net("submit", party: "FRA", ["--submissions-key", other.encoded, dir.path("pub.att")]))
        expectCLIError(wrongGiven, status: 1)
        #expect(wrongGiven.stderrText.contains("not the one given with --submissions-key"))
        try Data((other.encoded + "\n").utf8).write(to: pin)
        let swapped = try await att(net("submit", party: "FRA", [dir.path("pub.att")]))
        expectCLIError(swapped, status: 1)
        #expect(swapped.stderrText.contains("not the pinned \(other.encoded)"))
        #expect(!dir.exists("pub.att.tlog-proof"))
        try Data((relay.submissionsKey.encoded + "\n").utf8).write(to: pin)
        let again = try await attOK(net("submit", party: "FRA", [dir.path("pub.att")]))
        #expect(again.stderrText.contains("is the pinned one"))

        // Bad relay URLs: one line, exit 1.
        for url in ["not-a-url", "http://127.0.0.1:1"] {
            let r = try await att(["submit", "--relay", url, "--party", "FRA", sealed] + common)
            expectCLIError(r, status: 1)
        }
    }
}
