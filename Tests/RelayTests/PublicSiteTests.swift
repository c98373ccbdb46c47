import Crypto
import Foundation
import Relay
import Testing
import Vault

/// The public site's pages as pure functions of a snapshot (no relay).
@Suite("Public site pages")
struct PublicSiteTests {
    static func date(_ s: String) throws -> CivilDate { try CivilDate(parsing: s) }

    static func party(_ code: String, _ name: String, role: Role = .stateParty, inForce: String? = "2014-12-24") throws -> Party {
        Party(code: try PartyCode(code), name: name, role: role, entryIntoForce: try inForce.map(date), keys: [])
    }

    static func report(_ id: String, _ party: String, _ type: ReportType = .annual, year: Int = 2025, file: String = "report.pdf",
                       index: UInt64, supersedes: String? = nil) throws -> PublicSite.Report {
        PublicSite.Report(id: id, party: try PartyCode(party), type: type, year: year, fileName: file,
                          sealed: UTCTime(seconds: 1_767_225_600), reportSize: 2048, sealedSize: 10240, logIndex: index,
                          supersedes: supersedes)
    }

    static func snapshot(reports: [PublicSite.Report], submissions: [ReportingStatus.Submission] = [],
                         parties: [Party]? = nil, today: String = "2026-12-04") throws -> PublicSite.Snapshot {
        let ps = try parties ?? [party("FRA", "France"), party("NGA", "Nigeria"), party("ARG", "Argentina"),
                                  party("SGP", "Singapore", role: .signatory, inForce: nil),
                                  party("SEC", "ATT Secretariat", role: .secretariat, inForce: nil)]
        let heads = [PublicSite.LogHead(log: .submissions, origin: "relay.example/submissions", verifierKey: "relay.example/submissions+abcd1234+AQ==",
                                        checkpoint: "relay.example/submissions\n3\nroot=\n\n— relay.example/submissions sig\n", size: 3, rootBase64: "root="),
                     PublicSite.LogHead(log: .directory, origin: "relay.example/directory", verifierKey: "k", checkpoint: nil, size: 0, rootBase64: "")]
        return PublicSite.Snapshot(relayName: "relay.example", generated: UTCTime(seconds: 1_796_000_000), reports: reports,
                                   status: ReportingStatus(parties: ps, submissions: submissions, today: try date(today)), logs: heads)
    }

