import Foundation
import Testing
import TestSupport

/// A live relay over copies of keys-example/home and keys-example/directory, for the
/// workflow commands (contacts, messages, assistance).
struct WorkflowWorld {
    let dir: TempDirectory
    let home: URL
    let directory: URL
    let relay: RelayProcess

    init(_ label: String) async throws {
        dir = try TempDirectory(label)
        let root = Vectors.packageRoot.appendingPathComponent("keys-example")
        home = dir.file("home")
        directory = dir.file("directory")
        try FileManager.default.copyItem(at: root.appendingPathComponent("home"), to: home)
        try FileManager.default.copyItem(at: root.appendingPathComponent("directory"), to: directory)
        relay = try await RelayProcess(data: dir.file("data"), directory: directory, scratch: dir.url)
    }

    /// `command… --relay URL --party PARTY --home HOME --directory DIR rest…` (no --directory for upload)
    func net(_ command: [String], _ party: String, _ rest: [String] = []) -> [String] {
        command + ["--relay", relay.url, "--party", party, "--home", home.path] + (command.last == "upload" ? [] : ["--directory", directory.path]) + rest
    }

    func contactsPath(_ party: String) -> String {
        Vectors.packageRoot.appendingPathComponent("keys-example/contacts/\(party).txt").path
    }

    func json(_ r: ProcessResult) throws -> Any { try JSONSerialization.jsonObject(with: Data(r.stdout)) }
}

/// `att-report contacts list | show | set | upload | export` against a live relay: who may
/// read and upload, every document checked against the directory, a changed document
/// refused until the directory says so, and the exports.
@Suite("Contacts commands, live", .serialized)
struct ContactsCLITests {
    @Test("upload, list, show and export verified documents; signatories and auditors get a clear 403")
    func readAndExport() async throws {
        let w = try await WorkflowWorld("contacts")
        // Uploads: the party itself, the Secretariat for another; refusals name the cause.
        try await attOK(w.net(["contacts", "upload"], "FRA", [w.contactsPath("FRA")]))
        try await attOK(w.net(["contacts", "upload"], "SEC", ["--for", "NGA", w.contactsPath("NGA")]))
        let other = try await att(w.net(["contacts", "upload"], "JPN", ["--for", "FRA", w.contactsPath("FRA")]))
        expectCLIError(other, status: 1)
        #expect(other.stderrText.contains("403"), "\(other)")
        let wrong = try await att(w.net(["contacts", "upload"], "ARG", [w.contactsPath("NGA")]))
        expectCLIError(wrong, status: 1)
        #expect(wrong.stderrText.contains("422") && wrong.stderrText.contains("does not commit to"), "\(wrong)")
        try w.dir.write("broken.txt", "name: Someone\nemail: nobody\nvalid-from: 2025-01-01\n")
        let broken = try await att(w.net(["contacts", "upload"], "ARG", [w.dir.path("broken.txt")]))
        expectCLIError(broken, status: 1)
        #expect(broken.stderrText.contains("line 2"), "\(broken)")

        // A State Party and the Secretariat read both, verified.
        for reader in ["JPN", "SEC"] {
            let list = try await attOK(w.net(["contacts", "list"], reader))
            #expect(list.stdoutText.contains("FRA  France"), "\(list)")
            #expect(list.stdoutText.contains("att-poc@example.nga.invalid"), "\(list)")
            #expect(list.stdoutText.components(separatedBy: "verified: contacts-sha256").count == 3)
        }
        let json = try #require(try w.json(try await attOK(w.net(["contacts", "list"], "MEX", ["--json"]))) as? [String: Any])
        let contacts = json["contacts"] as? [[String: Any]]
        #expect(contacts?.map { $0["party"] as? String } == ["FRA", "NGA"])
        #expect(json["missing"] as? [String] == ["ARG", "AUS", "JPN", "MEX"], "committed to in the directory, not uploaded")
        let fraHash = try await runOK("/usr/bin/sha256sum", [w.contactsPath("FRA")]).stdoutText.prefix(64)
        #expect(contacts?.first?["sha256"] as? String == String(fraHash))
        let show = try await attOK(w.net(["contacts", "show"], "AUS", ["FRA"]))
        #expect(show.stdoutText.contains("    email:      att-poc@example.fra.invalid\n"), "\(show)")
        #expect(show.stdoutText.contains("    address:    Example Street 1, Example City\n"))
        let showJSON = try #require(try w.json(try await attOK(w.net(["contacts", "show"], "AUS", ["FRA", "--json"]))) as? [String: Any])
        #expect((showJSON["contacts"] as? [[String: Any]])?.first?["emails"] as? [String] == ["att-poc@example.fra.invalid"])
        let missing = try await att(w.net(["contacts", "show"], "AUS", ["ARG"]))
        expectCLIError(missing, status: 1)
        #expect(missing.stderrText.contains("no contacts document for ARG"), "\(missing)")

        // Signatories and auditors: one clear line, nothing shown.
        for (party, command) in [("SGP", ["contacts", "list"]), ("XAU", ["contacts", "show"]), ("SGP", ["contacts", "export"])] {
            let extra = command[1] == "show" ? ["FRA"] : command[1] == "export" ? ["--format", "csv"] : []
            let r = try await att(w.net(command, party, extra))
            expectCLIError(r, status: 1)
            #expect(r.stderrText.contains("403") && r.stderrText.contains("States Parties and the Secretariat"), "\(r)")
        }

        // Exports of the verified documents.
        try await attOK(w.net(["contacts", "export"], "SEC", ["--format", "csv", "-o", w.dir.path("poc.csv")]))
        let csv = try w.dir.readText("poc.csv")
        #expect(csv.hasPrefix("party,party_name,name,title,ministry,email,telephone,address,valid_from,valid_until\r\n"))
        #expect(csv.contains("\r\nFRA,France,Example Officer (FRA),Head of Export Control (example),"))
        #expect(csv.components(separatedBy: "\r\n").count == 4)
        let vcard = try await attOK(w.net(["contacts", "export"], "SEC", ["--format", "vcard", "NGA"]))
        #expect(vcard.stdoutText.components(separatedBy: "BEGIN:VCARD\r\nVERSION:4.0\r\n").count == 2, "only NGA")
        #expect(vcard.stdoutText.contains("\r\nORG:Nigeria;Ministry of Foreign Affairs of NGA (example)\r\n"))
        #expect(vcard.stdoutText.contains("\r\nEMAIL:att-poc@example.nga.invalid\r\n"))
        let exists = try await att(w.net(["contacts", "export"], "SEC", ["--format", "csv", "-o", w.dir.path("poc.csv")]))
        expectCLIError(exists, status: 1)
        let usage = try await att(w.net(["contacts", "export"], "SEC", ["--format", "xlsx"]))
        expectCLIError(usage, status: 64)
    }

