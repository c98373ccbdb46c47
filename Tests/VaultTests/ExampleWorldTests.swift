import Crypto
import Foundation
import Testing
import TestSupport
import Vault

/// The example world in keys-example/: its directory replays cleanly, and every disclosure
/// level resolves, key by key, to the recipients in the example keystore's public files.
@Suite("example world")
struct ExampleWorldTests {
    static let root = Vectors.packageRoot.appendingPathComponent("keys-example")

    static func state() throws -> DirectoryState {
        try LocalDirectory(url: root.appendingPathComponent("directory")).state()
    }

    /// The recipient each party's keystore says it has (independent of the directory).
    static func keystoreRecipient(_ code: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("home/keys/\(code)/example-1.age.pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let states = ["ARG", "AUS", "FRA", "JPN", "MEX", "NGA"]

    @Test func replaysCleanly() throws {
        let s = try Self.state()
        #expect(s.rejected.isEmpty, "\(s.rejected.map(\.description))")
        #expect(s.parties.keys.map(\.rawValue).sorted() == ["ARG", "AUS", "FRA", "JPN", "MEX", "NGA", "SEC", "SGP", "XAU"])
        for code in s.parties.keys { #expect(s.watch(party: code).isEmpty, "\(code)") }
    }

    struct Case: Sendable, CustomStringConvertible {
        let sender: String, level: DisclosureLevel, selected: [String], secretariat: Bool, expected: [String]
        var description: String { "\(sender) \(level.rawValue) \(selected) secretariat=\(secretariat)" }
    }

    static let cases: [Case] = [
        Case(sender: "FRA", level: .public, selected: [], secretariat: false, expected: []),
        Case(sender: "FRA", level: .statesParties, selected: [], secretariat: false, expected: states),
        Case(sender: "FRA", level: .statesParties, selected: [], secretariat: true, expected: states + ["SEC"]),
        Case(sender: "SGP", level: .statesParties, selected: [], secretariat: false, expected: states + ["SGP"]),
        Case(sender: "FRA", level: .secretariat, selected: [], secretariat: false, expected: ["FRA", "SEC"]),
        Case(sender: "NGA", level: .selected, selected: ["JPN", "MEX"], secretariat: false, expected: ["JPN", "MEX", "NGA"]),
        Case(sender: "NGA", level: .selected, selected: ["SGP"], secretariat: true, expected: ["NGA", "SEC", "SGP"]),
        Case(sender: "XAU", level: .secretariat, selected: [], secretariat: false, expected: ["SEC", "XAU"]),
    ]

    @Test(arguments: cases)
    func levelsResolveKeyByKey(_ c: Case) throws {
        let s = try Self.state()
        let now = UTCTime(seconds: Int64(Date().timeIntervalSince1970))
        let resolved = try Disclosure.resolve(directory: s, sender: try PartyCode(c.sender), level: c.level,
                                              selected: try c.selected.map(PartyCode.init), includeSecretariat: c.secretariat, at: now)
        #expect(resolved.map(\.party.rawValue) == c.expected.sorted())
        for r in resolved {
            #expect(r.recipient.encoded == (try Self.keystoreRecipient(r.party.rawValue)), "\(r.party)")
            #expect(r.keyID == s.parties[r.party]?.keys.first?.keyID)
        }
    }

    @Test func defaultLevelsFollowPreferences() throws {
        let s = try Self.state()
        #expect(Disclosure.defaultLevel(directory: s, sender: try PartyCode("FRA"), type: .annual) == .public)
        #expect(Disclosure.defaultLevel(directory: s, sender: try PartyCode("NGA"), type: .annual) == .secretariat)
        #expect(Disclosure.defaultLevel(directory: s, sender: try PartyCode("JPN"), type: .annual) == .statesParties)
        #expect(Disclosure.defaultLevel(directory: s, sender: try PartyCode("NGA"), type: .initial) == .statesParties)
    }

    @Test func enrolmentsMatchTheKeyInfoFingerprints() throws {
        let s = try Self.state()
        for code in s.parties.keys {
            let info = try String(contentsOf: Self.root.appendingPathComponent("home/\(code).key-info.txt"), encoding: .utf8)
            let fp = try #require(info.split(separator: "\n").first { $0.hasPrefix("Fingerprint:") }?.split(separator: " ").last)
            #expect(throws: Never.self) { try s.checkEnrolment(of: code, fingerprint: String(fp)) }
        }
    }
}
