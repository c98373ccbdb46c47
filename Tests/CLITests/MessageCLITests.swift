import Foundation
import Testing
import TestSupport

/// `att-report send`, `message read`, and messages in `inbox` against a live relay: the
/// subject and the attachment's name never reach the relay; only recipients read; the
/// attachment lands under its own name and nowhere else.
@Suite("Message commands, live", .serialized)
struct MessageCLITests {
    @Test("send, inbox with reports, fetch and read; the relay sees neither subject nor file name; non-recipients cannot read")
    func sendAndRead() async throws {
        let w = try await WorkflowWorld("message")
        let attachment = randomBytes(100_000) + Array("tail".utf8)
        try w.dir.write("Briefing note (draft).pdf", attachment)
        let subject = "Consultations on end-user certificates: 5 May"
        let sent = try await attOK(w.net(["send"], "FRA", ["--to", "NGA,ARG", "--subject", subject, "--json",
                                                            "-o", w.dir.path("msg.att"), w.dir.path("Briefing note (draft).pdf")]))
        let json = try #require(try w.json(sent) as? [String: Any])
        let id = try #require(json["id"] as? String)
        #expect(sent.stderrText.contains("pinned on first use (key id \(w.relay.submissionsKey.keyIDHex)"), "\(sent)")
        #expect(json["to"] as? [String] == ["ARG", "FRA", "NGA"], "the sender can read its own")
        #expect(w.dir.exists("msg.att.tlog-proof"), "the receipt is kept next to it")

        // What the relay sees: the manifest, with a neutral file name and no subject.
        let comment = try w.dir.readText("msg.att.minisig")
        #expect(comment.contains("id=\(id) from=FRA") && comment.contains("type=message") && comment.contains("level=selected to=ARG,FRA,NGA"))
        #expect(comment.contains("file=message.txt "))
        for secret in ["Briefing", "draft", "Consultations", "certificates"] {
            #expect(!comment.contains(secret), "\(secret) in the manifest")
            #expect(!(try w.dir.readText("msg.att")).contains(secret), "\(secret) in the sealed file")
        }

        // A report and the message, together in the inbox of a recipient.
        try FileManager.default.copyItem(at: Vectors.packageRoot.appendingPathComponent("keys-example/annual-report-FRA-2025.csv"),
                                         to: w.dir.file("annual-report-FRA-2025.csv"))
        try await attOK(["seal", "--home", w.home.path, "--directory", w.directory.path, "--party", "FRA", "--type", "annual", "--year", "2025",
                         "--level", "selected", "--to", "NGA", "-o", w.dir.path("report.att"), w.dir.path("annual-report-FRA-2025.csv")])
        try await attOK(["submit", "--relay", w.relay.url, "--party", "FRA", "--home", w.home.path, w.dir.path("report.att")])
        let inbox = try await attOK(["inbox", "--relay", w.relay.url, "--party", "NGA", "--home", w.home.path])
        #expect(inbox.stdoutLines.count == 2, "\(inbox)")
        #expect(inbox.stdoutText.contains("id=\(id) from=FRA") && inbox.stdoutText.contains("type=message"))
        #expect(inbox.stdoutText.contains("type=annual year=2025"))
        let jpnInbox = try await attOK(["inbox", "--relay", w.relay.url, "--party", "JPN", "--home", w.home.path])
        #expect(jpnInbox.stdoutText.isEmpty, "\(jpnInbox)")

        // A recipient fetches and reads it: subject printed, attachment under its name.
        try await attOK(["fetch", "--relay", w.relay.url, "--party", "NGA", "--home", w.home.path, "-o", w.dir.path("got.att"), id])
        try FileManager.default.createDirectory(at: w.dir.file("nga"), withIntermediateDirectories: false)
        let read = try await attOK(["message", "read", "--party", "NGA", "--home", w.home.path, "--directory", w.directory.path,
                                    "-o", w.dir.path("nga"), w.dir.path("got.att")])
        #expect(read.stdoutText.contains("  subject: \(subject)\n"), "\(read)")
        #expect(read.stdoutText.contains("Message \(id) from FRA"))
        #expect(try w.dir.listing().contains("nga"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("nga")) == ["Briefing note (draft).pdf"])
        #expect(try w.dir.read("nga/Briefing note (draft).pdf") == attachment)
        // Never over an existing file; the original stays.
        let again = try await att(["message", "read", "--party", "NGA", "--home", w.home.path, "--directory", w.directory.path,
                                   "-o", w.dir.path("nga"), w.dir.path("got.att")])
        expectCLIError(again, status: 1)
        #expect(try w.dir.read("nga/Briefing note (draft).pdf") == attachment)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("nga")).count == 1, "no temporary file left")
        // --json, as ARG.
        try FileManager.default.createDirectory(at: w.dir.file("arg"), withIntermediateDirectories: false)
        let argRead = try #require(try w.json(try await attOK(["message", "read", "--party", "ARG", "--home", w.home.path, "--directory",
                                                               w.directory.path, "-o", w.dir.path("arg"), "--json", w.dir.path("msg.att")])) as? [String: Any])
        #expect(argRead["subject"] as? String == subject)
        #expect(argRead["file"] as? String == "Briefing note (draft).pdf")
        #expect(argRead["size"] as? Int == attachment.count)
        // `open` gives the payload itself: the header, then the attachment.
        let payload = w.dir.path("payload.bin")
        try await attOK(["open", "--party", "ARG", "--home", w.home.path, "--directory", w.directory.path, "-o", payload, w.dir.path("msg.att")])
        #expect(try w.dir.read("payload.bin") == Array("att-report/message/v1\nsubject: \(subject)\nfile: Briefing note (draft).pdf\n\n".utf8) + attachment)

        // Not a recipient: the relay says 404, and the envelope itself does not open.
        let fetchJPN = try await att(["fetch", "--relay", w.relay.url, "--party", "JPN", "--home", w.home.path, "-o", w.dir.path("jpn.att"), id])
        expectCLIError(fetchJPN, status: 1)
        #expect(fetchJPN.stderrText.contains("404"))
        try FileManager.default.createDirectory(at: w.dir.file("jpn"), withIntermediateDirectories: false)
        let readJPN = try await att(["message", "read", "--party", "JPN", "--home", w.home.path, "--directory", w.directory.path,
                                     "-o", w.dir.path("jpn"), w.dir.path("msg.att")])
        expectCLIError(readJPN, status: 1)
        #expect(readJPN.stderrText.contains("not a recipient"), "\(readJPN)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("jpn")).isEmpty)

        // A report is not a message.
        let notMessage = try await att(["message", "read", "--party", "NGA", "--home", w.home.path, "--directory", w.directory.path,
                                        "-o", w.dir.path("nga"), w.dir.path("report.att")])
        expectCLIError(notMessage, status: 1)
        #expect(notMessage.stderrText.contains("not a message"), "\(notMessage)")
    }

    @Test("send refuses bad names, subjects and recipients before sealing; a crafted message naming ../ writes nothing")
    func refusals() async throws {
        let w = try await WorkflowWorld("message-refusals")
        try w.dir.write("note.txt", "hello\n")
        for (extra, status) in [(["--name", "../evil.txt"], Int32(64)), (["--name", ".hidden"], 64), (["--subject", "bell\u{07}"], 64),
                                (["--name", "invoice\u{202E}fdp.exe"], 64), (["--to", "NGA,xx"], 64)] {
            var args = ["--to", "NGA", "--subject", "s", "-o", w.dir.path("bad.att")]
            for i in stride(from: 0, to: extra.count, by: 2) {
                if let at = args.firstIndex(of: extra[i]) { args[at + 1] = extra[i + 1] } else { args += [extra[i], extra[i + 1]] }
            }
            let r = try await att(w.net(["send"], "FRA", args + [w.dir.path("note.txt")]))
            expectCLIError(r, status: status)
            #expect(!w.dir.exists("bad.att") && !w.dir.exists("bad.att.minisig"), "\(extra)")
        }
        // A party that is not in the directory: nothing sealed, nothing sent.
        let unknown = try await att(w.net(["send"], "FRA", ["--to", "DEU", "--subject", "s", "-o", w.dir.path("deu.att"), w.dir.path("note.txt")]))
        expectCLIError(unknown, status: 1)
        #expect(unknown.stderrText.contains("DEU"), "\(unknown)")
        #expect(!w.dir.exists("deu.att"))

        // The relay's submissions key is pinned on first use, as submit pins it; another key later is refused before sealing.
        try await attOK(w.net(["send"], "FRA", ["--to", "NGA", "--subject", "s", "-o", w.dir.path("first.att"), w.dir.path("note.txt")]))
        let relays = w.home.appendingPathComponent("relays")
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: relays.path).first)
        let pin = relays.appendingPathComponent(folder).appendingPathComponent("submissions.vkey")
        #expect(try String(contentsOf: pin, encoding: .utf8) == w.relay.submissionsKey.encoded + "\n")
        try Data((w.relay.directoryKey.encoded + "\n").utf8).write(to: pin)
        let changed = try await att(w.net(["send"], "FRA", ["--to", "NGA", "--subject", "s", "-o", w.dir.path("second.att"), w.dir.path("note.txt")]))
        expectCLIError(changed, status: 1)
        #expect(changed.stderrText.contains("not the pinned"), "\(changed)")
        #expect(!w.dir.exists("second.att"))

        // A message sealed by hand whose header names a path outside the folder.
        for name in ["../escape.txt", "sub/escape.txt", ".."] {
            try? FileManager.default.removeItem(at: w.dir.file("message.txt"))
            try? FileManager.default.removeItem(at: w.dir.file("crafted.att"))
            try? FileManager.default.removeItem(at: w.dir.file("crafted.att.minisig"))
            try w.dir.write("message.txt", "att-report/message/v1\nsubject: hi\nfile: \(name)\n\nowned\n")
            try await attOK(["seal", "--home", w.home.path, "--directory", w.directory.path, "--party", "FRA", "--type", "message", "--year", "2026",
                             "--level", "selected", "--to", "NGA", "-o", w.dir.path("crafted.att"), w.dir.path("message.txt")])
            let out = w.dir.file("out-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
            let r = try await att(["message", "read", "--party", "NGA", "--home", w.home.path, "--directory", w.directory.path,
                                   "-o", out.path, w.dir.path("crafted.att")])
            expectCLIError(r, status: 1)
            #expect(r.stderrText.contains("payload header field file"), "\(r)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty, "\(name)")
            #expect(!w.dir.exists("escape.txt"))
        }
        // A message with no header end.
        try FileManager.default.removeItem(at: w.dir.file("message.txt"))
        try w.dir.write("message.txt", "just text, no header\n")
        try await attOK(["seal", "--home", w.home.path, "--directory", w.directory.path, "--party", "FRA", "--type", "message", "--year", "2026",
                         "--level", "selected", "--to", "NGA", "-o", w.dir.path("plain.att"), w.dir.path("message.txt")])
        let plain = try await att(["message", "read", "--party", "NGA", "--home", w.home.path, "--directory", w.directory.path,
                                   "-o", w.dir.path("."), w.dir.path("plain.att")])
        expectCLIError(plain, status: 1)
        #expect(plain.stderrText.contains("no header"), "\(plain)")
    }
}
