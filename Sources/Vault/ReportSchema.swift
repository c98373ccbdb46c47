/// The schema of structured ATT reports (docs/FORMATS.md §8): the categories of
/// Article 2(1) with their sub-types, the header fields and the table columns. CSV and
/// JSON are two spellings of this one schema; `ReportValidation` checks both against it.
public enum ReportSchema {
    /// The value of the `format` header field.
    public static let formatIdentifier = "att-report/report/v1"

    /// ISO 3166-1 alpha-3 codes (iso-codes 4.x, 249 codes): the State codes a report may name.
    public static let stateCodes: Set<String> = Set(isoAlpha3.split(separator: " ").map(String.init))

    public static func isStateCode(_ s: String) -> Bool { stateCodes.contains(s) }

    static let isoAlpha3 =
        "ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN " +
        "BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN " +
        "CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU " +
        "DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR " +
        "GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV " +
        "HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM " +
        "KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA " +
        "MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM " +
        "NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL " +
        "PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE " +
        "SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK " +
        "TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB " +
        "VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE "
}

/// Limits every reader enforces, in bytes of UTF-8 unless said otherwise.
public enum ReportLimits {
    /// A whole report file, CSV or JSON.
    public static let maxFileSize = 4 * 1024 * 1024
    /// Rows in one table.
    public static let maxRows = 10_000
    /// A short text cell (description, comments, reference, withheld note).
    public static let maxShortText = 1_000
    /// A long text field (national definitions, measures).
    public static let maxLongText = 20_000
    /// `items` and `value`: at most 15 decimal digits.
    public static let maxNumber: Int64 = 999_999_999_999_999
    /// JSON nesting.
    public static let maxJSONDepth = 16
}

/// The eight categories of Article 2(1).
public enum ArmsCategory: String, CaseIterable, Sendable, Comparable {
    case I, II, III, IV, V, VI, VII, VIII

    public var title: String {
        switch self {
        case .I: return "Battle tanks"
        case .II: return "Armoured combat vehicles"
        case .III: return "Large-calibre artillery systems"
        case .IV: return "Combat aircraft"
        case .V: return "Attack helicopters"
        case .VI: return "Warships"
        case .VII: return "Missiles and missile launchers"
        case .VIII: return "Small arms and light weapons"
        }
    }

    /// The sub-types a row may name; empty for I–III.
    public var subtypes: [ArmsSubtype] { ArmsSubtype.allCases.filter { $0.category == self } }

    /// Category VIII rows must name a sub-type; IV–VII may; I–III must not.
    public var requiresSubtype: Bool { self == .VIII }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Sub-types as in the ATT reporting template: manned/unmanned for IV–VI, MANPADS for VII,
/// and the small arms and light weapons of VIII.
public enum ArmsSubtype: String, CaseIterable, Sendable {
    case aircraftManned = "manned-aircraft", aircraftUnmanned = "unmanned-aircraft"
    case helicopterManned = "manned-helicopters", helicopterUnmanned = "unmanned-helicopters"
    case warshipManned = "manned-warships", warshipUnmanned = "unmanned-warships"
    case missilesAndLaunchers = "missiles-and-launchers", manpads = "manpads"
    // Small arms
    case revolversPistols = "revolvers-pistols", riflesCarbines = "rifles-carbines"
    case subMachineGuns = "sub-machine-guns", assaultRifles = "assault-rifles"
    case lightMachineGuns = "light-machine-guns", smallArmsOther = "small-arms-other"
    // Light weapons
    case heavyMachineGuns = "heavy-machine-guns", grenadeLaunchers = "grenade-launchers"
    case antiTankGuns = "anti-tank-guns", recoillessRifles = "recoilless-rifles"
    case antiTankLaunchers = "anti-tank-launchers", mortars = "mortars-under-75mm"
    case lightWeaponsOther = "light-weapons-other"

