import Crypto

/// National points of contact (docs/FORMATS.md §5.2, "Contacts document"): restricted to
/// States Parties and the Secretariat, so only the document's SHA-256 goes into the public
/// directory log; the document travels separately and is checked against that hash.
public struct ContactsDocument: Equatable, Sendable {
    public struct Contact: Equatable, Sendable {
        public var name: String
        public var title: String?
        public var ministry: String?
        public var emails: [String] = []
        public var telephones: [String] = []
        public var address: String?
        public var validFrom: CivilDate
        public var validUntil: CivilDate?
    }

    public static let maxSize = 64 * 1024
    public let contacts: [Contact]
    public let bytes: [UInt8]

    public var sha256: String { hexString(SHA256.hash(bytes)) }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case tooLarge, invalid(line: Int, reason: String), empty
        public var description: String {
            switch self {
            case .tooLarge: return "contacts document is larger than 64 KiB"
            case let .invalid(line, reason): return "contacts document, line \(line): \(reason)"
            case .empty: return "contacts document names no contact"
            }
        }
    }

    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count <= ContactsDocument.maxSize else { throw Error.tooLarge }
        self.bytes = bytes
        var contacts: [Contact] = []
        var current: (c: Contact?, seen: Set<String>, line: Int)? = nil
        func finish() throws {
            guard let cur = current else { return }
            guard let c = cur.c else { return }
            guard !c.emails.isEmpty else { throw Error.invalid(line: cur.line, reason: "contact \"\(c.name)\" has no email") }
            guard cur.seen.contains("valid-from") else { throw Error.invalid(line: cur.line, reason: "contact \"\(c.name)\" has no valid-from") }
            if let u = c.validUntil, u < c.validFrom { throw Error.invalid(line: cur.line, reason: "valid-until is before valid-from") }
            contacts.append(c)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard Array(text.utf8) == bytes else { throw Error.invalid(line: 0, reason: "not UTF-8") }
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            if raw.isEmpty || raw.hasPrefix("#") { continue }
            guard let colon = raw.firstIndex(of: ":"), raw[raw.index(after: colon)...].hasPrefix(" ") else {
                throw Error.invalid(line: n, reason: "expected \"field: value\"")
            }
            let field = String(raw[..<colon])
            let value = String(raw[raw.index(colon, offsetBy: 2)...])
            guard (1...256).contains(value.utf8.count), !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw Error.invalid(line: n, reason: "the value of \(field) must be 1-256 bytes without control characters")
            }
            if field == "name" {
                try finish()
                current = (Contact(name: value, validFrom: try CivilDate(year: 1970, month: 1, day: 1)), ["name"], n)
                continue
            }
            guard var cur = current, var c = cur.c else { throw Error.invalid(line: n, reason: "a contact starts with a name line") }
            let single = ["title", "ministry", "address", "valid-from", "valid-until"]
            if single.contains(field), cur.seen.contains(field) { throw Error.invalid(line: n, reason: "\(field) repeated") }
            switch field {
            case "title": c.title = value
            case "ministry": c.ministry = value
            case "address": c.address = value
            case "email":
                guard value.filter({ $0 == "@" }).count == 1, !value.contains(" ") else { throw Error.invalid(line: n, reason: "not an e-mail address") }
                c.emails.append(value)
            case "telephone":
                guard value.unicodeScalars.allSatisfy({ "+0123456789 -()".unicodeScalars.contains($0) }) else {
                    throw Error.invalid(line: n, reason: "not a telephone number")
                }
                c.telephones.append(value)
            case "valid-from", "valid-until":
                guard let d = try? CivilDate(parsing: value) else { throw Error.invalid(line: n, reason: "\(field) is not YYYY-MM-DD") }
                if field == "valid-from" { c.validFrom = d } else { c.validUntil = d }
            default:
                throw Error.invalid(line: n, reason: "unknown field \"\(field)\"")
            }
            cur.seen.insert(field)
            cur.c = c
            current = cur
        }
        try finish()
        guard !contacts.isEmpty else { throw Error.empty }
        self.contacts = contacts
    }
}
