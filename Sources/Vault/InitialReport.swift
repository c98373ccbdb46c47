/// An ATT initial report (Article 13(1)): the measures a State has taken to implement
/// the Treaty. Updates are new versions of the whole report.
public struct InitialReport: Equatable, Sendable {
    public var party: PartyCode
    /// The calendar year in which the report is made.
    public var year: Int
    public var version: Int
    public var nationalDefinitions: String?
    /// One row per provision, in `TreatyMeasure` order.
    public var measures: [MeasureRow]

    public init(party: PartyCode, year: Int, version: Int = 1, nationalDefinitions: String? = nil, measures: [MeasureRow]) {
        self.party = party; self.year = year; self.version = version
        self.nationalDefinitions = nationalDefinitions; self.measures = measures
    }

    /// A blank report: one row per provision, `in_place` = no. The template's CSV/JSON
    /// leaves `in_place` as written here for the State to change.
    public static func template(party: PartyCode, year: Int) -> InitialReport {
        InitialReport(party: party, year: year, measures: TreatyMeasure.allCases.map {
            MeasureRow(provision: $0, inPlace: .no, measures: nil, reference: nil, comments: nil)
        })
    }

    public static let renderedColumns = ["Provision", "Subject", "In place", "Measures", "Reference", "Comments"]

    public func rendered() -> RenderedTable {
        RenderedTable(name: "measures", title: "National implementation measures", columns: InitialReport.renderedColumns,
                      rows: measures.map { ["Article " + $0.provision.rawValue, $0.provision.title, $0.inPlace.rawValue,
                                            $0.measures ?? "", $0.reference ?? "", $0.comments ?? ""] },
                      isNil: false)
    }

    public var renderedHeader: [(label: String, value: String)] {
        [("Reporting State", party.rawValue), ("Year", String(year)), ("Version", String(version)),
         ("National definitions", nationalDefinitions ?? "")]
    }
}

public struct MeasureRow: Equatable, Sendable {
    public var provision: TreatyMeasure
    public var inPlace: MeasureStatus
    public var measures: String?
    public var reference: String?
    public var comments: String?

    public init(provision: TreatyMeasure, inPlace: MeasureStatus, measures: String? = nil, reference: String? = nil, comments: String? = nil) {
        self.provision = provision; self.inPlace = inPlace; self.measures = measures; self.reference = reference; self.comments = comments
    }
}

public enum MeasureStatus: String, CaseIterable, Sendable {
    case yes, no, partly
}

/// The provisions an initial report answers, each exactly once, in Treaty order.
public enum TreatyMeasure: String, CaseIterable, Sendable {
    case scope = "2(1)", ammunition = "3", partsAndComponents = "4"
    case controlSystem = "5(2)", nationalDefinitions = "5(3)", controlList = "5(4)"
    case competentAuthorities = "5(5)", pointsOfContact = "5(6)"
    case prohibitions = "6", exportAssessment = "7(1)", genderBasedViolence = "7(4)", exportRecords = "7(6)"
    case imports = "8", transit = "9", brokering = "10", diversion = "11"
    case recordKeeping = "12", enforcement = "14"

    public var title: String {
        switch self {
        case .scope: return "Scope: conventional arms covered"
        case .ammunition: return "Control of exports of ammunition/munitions"
        case .partsAndComponents: return "Control of exports of parts and components"
        case .controlSystem: return "National control system"
        case .nationalDefinitions: return "National definitions of the categories"
        case .controlList: return "National control list"
        case .competentAuthorities: return "Competent national authorities"
        case .pointsOfContact: return "National points of contact"
        case .prohibitions: return "Prohibitions"
        case .exportAssessment: return "Export assessment"
        case .genderBasedViolence: return "Risk of gender-based violence and violence against women and children"
        case .exportRecords: return "Information on authorisations"
        case .imports: return "Import"
        case .transit: return "Transit or trans-shipment"
        case .brokering: return "Brokering"
        case .diversion: return "Diversion"
        case .recordKeeping: return "Record keeping"
        case .enforcement: return "Enforcement"
        }
    }
}
