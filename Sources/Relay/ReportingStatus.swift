import Vault

/// The reporting-status table of the public site (docs/FORMATS.md §7.6): for each State
/// Party, whether its initial report and its annual reports were received, and whether
/// public. Metadata only: the sender, type and year of `initial` and `annual` envelopes, never
/// their recipients, size or time. Pure, so it is tested without a relay.
public struct ReportingStatus: Equatable, Sendable {
    public enum Cell: Equatable, Sendable {
        /// Nothing received; how the report stands by the Treaty's calendar
        /// (`ReportingCalendar`: due, overdue, or not yet owed), nil if it is never owed
        /// (a year before entry into force, or no entry into force in the directory).
        case missing(ReportObligation.State?)
        case restricted
        /// Public, with the id of the latest public version.
        case `public`(String)
    }

    public struct Row: Equatable, Sendable {
        public let party: PartyCode
        public let name: String
        public let inForce: CivilDate?
        public let initial: Cell
        /// One cell per year of `years`.
        public let annual: [Cell]
    }

    /// What the table needs of an envelope.
    public struct Submission: Equatable, Sendable {
        public let id: String
        public let sender: PartyCode
        public let type: ReportType
        public let year: Int
        public let level: DisclosureLevel
        public let logIndex: UInt64
        public init(id: String, sender: PartyCode, type: ReportType, year: Int, level: DisclosureLevel, logIndex: UInt64) {
            self.id = id; self.sender = sender; self.type = type; self.year = year; self.level = level; self.logIndex = logIndex
        }
    }

    /// Annual-report years shown, oldest first.
    public let years: [Int]
    public let rows: [Row]
    /// Every party's name, for other tables.
    public let names: [PartyCode: String]

    /// How many annual-report years the table shows at most.
    public static let maxYears = 6

    /// `today` decides the latest year shown (the previous calendar year, whose annual report
    /// is due by 31 May of this one, or a later year some State reported on) and, for each
    /// report not received, whether it is due or overdue (`ReportingCalendar`, the rules of
    /// `att-report status`).
    public init(parties: [Party], submissions: [Submission], today: CivilDate) {
        var names: [PartyCode: String] = [:]
        for p in parties { names[p.code] = p.name }
        self.names = names
        let stateParties = parties.filter { $0.role == .stateParty }.sorted { $0.code < $1.code }
        let members = Set(stateParties.map(\.code))
        let relevant = submissions.filter { ($0.type == .initial || $0.type == .annual) && members.contains($0.sender) }

        let latest = max(today.year - 1, relevant.filter { $0.type == .annual }.map(\.year).max() ?? Int.min)
        let earliestInForce = stateParties.compactMap { $0.entryIntoForce?.year }.min() ?? latest
        let first = max(earliestInForce, latest - Self.maxYears + 1)
        let shownYears = first <= latest ? Array(first...latest) : []
        years = shownYears

        rows = stateParties.map { p in
            let own = relevant.filter { $0.sender == p.code }
            let obligations = ReportingCalendar.obligations(entryIntoForce: p.entryIntoForce, today: today)
            func cell(_ kind: ReportObligation.Kind, _ matching: [Submission]) -> Cell {
                if let pub = matching.filter({ $0.level == .public }).max(by: { $0.logIndex < $1.logIndex }) { return .public(pub.id) }
                if !matching.isEmpty { return .restricted }
                return .missing(obligations.first { $0.kind == kind }?.state)
            }
            return Row(party: p.code, name: p.name, inForce: p.entryIntoForce,
                       initial: cell(.initial, own.filter { $0.type == .initial }),
                       annual: shownYears.map { y in cell(.annual(y), own.filter { $0.type == .annual && $0.year == y }) })
        }
    }
}
