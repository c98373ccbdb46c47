import Testing
import Vault

@Suite("assistance requests and offers")
struct AssistanceTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }
    func p(_ s: String) throws -> TreatyProvision { try TreatyProvision(parsing: s) }

    func item(_ id: String, _ dir: AssistanceDirection, _ party: String, _ kinds: [AssistanceKind], _ provisions: [String],
              posted: String = "2026-01-01", expires: String? = nil, withdrawn: Bool = false, openTo: [String]? = nil) throws -> AssistanceMetadata {
        try AssistanceMetadata(id: id, direction: dir, party: try PartyCode(party), kinds: kinds, provisions: try provisions.map(p),
                               posted: d(posted), expires: expires.map(d), withdrawn: withdrawn, openTo: try openTo?.map(PartyCode.init))
    }

    @Test("Treaty provisions: parsing and printing")
    func provisions() throws {
        #expect(try p("16(1)").description == "16(1)")
        #expect(try p("Article 16(1)") == (try p("16(1)")))
        #expect(try p("7(1)(b)").description == "7(1)(b)")
        #expect(try p("11").paragraph == nil)
        for bad in ["", "0", "29", "016", "16()", "16(10)", "16(1)(B)", "16(a)", "16(1)(b)(c)", "16 (1)", "Article16", "16(1", "x"] {
            #expect(throws: VaultError.self, "\(bad)") { try self.p(bad) }
        }
        let a16 = try p("16"), a16p1 = try p("16(1)"), a16p2 = try p("16(2)"), a6 = try p("6"), a7p1 = try p("7(1)"), a7p1b = try p("7(1)(b)")
        #expect(a16.covers(a16p1) && a7p1.covers(a7p1b) && a16p1.covers(a16p1))
        #expect(!a16p1.covers(a16) && !a16p1.covers(a16p2) && !a6.covers(a16) && !a7p1b.covers(a7p1))
    }

    @Test("metadata is checked, normalised (sorted, unique) and has a canonical JSON")
    func metadata() throws {
        let m = try item("NGA-2026-1", .request, "NGA", [.technical, .legal, .technical], ["16(1)", "5(2)"], expires: "2026-12-31")
        #expect(m.kinds == [.legal, .technical] && m.provisions.map(\.description) == ["5(2)", "16(1)"])
        #expect(String(decoding: m.canonicalJSON, as: UTF8.self)
                == #"{"direction":"request","expires":"2026-12-31","id":"NGA-2026-1","kinds":["legal","technical"],"open_to":null,"party":"NGA","posted":"2026-01-01","provisions":["5(2)","16(1)"],"withdrawn":false}"# + "\n")
        #expect(m.direction.reportType == .assistanceRequest && AssistanceDirection.offer.reportType == .assistanceOffer)
        #expect(throws: AssistanceError.badID("a b")) { try self.item("a b", .request, "NGA", [.legal], ["16"]) }
        #expect(throws: AssistanceError.noKinds("x")) { try self.item("x", .request, "NGA", [], ["16"]) }
        #expect(throws: AssistanceError.noProvisions("x")) { try self.item("x", .request, "NGA", [.legal], []) }
        #expect(throws: AssistanceError.expiresBeforePosted("x")) { try self.item("x", .request, "NGA", [.legal], ["16"], expires: "2025-12-31") }
        #expect(throws: AssistanceError.openToOnRequest("x")) { try self.item("x", .request, "NGA", [.legal], ["16"], openTo: ["FRA"]) }
        #expect(throws: AssistanceError.openToNobody("x")) { try self.item("x", .offer, "FRA", [.legal], ["16"], openTo: []) }
    }

    @Test("match: pairs that share a kind and a provision, between different parties, both active, offer open to the requester")
    func match() throws {
        let requests = [
            try item("NGA-1", .request, "NGA", [.technical, .legal], ["5(2)"]),
            try item("ARG-1", .request, "ARG", [.financial], ["16(3)"]),
            try item("MEX-1", .request, "MEX", [.institutional], ["7(1)(b)"], expires: "2026-06-30"),
            try item("FRA-1", .request, "FRA", [.legal], ["5"]),
            try item("JPN-1", .request, "JPN", [.material], ["11"], withdrawn: true),
        ]
        let offers = [
            try item("FRA-9", .offer, "FRA", [.legal, .legislative], ["5"]),                       // NGA-1 (5 covers 5(2)); not FRA-1 (own)
            try item("AUS-9", .offer, "AUS", [.technical], ["5(2)", "11"]),                         // NGA-1; JPN-1 is withdrawn
            try item("JPN-9", .offer, "JPN", [.financial], ["16"], openTo: ["MEX"]),                // not ARG (not open to it)
            try item("AUS-8", .offer, "AUS", [.financial], ["16(3)"], posted: "2026-07-01"),       // ARG-1 once posted
            try item("MEX-9", .offer, "MEX", [.institutional, .legal], ["7"]),                      // MEX-1 is MEX's own; FRA-1? provision 7 vs 5: no
            try item("NGA-9", .offer, "NGA", [.institutional], ["7(1)"], expires: "2026-12-31"),   // MEX-1 until it expires
            try item("ARG-9", .offer, "ARG", [.material], ["6"]),                                   // nobody: no kind+provision fits
        ]
        let june = try Assistance.match(requests: requests, offers: offers, on: d("2026-06-30"))
        #expect(june.map { "\($0.request)<-\($0.offer)" } == ["MEX-1<-NGA-9", "NGA-1<-AUS-9", "NGA-1<-FRA-9"])
        let nga = june.first { $0.offer == "FRA-9" }!
        #expect(nga.kinds == [.legal] && nga.provisions.map(\.description) == ["5(2)"] && nga.requester.rawValue == "NGA" && nga.offerer.rawValue == "FRA")
        #expect(june.first { $0.offer == "NGA-9" }!.provisions.map(\.description) == ["7(1)(b)"])
        // The day after MEX-1 expires it no longer matches; AUS-8 is posted by then.
        let july = try Assistance.match(requests: requests, offers: offers, on: d("2026-07-01"))
        #expect(july.map { "\($0.request)<-\($0.offer)" } == ["ARG-1<-AUS-8", "NGA-1<-AUS-9", "NGA-1<-FRA-9"])
        // Matching is pure: the order of the input does not matter.
        #expect(try Assistance.match(requests: requests.reversed(), offers: offers.reversed(), on: d("2026-07-01")) == july)
        #expect(throws: AssistanceError.wrongDirection(id: "FRA-9", expected: .request)) {
            try Assistance.match(requests: [offers[0]], offers: [], on: self.d("2026-07-01"))
        }
    }
}