    public var category: ArmsCategory {
        switch self {
        case .aircraftManned, .aircraftUnmanned: return .IV
        case .helicopterManned, .helicopterUnmanned: return .V
        case .warshipManned, .warshipUnmanned: return .VI
        case .missilesAndLaunchers, .manpads: return .VII
        default: return .VIII
        }
    }

    public var title: String {
        switch self {
        case .aircraftManned, .helicopterManned, .warshipManned: return "manned"
        case .aircraftUnmanned, .helicopterUnmanned, .warshipUnmanned: return "unmanned"
        case .missilesAndLaunchers: return "missiles and missile launchers"
        case .manpads: return "man-portable air-defence systems (MANPADS)"
        case .revolversPistols: return "small arms: revolvers and self-loading pistols"
        case .riflesCarbines: return "small arms: rifles and carbines"
        case .subMachineGuns: return "small arms: sub-machine guns"
        case .assaultRifles: return "small arms: assault rifles"
        case .lightMachineGuns: return "small arms: light machine guns"
        case .smallArmsOther: return "small arms: others"
        case .heavyMachineGuns: return "light weapons: heavy machine guns"
        case .grenadeLaunchers: return "light weapons: hand-held under-barrel and mounted grenade launchers"
        case .antiTankGuns: return "light weapons: portable anti-tank guns"
        case .recoillessRifles: return "light weapons: recoilless rifles"
        case .antiTankLaunchers: return "light weapons: portable anti-tank missile launchers and rocket systems"
        case .mortars: return "light weapons: mortars of calibres less than 75 mm"
        case .lightWeaponsOther: return "light weapons: others"
        }
    }
}

/// Article 13(3) lets a State report authorised or actual transfers.
public enum TransferBasis: String, CaseIterable, Sendable {
    case authorised, actual
}

/// The two tables of an annual report.
public enum TradeTableKind: String, CaseIterable, Sendable, Comparable {
    case exports, imports

    public var title: String { self == .exports ? "Exports" : "Imports" }
    /// What the `state` column names in this table.
    public var counterpart: String { self == .exports ? "importing State" : "exporting State" }
    public static func < (a: Self, b: Self) -> Bool { a == .exports && b == .imports }
}

/// How a value is spelled in a cell or a JSON member.
public enum ReportValueKind: Equatable, Sendable {
    /// One of a closed list of words (`exports`, `VIII`, `authorised`…); a JSON string.
    case word([String])
    /// An ISO 3166-1 alpha-3 code; a JSON string.
    case stateCode
    /// A whole number in a range: CSV digits, JSON integer.
    case integer(min: Int64, max: Int64)
    /// CSV `yes`/`no`, JSON `true`/`false`.
    case flag
    /// An ISO 4217-shaped code, `[A-Z]{3}`; a JSON string.
    case currency
    /// UTF-8 text of at most `maxBytes` bytes, no control character except LF if `multiline`.
    case text(maxBytes: Int, multiline: Bool)
}

/// A header field or a table column.
public struct ReportElement: Equatable, Sendable {
    public let name: String
    public let kind: ReportValueKind
    public let required: Bool
    public let help: String

    public init(_ name: String, _ kind: ReportValueKind, required: Bool, _ help: String) {
        self.name = name; self.kind = kind; self.required = required; self.help = help
    }
}

extension ReportSchema {
    static let short = ReportValueKind.text(maxBytes: ReportLimits.maxShortText, multiline: false)
    static let long = ReportValueKind.text(maxBytes: ReportLimits.maxLongText, multiline: true)
    static let year = ReportValueKind.integer(min: 2014, max: 9999)

