import Foundation
import Testing
import TestSupport

/// `att-report assistance request | offer | list | match | details` against a live relay:
/// public metadata anyone can list, details only their readers open, and the matching of
/// requests and offers end to end (docs/FORMATS.md §8.7, §9.4).
@Suite("Assistance commands, live", .serialized)
struct AssistanceCLITests {
    @Test("requests and offers posted, listed, matched (kind, provision, openness, expiry, own party), details for their readers only")
    func endToEnd() async throws {
        let w = try await WorkflowWorld("assistance")
        try w.dir.write("nga.txt", "We need help drafting end-user certificate rules.\nPlease contact the mission.\n")
        try w.dir.write("offer.txt", "Legal drafting experts available.\n")
        func post(_ party: String, _ direction: String, _ args: [String], details: String = "offer.txt") async throws -> [String: Any] {
            let r = try await attOK(w.net(["assistance", direction], party, args + ["--json", "-o", w.dir.path("\(party)-\(direction)"), w.dir.path(details)]))
            return try #require(try w.json(r) as? [String: Any])
        }
        let nga = try await post("NGA", "request", ["--id", "NGA-REQ-1", "--kind", "technical,legal", "--provision", "16(1)",
                                                    "--title", "End-user certificates"], details: "nga.txt")
        #expect(nga["detailsReaders"] as? [String] == ["NGA", "SEC"])
        let arg = try await post("ARG", "request", ["--id", "ARG-REQ-1", "--kind", "legal", "--provision", "16(1)", "--title", "Legislation"])
        let fra = try await post("FRA", "offer", ["--id", "FRA-OFF-1", "--kind", "legal", "--provision", "16", "--title", "Legal experts",
                                                  "--to", "NGA", "--expires", "2099-06-30"])
        #expect(fra["detailsReaders"] as? [String] == ["FRA", "NGA", "SEC"])
        _ = try await post("JPN", "offer", ["--id", "JPN-OFF-1", "--kind", "financial", "--provision", "16", "--title", "Funds"])
        _ = try await post("ARG", "offer", ["--id", "ARG-OFF-1", "--kind", "legal", "--provision", "7", "--title", "Risk assessment"])
        _ = try await post("MEX", "offer", ["--id", "MEX-OFF-1", "--kind", "legal", "--provision", "16(1)", "--open-to", "ARG", "--title", "For ARG"])
        _ = try await post("NGA", "offer", ["--id", "NGA-OFF-1", "--kind", "legal", "--provision", "16", "--title", "Peer review"])
        // A default id: <PARTY>-<YEAR>-<n>, the year of posting.
        let aus = try await post("AUS", "offer", ["--kind", "technical,material", "--provision", "16(1)(a),5", "--title", "Stockpile management"])
        let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
        let ausID = "AUS-\(year)-1"
        #expect(aus["id"] as? String == ausID)

        // The same id again is refused before anything is sealed.
        let again = try await att(w.net(["assistance", "request"], "NGA", ["--id", "NGA-REQ-1", "--kind", "legal", "--provision", "16",
                                                                          "--title", "x", "-o", w.dir.path("dup"), w.dir.path("nga.txt")]))
        expectCLIError(again, status: 1)
        #expect(again.stderrText.contains("already posted"), "\(again)")
        #expect(!w.dir.exists("dup.att"))

        // What is public: kinds and provisions. Title and details are in neither manifest, nor in the public envelope.
        let publicEnvelope = try w.dir.readText("NGA-request.att")
        #expect(publicEnvelope.contains("\"kinds\":[\"legal\",\"technical\"]"))
        for name in ["NGA-request.att", "NGA-request.att.minisig", "NGA-request.details.att", "NGA-request.details.att.minisig"] {
            let text = try w.dir.readText(name)
            #expect(!text.contains("End-user certificates") && !text.contains("drafting"), "\(name)")
        }
        #expect(try w.dir.readText("NGA-request.details.att.minisig").contains("file=details-\(nga["envelope"] as! String).txt"))

        // Anyone lists the public metadata, each envelope verified.
        let list = try #require(try w.json(try await attOK(["assistance", "list", "--relay", w.relay.url, "--directory", w.directory.path, "--json"])) as? [[String: Any]])
        #expect(list.count == 8)
        let ngaItem = try #require(list.first { $0["id"] as? String == "NGA-REQ-1" })
        #expect(ngaItem["envelope"] as? String == nga["envelope"] as? String)
        #expect(ngaItem["kinds"] as? [String] == ["legal", "technical"])
        #expect(ngaItem["provisions"] as? [String] == ["16(1)"])
        #expect(ngaItem["expires"] is NSNull && ngaItem["openTo"] is NSNull && ngaItem["details"] == nil)
        #expect(list.first { $0["id"] as? String == "MEX-OFF-1" }?["openTo"] as? [String] == ["ARG"])
        #expect(list.first { $0["id"] as? String == ausID }?["provisions"] as? [String] == ["5", "16(1)(a)"])
        let text = try await attOK(["assistance", "list", "--relay", w.relay.url, "--directory", w.directory.path, "--today", "2099-07-01"])
        #expect(text.stdoutText.contains("offer FRA-OFF-1 by FRA: legal; provisions 16; posted "), "\(text)")
        #expect(text.stdoutText.contains(", expires 2099-06-30 [expired]"))
        // Signed as the Secretariat, the list says which details it may read.
        let sec = try #require(try w.json(try await attOK(w.net(["assistance", "list"], "SEC", ["--json"]))) as? [[String: Any]])
        #expect(sec.first { $0["id"] as? String == "NGA-REQ-1" }?["details"] as? [String] == [nga["details"] as! String])

        // Matching: today, and once FRA's offer has expired, and before anything was posted.
        func match(_ today: String?) async throws -> [[String: String]] {
            let r = try await attOK(["assistance", "match", "--relay", w.relay.url, "--directory", w.directory.path, "--json"] + (today.map { ["--today", $0] } ?? []))
            let rows = try #require(try w.json(r) as? [[String: Any]])
            return rows.map { row in
                ["pair": "\(row["request"]!) <- \(row["offer"]!)", "kinds": (row["kinds"] as! [String]).joined(separator: ","),
                 "provisions": (row["provisions"] as! [String]).joined(separator: ","), "offerEnvelope": row["offerEnvelope"] as! String]
            }
        }
        let now = try await match(nil)
        #expect(now.map { $0["pair"]! } == ["ARG-REQ-1 <- FRA-OFF-1", "ARG-REQ-1 <- MEX-OFF-1", "ARG-REQ-1 <- NGA-OFF-1",
                                            "NGA-REQ-1 <- \(ausID)", "NGA-REQ-1 <- FRA-OFF-1"], "\(now)")
        #expect(now[3]["kinds"] == "technical" && now[3]["provisions"] == "16(1)(a)", "the more specific provision")
        #expect(now[4]["kinds"] == "legal" && now[4]["provisions"] == "16(1)")
        #expect(now[4]["offerEnvelope"] == fra["envelope"] as? String)
        #expect(try await match("2099-07-01").map { $0["pair"]! } == ["ARG-REQ-1 <- MEX-OFF-1", "ARG-REQ-1 <- NGA-OFF-1", "NGA-REQ-1 <- \(ausID)"])
        #expect(try await match("2020-01-01").isEmpty, "nothing was posted yet")
        let plain = try await attOK(["assistance", "match", "--relay", w.relay.url, "--directory", w.directory.path])
        #expect(plain.stdoutText.contains("NGA NGA-REQ-1 <- FRA FRA-OFF-1: legal 16(1)\n"), "\(plain)")
        #expect(plain.stdoutText.contains("5 matches on "))

        // Details: the Secretariat and the named parties read them; others cannot.
        let secDetails = try await attOK(w.net(["assistance", "details"], "SEC", [nga["envelope"] as! String]))
        #expect(secDetails.stdoutText.contains("Title: End-user certificates\n\nWe need help drafting end-user certificate rules.\nPlease contact the mission.\n"), "\(secDetails)")
        let ngaReads = try #require(try w.json(try await attOK(w.net(["assistance", "details"], "NGA", ["--json", fra["envelope"] as! String]))) as? [String: Any])
        #expect(ngaReads["title"] as? String == "Legal experts" && ngaReads["id"] as? String == "FRA-OFF-1")
        for (reader, envelope) in [("JPN", nga["envelope"] as! String), ("ARG", fra["envelope"] as! String)] {
            let r = try await att(w.net(["assistance", "details"], reader, [envelope]))
            expectCLIError(r, status: 1)
            #expect(r.stderrText.contains("readable by \(reader)"), "\(r)")
        }
        _ = arg

        // FRA withdraws its offer: a new public version supersedes the old; it no longer matches.
        let withdrew = try #require(try w.json(try await attOK(w.net(["assistance", "withdraw"], "FRA", ["--json", "-o", w.dir.path("fra-w.att"), "FRA-OFF-1"]))) as? [String: Any])
        #expect(withdrew["supersedes"] as? String == fra["envelope"] as? String)
        #expect(try w.dir.readText("fra-w.att.minisig").contains("supersedes=\(fra["envelope"] as! String) file=assistance-FRA-OFF-1.json"))
        #expect(try await match(nil).map { $0["pair"]! } == ["ARG-REQ-1 <- MEX-OFF-1", "ARG-REQ-1 <- NGA-OFF-1", "NGA-REQ-1 <- \(ausID)"])
        let after = try await attOK(["assistance", "list", "--relay", w.relay.url, "--directory", w.directory.path])
        #expect(after.stdoutLines.count == 8, "the latest version of each: \(after)")
        #expect(after.stdoutText.contains("offer FRA-OFF-1 by FRA: legal; provisions 16; posted "))
        #expect(after.stdoutText.contains("[withdrawn] envelope \(withdrew["envelope"] as! String)"))
        let twice = try await att(w.net(["assistance", "withdraw"], "FRA", ["-o", w.dir.path("fra-w2.att"), "FRA-OFF-1"]))
        expectCLIError(twice, status: 1)
        #expect(twice.stderrText.contains("already withdrawn"), "\(twice)")
        let notYours = try await att(w.net(["assistance", "withdraw"], "JPN", ["-o", w.dir.path("jpn-w.att"), "NGA-REQ-1"]))
        expectCLIError(notYours, status: 1)
        #expect(notYours.stderrText.contains("JPN has no request or offer NGA-REQ-1"), "\(notYours)")
        #expect(!w.dir.exists("jpn-w.att") && !w.dir.exists("fra-w2.att"))
    }

    @Test("a public envelope whose metadata names another party, or is not canonical, is left out of list and match")
    func forged() async throws {
        let w = try await WorkflowWorld("assistance-forged")
        try w.dir.write("offer.txt", "Experts.\n")
        try await attOK(w.net(["assistance", "offer"], "FRA", ["--id", "FRA-1", "--kind", "legal", "--provision", "16", "--title", "t",
                                                                "-o", w.dir.path("fra"), w.dir.path("offer.txt")]))
        // JPN signs a request that claims to be NGA's; MEX one that is valid but not canonical.
        try w.dir.write("assistance-NGA-FAKE.json",
                        "{\"direction\":\"request\",\"expires\":null,\"id\":\"NGA-FAKE\",\"kinds\":[\"legal\"],\"open_to\":null,\"party\":\"NGA\",\"posted\":\"2026-01-01\",\"provisions\":[\"16\"],\"withdrawn\":false}\n")
        try w.dir.write("assistance-MEX-1.json",
                        "{\"id\":\"MEX-1\",\"direction\":\"request\",\"expires\":null,\"kinds\":[\"legal\"],\"open_to\":null,\"party\":\"MEX\",\"posted\":\"2026-01-01\",\"provisions\":[\"16\"],\"withdrawn\":false}\n")
        for (party, file) in [("JPN", "assistance-NGA-FAKE.json"), ("MEX", "assistance-MEX-1.json")] {
            try await attOK(["seal", "--home", w.home.path, "--directory", w.directory.path, "--party", party, "--type", "assistance-request",
                             "--year", "2026", "--level", "public", "-o", w.dir.path("\(party).att"), w.dir.path(file)])
            try await attOK(["submit", "--relay", w.relay.url, "--party", party, "--home", w.home.path, w.dir.path("\(party).att")])
        }
        let list = try await att(["assistance", "list", "--relay", w.relay.url, "--directory", w.directory.path])
        #expect(list.status == 0, "\(list)")
        #expect(list.stdoutLines.count == 1 && list.stdoutText.hasPrefix("offer FRA-1 by FRA"), "\(list)")
        #expect(list.stderrText.contains("from JPN): refused, left out: its metadata (NGA request NGA-FAKE) does not fit its manifest"), "\(list)")
        #expect(list.stderrText.contains("from MEX): refused, left out: not in canonical form"), "\(list)")
        let match = try await att(["assistance", "match", "--relay", w.relay.url, "--directory", w.directory.path, "--today", "2099-01-01"])
        #expect(match.status == 0 && match.stdoutText.hasPrefix("0 matches on 2099-01-01, among 0 request(s) and 1 offer(s)"), "\(match)")
    }
}