    @Test("sender-chosen text is escaped everywhere; no page has a script, a form or an outside resource")
    func escaping() throws {
        let hostile = try Party(code: PartyCode("FRA"), name: "<script>alert(1)</script>\"&'", role: .stateParty,
                                entryIntoForce: Self.date("2014-12-24"), keys: [])
        let s = try Self.snapshot(reports: [Self.report("A", "FRA", file: "x<y>.pdf", index: 0)], parties: [hostile])
        for html in [PublicSite.index(s, filter: .init()), PublicSite.status(s), PublicSite.verify(s)] {
            #expect(!html.contains("<script"))
            #expect(!html.contains("<form"))
            #expect(!html.contains("src=\"http"))
            #expect(html.hasPrefix("<!doctype html>\n<html lang=\"en\">"))
            #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        }
        #expect(PublicSite.index(s, filter: .init()).contains("x&lt;y&gt;.pdf"))
        #expect(PublicSite.status(s).contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"))
        #expect(PublicSite.escape("a&b<c>\"d'") == "a&amp;b&lt;c&gt;&quot;d&#39;")
    }

    @Test("reports are grouped by year, newest first, and narrowed by year, State and type with links")
    func listing() throws {
        let s = try Self.snapshot(reports: [
            Self.report("A24", "FRA", year: 2024, index: 0), Self.report("B25", "NGA", year: 2025, index: 1),
            Self.report("C", "ARG", .initial, year: 2015, index: 2),
        ])
        let all = PublicSite.index(s, filter: .init())
        let y25 = try #require(all.range(of: "<h2 id=\"y2025\">")), y24 = try #require(all.range(of: "<h2 id=\"y2024\">"))
        #expect(y25.lowerBound < y24.lowerBound)
        #expect(all.contains("<a href=\"/?year=2024\">2024</a>"))
        #expect(all.contains("<a href=\"/?party=NGA\">NGA</a>"))
        #expect(all.contains("<a href=\"/?type=initial\">initial</a>"))
        let narrowed = PublicSite.index(s, filter: .init(year: 2025, party: try PartyCode("NGA")))
        #expect(narrowed.contains("id=\"B25\""))
        #expect(!narrowed.contains("id=\"A24\""))
        // Choosing another year keeps the chosen State.
        #expect(narrowed.contains("<a href=\"/?year=2024&amp;party=NGA\">2024</a>"))
        #expect(narrowed.contains("<a href=\"/?year=2025&amp;party=NGA\" aria-current=\"true\">2025</a>"))
        let none = PublicSite.index(s, filter: .init(year: 1999))
        #expect(none.contains("No public report matches this choice."))
        #expect(PublicSite.index(try Self.snapshot(reports: []), filter: .init()).contains("No public report yet."))
    }

    @Test("each report: its file, envelope, signature and receipt, each one click, named for stock tools")
    func downloads() throws {
        let s = try Self.snapshot(reports: [Self.report("ID1", "FRA", file: "annual-2025.csv", index: 0),
                                            Self.report("ID2", "FRA", file: "annual-2025.csv", index: 1, supersedes: "ID1")])
        let html = PublicSite.index(s, filter: .init())
        #expect(html.contains("<a href=\"/v1/envelopes/ID2/report\" download=\"annual-2025.csv\">"))
        #expect(html.contains("<a href=\"/v1/envelopes/ID2\" download=\"ID2.att\">"))
        #expect(html.contains("<a href=\"/v1/envelopes/ID2/signature\" download=\"ID2.att.minisig\">"))
        #expect(html.contains("<a href=\"/v1/envelopes/ID2/receipt\" download=\"ID2.att.tlog-proof\">"))
        #expect(html.contains("amends <a href=\"#ID1\">ID1</a>"))
    }

    @Test("status: State Parties only; public links the latest public version, restricted says so, missing is a dash")
    func status() throws {
        let fra = try PartyCode("FRA"), nga = try PartyCode("NGA")
        let subs: [ReportingStatus.Submission] = [
            .init(id: "P1", sender: fra, type: .annual, year: 2025, level: .public, logIndex: 0),
            .init(id: "P2", sender: fra, type: .annual, year: 2025, level: .public, logIndex: 3),
            .init(id: "R1", sender: nga, type: .annual, year: 2024, level: .secretariat, logIndex: 1),
            .init(id: "I1", sender: nga, type: .initial, year: 2015, level: .selected, logIndex: 2),
            .init(id: "M1", sender: nga, type: .message, year: 2025, level: .selected, logIndex: 4),
        ]
        let st = try Self.snapshot(reports: [], submissions: subs).status
        #expect(st.years == [2020, 2021, 2022, 2023, 2024, 2025])
        #expect(st.rows.map(\.party.rawValue) == ["ARG", "FRA", "NGA"])
        let fraRow = try #require(st.rows.first { $0.party == fra })
        #expect(fraRow.annual.last == .public("P2"))
        #expect(fraRow.initial == .missing(.overdue), "in force since 2014-12-24: due 2015-12-23")
        let ngaRow = try #require(st.rows.first { $0.party == nga })
        #expect(ngaRow.annual[4] == .restricted)
        #expect(ngaRow.annual[5] == .missing(.overdue), "a message is not an annual report; 2025's was due 2026-05-31")
        #expect(ngaRow.initial == .restricted)
        let html = PublicSite.status(try Self.snapshot(reports: [], submissions: subs))
        #expect(!html.contains("R1") && !html.contains("I1") && !html.contains("M1"), "restricted ids never appear")
        #expect(html.contains("<a class=\"public\" href=\"/#P2\">public</a>"))
    }

    @Test("a report not received is due until its date and overdue after it: 31 May itself, 1 June; the initial report within a year")
    func statusDeadlines() throws {
        let late = try [Self.party("FRA", "France", inForce: "2024-02-29")]
        func cells(_ today: String) throws -> (initial: ReportingStatus.Cell, last: ReportingStatus.Cell?) {
            let st = try ReportingStatus(parties: late, submissions: [], today: Self.date(today))
            return (st.rows[0].initial, st.rows[0].annual.last)
        }
        #expect(try cells("2025-02-27").initial == .missing(.due))
        #expect(try cells("2025-02-28").initial == .missing(.due), "the day before the first anniversary (1 March, 2025 has no 29 February)")
        #expect(try cells("2025-03-01").initial == .missing(.overdue))
        #expect(try cells("2026-05-31").last == .missing(.due), "2025's annual report on 31 May 2026")
        #expect(try cells("2026-06-01").last == .missing(.overdue))
        #expect(try cells("2025-06-01").last == .missing(nil), "2024 is never owed: the Treaty was not in force all year")
        let html = PublicSite.status(try Self.snapshot(reports: [], parties: late, today: "2026-06-01"))
        #expect(html.contains("<span class=\"overdue\">overdue</span>"))
    }

    @Test("the years shown start at the earliest entry into force, at most six, up to last year")
    func statusYears() throws {
        let late = try [Self.party("FRA", "France", inForce: "2023-02-28")]
        #expect(try ReportingStatus(parties: late, submissions: [], today: Self.date("2026-01-01")).years == [2023, 2024, 2025])
        #expect(try ReportingStatus(parties: late, submissions: [], today: Self.date("2023-06-01")).years == [])
    }

    @Test("verify page: each log's origin, size, root, key and checkpoint; an empty log says so")
    func verify() throws {
        let html = PublicSite.verify(try Self.snapshot(reports: []))
        #expect(html.contains("relay.example/submissions+abcd1234+AQ=="))
        #expect(html.contains("<pre>relay.example/submissions\n3\nroot=\n\n— relay.example/submissions sig\n</pre>"))
        #expect(html.contains("The log is empty"))
        #expect(html.contains("minisign -Vm ID.att -P STATE_PUBLIC_KEY"))
    }
}
