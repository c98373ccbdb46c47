import Testing
import Vault

@Suite("reporting calendar")
struct ReportingCalendarTests {
    func d(_ s: String) -> CivilDate { try! CivilDate(parsing: s) }

    @Test("initial report: due the day before the first anniversary of entry into force", arguments: [
        ("2014-12-24", "2015-12-23"),   // the first States
        ("2016-02-29", "2017-02-28"),   // 29 February: the anniversary is 1 March, due 28 February
        ("2020-02-29", "2021-02-28"),
        ("2023-03-01", "2024-02-29"),   // the year after holds a 29 February
        ("2015-01-01", "2015-12-31"),
        ("2019-12-31", "2020-12-30"),
    ])
    func initialDue(_ pair: (String, String)) throws {
        #expect(ReportingCalendar.initialReportDue(entryIntoForce: d(pair.0)) == (d(pair.1)))
    }

    @Test("annual report on year Y: due 31 May of Y+1; owed from the first full calendar year in force")
    func annualRules() throws {
        #expect(ReportingCalendar.annualReportDue(year: 2025) == (d("2026-05-31")))
        #expect(ReportingCalendar.firstAnnualYear(entryIntoForce: d("2014-12-24")) == 2015)
        #expect(ReportingCalendar.firstAnnualYear(entryIntoForce: d("2020-01-01")) == 2020)
        #expect(ReportingCalendar.firstAnnualYear(entryIntoForce: d("2020-01-02")) == 2021)
        #expect(ReportingCalendar.firstAnnualYear(entryIntoForce: d("2016-02-29")) == 2017)
        #expect(ReportingCalendar.annualYearsOwed(entryIntoForce: d("2014-12-24"), today: d("2015-12-31")) == [])
        #expect(ReportingCalendar.annualYearsOwed(entryIntoForce: d("2014-12-24"), today: d("2016-01-01")) == [2015])
        #expect(ReportingCalendar.annualYearsOwed(entryIntoForce: d("2014-12-24"), today: d("2018-07-01")) == [2015, 2016, 2017])
        #expect(ReportingCalendar.annualYearsOwed(entryIntoForce: d("2020-01-01"), today: d("2021-01-01")) == [2020])
    }

    @Test("31 May itself is on time; 1 June is overdue")
    func thirtyFirstOfMay() throws {
        let e = ReportingCalendar.treatyEntryIntoForce
        let onTime = ReportingCalendar.obligations(entryIntoForce: e, today: d("2016-05-31"))
        #expect(onTime.map(\.kind) == [.initial, .annual(2015), .annual(2016)])
        #expect(onTime[1].state == .due && onTime[1].daysLeft == 0 && onTime[1].due == (d("2016-05-31")))
        #expect(onTime[2].state == .upcoming && onTime[2].due == (d("2017-05-31")))
        #expect(onTime[0].state == .overdue && onTime[0].due == (d("2015-12-23")))
        let late = ReportingCalendar.obligations(entryIntoForce: e, today: d("2016-06-01"))
        #expect(late[1].state == .overdue && late[1].daysLeft == -1)
        #expect(late[1].description == "annual:2015  due 2016-05-31  overdue  (OVERDUE by 1 day(s))")
    }

    @Test("24 December 2014: before, on, and the day the initial report falls due")
    func firstStates() throws {
        let e = ReportingCalendar.treatyEntryIntoForce
        #expect(e == (d("2014-12-24")))
        let before = ReportingCalendar.obligations(entryIntoForce: e, today: d("2014-12-23"))
        #expect(before.map(\.state) == [.upcoming, .upcoming] && before.map(\.kind) == [.initial, .annual(2015)])
        let on = ReportingCalendar.obligations(entryIntoForce: e, today: e)
        #expect(on.map(\.state) == [.due, .upcoming] && on[0].daysLeft == 364)
        let lastDay = ReportingCalendar.obligations(entryIntoForce: e, today: d("2015-12-23"))
        #expect(lastDay[0].state == .due && lastDay[0].daysLeft == 0)
        #expect(ReportingCalendar.obligations(entryIntoForce: e, today: d("2015-12-24"))[0].state == .overdue)
    }

    @Test("entry into force on 29 February: 28 February is the last day, 1 March overdue")
    func leapDay() throws {
        let e = d("2016-02-29")
        #expect(ReportingCalendar.obligations(entryIntoForce: e, today: d("2017-02-28"))[0].state == .due)
        let after = ReportingCalendar.obligations(entryIntoForce: e, today: d("2017-03-01"))
        #expect(after[0].state == .overdue && after[0].daysLeft == -1)
        #expect(after.map(\.kind) == [.initial, .annual(2017)])
    }

    @Test("submitted reports; parties without entry into force owe nothing")
    func submitted() throws {
        let o = ReportingCalendar.obligations(entryIntoForce: ReportingCalendar.treatyEntryIntoForce, today: d("2017-06-01"),
                                              submitted: [.initial, .annual(2016)])
        #expect(o.map(\.state) == [.submitted, .overdue, .submitted, .upcoming])
        #expect(ReportingCalendar.obligations(entryIntoForce: nil, today: d("2017-06-01")).isEmpty)
        #expect(try ReportObligation.Kind(parsing: "annual:2016") == .annual(2016))
        #expect(try ReportObligation.Kind(parsing: "initial") == .initial)
        for bad in ["annual", "annual:16", "annual:2013", "final", "annual:2016:1", "annual:٢٠١٦"] {
            #expect(throws: VaultError.self, "\(bad)") { try ReportObligation.Kind(parsing: bad) }
        }
    }

    @Test("date arithmetic across leap days and years")
    func dates() throws {
        #expect(d("2016-02-28").adding(days: 1) == (d("2016-02-29")))
        #expect(d("2016-02-29").adding(days: 1) == (d("2016-03-01")))
        #expect(d("2100-02-28").adding(days: 1) == (d("2100-03-01")))
        #expect(d("2000-02-28").adding(days: 1) == (d("2000-02-29")))
        #expect(d("2015-01-01").adding(days: -1) == (d("2014-12-31")))
    }
}

@Suite("reporting calendar, far dates")
struct ReportingCalendarFarDatesTests {
    @Test("an entry into force in 9999 (a directory statement may say so) computes due dates past 9999 without trapping")
    func year9999() throws {
        let e = try CivilDate(parsing: "9999-12-31")
        let o = ReportingCalendar.obligations(entryIntoForce: e, today: try CivilDate(parsing: "9999-12-31"))
        #expect(o.first?.due.year == 10000)
        #expect(ReportingCalendar.annualReportDue(year: 9999).description == "10000-05-31")
    }
}
