import Crypto

/// The directory's value types (docs/FORMATS.md §5.1). All parse strictly and print
/// exactly as they parse.
public enum VaultError: Error, Equatable, CustomStringConvertible {
    case invalid(what: String, value: String)

    public var description: String {
        switch self {
        case let .invalid(what, value): return "invalid \(what): \"\(value.prefix(80))\""
        }
    }
}

/// `[A-Z]{3}`: an ISO 3166-1 alpha-3 code, or a code no State has (`SEC`).
public struct PartyCode: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ text: String) throws {
        guard text.utf8.count == 3, text.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw VaultError.invalid(what: "party code", value: text)
        }
        rawValue = text
    }
    public var description: String { rawValue }
    public static func < (a: PartyCode, b: PartyCode) -> Bool { a.rawValue < b.rawValue }
}

public enum Role: String, Sendable, CaseIterable {
    case stateParty = "state-party", signatory, secretariat, auditor
    public init(parsing s: String) throws {
        guard let r = Role(rawValue: s) else { throw VaultError.invalid(what: "role", value: s) }
        self = r
    }
}

public enum ReportType: String, Sendable, CaseIterable {
    case initial, annual, amendment, message
    case assistanceRequest = "assistance-request", assistanceOffer = "assistance-offer"
    public init(parsing s: String) throws {
        guard let r = ReportType(rawValue: s) else { throw VaultError.invalid(what: "report type", value: s) }
        self = r
    }
}

public enum DisclosureLevel: String, Sendable, CaseIterable {
    case `public`, statesParties = "states-parties", secretariat, selected
    public init(parsing s: String) throws {
        guard let r = DisclosureLevel(rawValue: s) else { throw VaultError.invalid(what: "disclosure level", value: s) }
        self = r
    }
}

/// A UTC instant with second precision, written `YYYY-MM-DDTHH:MM:SSZ` (exactly 20 bytes).
public struct UTCTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    public init(seconds: Int64) { self.seconds = seconds }

    public init(parsing s: String) throws {
        let b = Array(s.utf8)
        func digits(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r { guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }; v = v * 10 + Int(b[i] - 0x30) }
            return v
        }
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A,
              let y = digits(0..<4), let mo = digits(5..<7), let d = digits(8..<10),
              let h = digits(11..<13), let mi = digits(14..<16), let se = digits(17..<19),
              (1...12).contains(mo), d >= 1, d <= CivilDate.daysIn(year: y, month: mo), h < 24, mi < 60, se < 60 else {
            throw VaultError.invalid(what: "time (YYYY-MM-DDTHH:MM:SSZ)", value: s)
        }
        seconds = CivilDate.daysFromCivil(y, mo, d) * 86_400 + Int64(h * 3600 + mi * 60 + se)
    }

    public var description: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - days * 86_400)
        let (y, m, d) = CivilDate.civilFromDays(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(rest / 3600, 2) + ":" + pad(rest / 60 % 60, 2) + ":" + pad(rest % 60, 2) + "Z"
    }

    public static func < (a: UTCTime, b: UTCTime) -> Bool { a.seconds < b.seconds }
}

/// A calendar date, `YYYY-MM-DD` (entry into force).
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    public init(year: Int, month: Int, day: Int) throws {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(year: year, month: month) else {
            throw VaultError.invalid(what: "date", value: "\(year)-\(month)-\(day)")
        }
        self.year = year; self.month = month; self.day = day
    }

    public init(parsing s: String) throws {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else {
            throw VaultError.invalid(what: "date (YYYY-MM-DD)", value: s)
        }
        try self.init(year: y, month: m, day: d)
    }

    /// A day computed from a valid one (an anniversary, a due date), which may fall past
    /// year 9999: never trapping, whatever a directory statement says.
    init(computed year: Int, month: Int, day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    /// The UTC calendar day of an instant.
    public init(_ t: UTCTime) {
        let days = t.seconds >= 0 ? t.seconds / 86_400 : (t.seconds - 86_399) / 86_400
        (year, month, day) = CivilDate.civilFromDays(days)
    }

    public var description: String { pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) }
    public var daysSinceEpoch: Int64 { CivilDate.daysFromCivil(year, month, day) }
    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    public static func daysIn(year: Int, month: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }
}

func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// One key of a party: it signs (Ed25519, as a minisign key) and receives (age X25519).
public struct PartyKey: Equatable, Sendable {
    public let label: String
    public let signingKey: MinisignPublicKey
    public let recipient: AgeX25519Recipient
    public let created: UTCTime
    public let expires: UTCTime?
    public internal(set) var revoked: UTCTime?

    public init(label: String, signingKey: MinisignPublicKey, recipient: AgeX25519Recipient, created: UTCTime,
                expires: UTCTime? = nil, revoked: UTCTime? = nil) throws {
        guard PartyKey.isValidLabel(label) else { throw VaultError.invalid(what: "key label", value: label) }
        self.label = label; self.signingKey = signingKey; self.recipient = recipient
        self.created = created; self.expires = expires; self.revoked = revoked
    }

    public var keyID: String { signingKey.keyIDString }

    public static func isValidLabel(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func ok(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return (1...32).contains(b.count) && ok(b[0]) && b.allSatisfy { ok($0) || $0 == 0x2D }
    }

    public enum Validity: Equatable, Sendable { case valid, notYetValid, expired, revoked }

    public func validity(at t: UTCTime) -> Validity {
        if let r = revoked, t >= r { return .revoked }
        if let e = expires, t >= e { return .expired }
        if t < created { return .notYetValid }
        return .valid
    }

    public func isValid(at t: UTCTime) -> Bool { validity(at: t) == .valid }

    /// SHA-256 over the key's public parts (§5.1): what a Note Verbale carries.
    public var fingerprint: String {
        let text = "att-report/key/v1\n\(keyID)\n\(signingKey.base64)\n\(recipient.encoded)"
        return hexString(SHA256.hash(Array(text.utf8)))
    }
}

/// A party as the directory knows it after replay.
public struct Party: Equatable, Sendable {
    public let code: PartyCode
    public internal(set) var name: String
    public internal(set) var role: Role
    public internal(set) var entryIntoForce: CivilDate?
    public internal(set) var keys: [PartyKey]
    public internal(set) var contactsSHA256: String?
    public internal(set) var preferences: [ReportType: DisclosureLevel]

    public init(code: PartyCode, name: String, role: Role, entryIntoForce: CivilDate?, keys: [PartyKey],
                contactsSHA256: String? = nil, preferences: [ReportType: DisclosureLevel] = [:]) {
        self.code = code; self.name = name; self.role = role; self.entryIntoForce = entryIntoForce
        self.keys = keys; self.contactsSHA256 = contactsSHA256; self.preferences = preferences
    }

    public func validKeys(at t: UTCTime) -> [PartyKey] { keys.filter { $0.isValid(at: t) } }
    public func key(id: String) -> PartyKey? { keys.first { $0.keyID == id } }
}

/// What envelopes and disclosure resolution need from a directory.
public protocol KeyDirectory: Sendable {
    var parties: [PartyCode: Party] { get }
}