    /// Header fields of an annual report, in the order a template writes them.
    public static let annualFields: [ReportElement] = [
        ReportElement("format", .word([formatIdentifier]), required: true, "always \(formatIdentifier)"),
        ReportElement("type", .word(["annual"]), required: true, "annual"),
        ReportElement("part", .word(["all", "exports", "imports"]), required: false,
                      "all (default), or the one table this part holds"),
        ReportElement("party", .stateCode, required: true, "the reporting State (ISO 3166-1 alpha-3)"),
        ReportElement("year", year, required: true, "the calendar year reported on"),
        ReportElement("version", .integer(min: 1, max: 9999), required: false, "1 (default), 2 for the first amendment…"),
        ReportElement("currency", .currency, required: false, "ISO 4217 code of the value column, e.g. USD; required if any row has a value"),
        ReportElement("national_definitions", long, required: false, "national definitions of the categories"),
        ReportElement("withheld", .flag, required: true,
                      "Article 13(3): commercially sensitive or national security information was withheld"),
        ReportElement("withheld_note", short, required: false, "what was withheld (only with withheld = yes)"),
        ReportElement("nil_exports", .flag, required: true, "yes: nothing to report in the exports table (no rows)"),
        ReportElement("nil_imports", .flag, required: true, "yes: nothing to report in the imports table (no rows)"),
    ]

    /// Columns of the exports and imports tables. `table` is the CSV's first column; in
    /// JSON the array a row is in says its table.
    public static let tradeColumns: [ReportElement] = [
        ReportElement("table", .word(TradeTableKind.allCases.map(\.rawValue)), required: true, "exports or imports"),
        ReportElement("category", .word(ArmsCategory.allCases.map(\.rawValue)), required: true, "I to VIII"),
        ReportElement("subtype", .word(ArmsSubtype.allCases.map(\.rawValue)), required: false,
                      "required for VIII, optional for IV–VII, empty for I–III"),
        ReportElement("state", .stateCode, required: true, "exports: the importing State; imports: the exporting State"),
        ReportElement("items", .integer(min: 1, max: ReportLimits.maxNumber), required: false, "number of items"),
        ReportElement("value", .integer(min: 1, max: ReportLimits.maxNumber), required: false,
                      "value in whole units of the report's currency"),
        ReportElement("basis", .word(TransferBasis.allCases.map(\.rawValue)), required: true, "authorised or actual"),
        ReportElement("origin", .stateCode, required: false, "State of origin, if not the exporter"),
        ReportElement("description", short, required: false, "description of the item"),
        ReportElement("comments", short, required: false, "comments"),
    ]

    /// Header fields of an initial report.
    public static let initialFields: [ReportElement] = [
        ReportElement("format", .word([formatIdentifier]), required: true, "always \(formatIdentifier)"),
        ReportElement("type", .word(["initial"]), required: true, "initial"),
        ReportElement("party", .stateCode, required: true, "the reporting State (ISO 3166-1 alpha-3)"),
        ReportElement("year", year, required: true, "the calendar year in which the report is made"),
        ReportElement("version", .integer(min: 1, max: 9999), required: false, "1 (default); updates are new versions"),
        ReportElement("national_definitions", long, required: false, "national definitions of the categories"),
    ]

    /// Columns of the initial report's `measures` table.
    public static let measureColumns: [ReportElement] = [
        ReportElement("table", .word(["measures"]), required: true, "measures"),
        ReportElement("provision", .word(TreatyMeasure.allCases.map(\.rawValue)), required: true, "the Treaty provision"),
        ReportElement("in_place", .word(MeasureStatus.allCases.map(\.rawValue)), required: true, "yes, no or partly"),
        ReportElement("measures", long, required: false, "the national measures taken"),
        ReportElement("reference", short, required: false, "laws, regulations, administrative measures"),
        ReportElement("comments", short, required: false, "comments"),
    ]

    public static func fields(for type: StructuredReportType) -> [ReportElement] {
        type == .annual ? annualFields : initialFields
    }

    public static func columns(for type: StructuredReportType) -> [ReportElement] {
        type == .annual ? tradeColumns : measureColumns
    }

    /// Names of the tables of a report type.
    public static func tables(for type: StructuredReportType) -> [String] {
        type == .annual ? TradeTableKind.allCases.map(\.rawValue) : ["measures"]
    }
}

/// The two structured report types.
public enum StructuredReportType: String, CaseIterable, Sendable {
    case annual, initial
    public var reportType: ReportType { self == .annual ? .annual : .initial }
}
