/// When reports are due (docs/FORMATS.md §8.6). Pure: the same entry into force, day
/// and submitted reports always give the same answer.
///
/// - Initial report, Article 13(1): "within the first year after entry into force of this
///   Treaty for that State Party". The first year runs from the day of entry into force to
///   the day before its anniversary, and the report is due on that last day. An entry into
///   force on 29 February has its anniversary on 1 March of the next year (there is no 29
///   February then), so the report is due on 28 February.
/// - Annual report, Article 13(3): "by 31 May a report for the preceding calendar year".
///   The report on year Y is due on 31 May of Y+1; it is on time on 31 May itself and
///   overdue from 1 June.
/// - Which years: a State owes an annual report for every calendar year the Treaty was in
///   force for it for the whole year: the first is the year of entry into force if that
///   was 1 January, else the next year. (For the first States, in force on 24 December
///   2014, the first annual report is on 2015, due 31 May 2016.) A report on the partial
///   year of entry into force may be made, but is not owed.
public enum ReportingCalendar {
    /// The Treaty entered into force on 24 December 2014 (Article 22(1)).
    public static let treatyEntryIntoForce = CivilDate(computed: 2014, month: 12, day: 24)

    public static func initialReportDue(entryIntoForce e: CivilDate) -> CivilDate {
        let anniversary: CivilDate
        if e.month == 2, e.day == 29, !CivilDate.isLeap(e.year + 1) {
            anniversary = CivilDate(computed: e.year + 1, month: 3, day: 1)
        } else {
            anniversary = CivilDate(computed: e.year + 1, month: e.month, day: e.day)
        }
        return anniversary.adding(days: -1)
    }

    public static func annualReportDue(year: Int) -> CivilDate { CivilDate(computed: year + 1, month: 5, day: 31) }

    /// The first calendar year an annual report is owed for.
    public static func firstAnnualYear(entryIntoForce e: CivilDate) -> Int {
        e.month == 1 && e.day == 1 ? e.year : e.year + 1
    }

    /// The years whose annual report is owed by `today` (the year is over), oldest first.
    public static func annualYearsOwed(entryIntoForce e: CivilDate, today: CivilDate) -> [Int] {
        let first = firstAnnualYear(entryIntoForce: e)
        return first <= today.year - 1 ? Array(first...(today.year - 1)) : []
    }

    /// Every obligation of a party on `today`: the initial report, each owed annual
    /// report, and the next annual report not yet owed. Empty without entry into force.
    public static func obligations(entryIntoForce: CivilDate?, today: CivilDate,
                                   submitted: Set<ReportObligation.Kind> = []) -> [ReportObligation] {
        guard let e = entryIntoForce else { return [] }
        var out: [ReportObligation] = []
        func state(_ kind: ReportObligation.Kind, due: CivilDate, started: Bool) -> ReportObligation.State {
            if submitted.contains(kind) { return .submitted }
            if !started { return .upcoming }
            return today <= due ? .due : .overdue
        }
        let initialDue = initialReportDue(entryIntoForce: e)
        out.append(ReportObligation(kind: .initial, due: initialDue, state: state(.initial, due: initialDue, started: today >= e),
                                    daysLeft: Int(initialDue.daysSinceEpoch - today.daysSinceEpoch)))
        for y in annualYearsOwed(entryIntoForce: e, today: today) {
            let due = annualReportDue(year: y)
            out.append(ReportObligation(kind: .annual(y), due: due, state: state(.annual(y), due: due, started: true),
                                        daysLeft: Int(due.daysSinceEpoch - today.daysSinceEpoch)))
        }
        let next = max(firstAnnualYear(entryIntoForce: e), today.year)
        let nextDue = annualReportDue(year: next)
        out.append(ReportObligation(kind: .annual(next), due: nextDue, state: .upcoming,
                                    daysLeft: Int(nextDue.daysSinceEpoch - today.daysSinceEpoch)))
        return out
    }
}

/// One report a party owes, and where it stands.
public struct ReportObligation: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        case initial
        case annual(Int)

        public var description: String {
            switch self {
            case .initial: return "initial"
            case let .annual(y): return "annual:\(y)"
            }
        }

        /// `initial` or `annual:YYYY`.
        public init(parsing s: String) throws {
            if s == "initial" { self = .initial; return }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "annual", parts[1].count == 4, parts[1].allSatisfy(\.isASCII),
                  let y = Int(parts[1]), y >= 2014 else { throw VaultError.invalid(what: "report (initial or annual:YYYY)", value: s) }
            self = .annual(y)
        }
    }

    public enum State: String, Sendable {
        /// Submitted (the caller says so: the relay holds it).
        case submitted
        /// Owed now, and the due date has not passed.
        case due
        /// Owed, and the due date has passed.
        case overdue
        /// Not owed yet (the Treaty is not yet in force, or the year is not over).
        case upcoming
    }

    public let kind: Kind
    public let due: CivilDate
    public let state: State
    /// Days from today to the due date; negative once overdue.
    public let daysLeft: Int

    public var description: String {
        let when: String
        switch state {
        case .submitted: when = "submitted"
        case .overdue: when = "OVERDUE by \(-daysLeft) day(s)"
        case .due: when = daysLeft == 0 ? "due today" : "due in \(daysLeft) day(s)"
        case .upcoming: when = "not yet owed"
        }
        return "\(kind)  due \(due)  \(state.rawValue)  (\(when))"
    }
}

extension CivilDate {
    public init(daysSinceEpoch days: Int64) {
        let (y, m, d) = CivilDate.civilFromDays(days)
        self.init(computed: y, month: m, day: d)
    }

    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + Int64(days)) }
}