    @Test("set writes the statement and says what comes next; a changed document is refused until the directory commits to it, and by a stale directory")
    func setAndMismatch() async throws {
        let w = try await WorkflowWorld("contacts-set")
        try await attOK(w.net(["contacts", "upload"], "FRA", [w.contactsPath("FRA")]))

        // A new document: set writes FRA's statement only, with the next steps.
        var text = try String(contentsOfFile: w.contactsPath("FRA"), encoding: .utf8)
        text = text.replacingOccurrences(of: "att-poc@example.fra.invalid", with: "new-poc@example.fra.invalid")
        let doc = try w.dir.write("FRA-new.txt", text)
        let statement = w.dir.path("fra.statement")
        let set = try await attOK(["contacts", "set", "--party", "FRA", "--home", w.home.path, "-o", statement, doc])
        #expect(set.stdoutText.contains("att-report directory countersign --party <SECRETARIAT> \(statement)"), "\(set)")
        #expect(set.stdoutText.contains("att-report directory submit --relay URL \(statement)"))
        #expect(set.stdoutText.contains("att-report contacts upload --relay URL --party FRA \(doc)"))
        let note = try w.dir.readText("fra.statement")
        #expect(note.hasPrefix("att-report/statement/v1\ntype set-contacts\nparty FRA\n"))
        #expect(note.components(separatedBy: "\n— ").count == 2, "one signature, FRA's: \(note)")
        let setJSON = try #require(try w.json(try await attOK(["contacts", "set", "--party", "FRA", "--home", w.home.path, "--json",
                                                               "-o", w.dir.path("again.statement"), doc])) as? [String: Any])
        #expect(setJSON["statement"] as? String == w.dir.path("again.statement"))
        #expect((setJSON["sha256"] as? String)?.count == 64 && (setJSON["next"] as? [String])?.count == 3)
        // It is never replaced; a document that does not parse gets no statement.
        expectCLIError(try await att(["contacts", "set", "--party", "FRA", "--home", w.home.path, "-o", statement, doc]), status: 1)
        try w.dir.write("bad.txt", "name: X\nemail: x@example.invalid\n")
        let bad = try await att(["contacts", "set", "--party", "FRA", "--home", w.home.path, "-o", w.dir.path("bad.statement"), w.dir.path("bad.txt")])
        expectCLIError(bad, status: 1)
        #expect(bad.stderrText.contains("valid-from"), "\(bad)")
        #expect(!w.dir.exists("bad.statement"))

        // Before the statement is in the relay's directory, the upload is refused, with what to do.
        let early = try await att(w.net(["contacts", "upload"], "FRA", [doc]))
        expectCLIError(early, status: 1)
        #expect(early.stderrText.contains("countersign") && early.stderrText.contains("directory submit"), "\(early)")
        // Without the Secretariat's signature the relay's directory refuses the statement.
        let lone = try await att(["directory", "submit", "--relay", w.relay.url, statement])
        expectCLIError(lone, status: 1)
        try await attOK(["directory", "countersign", "--party", "SEC", "--home", w.home.path, statement])
        try await attOK(["directory", "submit", "--relay", w.relay.url, statement])
        let uploaded = try #require(try w.json(try await attOK(w.net(["contacts", "upload"], "FRA", ["--json", doc]))) as? [String: Any])
        #expect(uploaded["party"] as? String == "FRA" && uploaded["contacts"] as? Int == 1)

        // The copy of keys-example's directory still commits to the old document: refused, not shown.
        for command in [["contacts", "show"], ["contacts", "list"]] {
            let stale = try await att(w.net(command, "NGA", command[1] == "show" ? ["FRA"] : []))
            expectCLIError(stale, status: 1)
            #expect(stale.stderrText.contains("FRA's contacts document from the relay does NOT match the directory"), "\(stale)")
            #expect(stale.stderrText.contains("directory pull"))
            #expect(!stale.stdoutText.contains("new-poc"))
        }
        // A directory pulled from the relay commits to the new one.
        let pulled = w.dir.path("pulled")
        try await attOK(["directory", "pull", "--relay", w.relay.url, "--directory", pulled])
        let fresh = try await attOK(["contacts", "show", "FRA", "--relay", w.relay.url, "--party", "NGA", "--home", w.home.path, "--directory", pulled])
        #expect(fresh.stdoutText.contains("email:      new-poc@example.fra.invalid"), "\(fresh)")
        #expect(!fresh.stdoutText.contains("att-poc@example.fra.invalid"))
    }
}
