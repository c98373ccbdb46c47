import Crypto

/// Key directory statements (docs/FORMATS.md §5.2): the text of a signed note,
///
///     att-report/statement/v1
///     type <statement type>
///     party <party code>
///     time <time>
///     <the type's field lines, in order>
///
/// read strictly (no unknown, missing, repeated or reordered line; every value canonical,
/// so that `Statement(parsing: s.text) == s` and `Statement(parsing: t).text == t`).

public enum StatementType: String, Sendable, CaseIterable, CustomStringConvertible {
    case enrol
    case addKey = "add-key"
    case rotateKey = "rotate-key"
    case revokeKey = "revoke-key"
    case setContacts = "set-contacts"
    case setPreference = "set-preference"
    case setRole = "set-role"

    public var description: String { rawValue }

    /// The field lines after `time`, in order (`preference` may repeat, 1 to 6 times).
    public var fieldNames: [String] {
        switch self {
        case .enrol: return ["name", "role", "in-force", "key"]
        case .addKey: return ["key"]
        case .rotateKey: return ["replaces", "key"]
        case .revokeKey: return ["key-id", "reason"]
        case .setContacts: return ["contacts-sha256"]
        case .setPreference: return ["preference"]
        case .setRole: return ["role", "in-force"]
        }
    }
}

/// Why a statement text (or a signed statement's structure) was refused, or a statement
/// could not be built. Line numbers are 1-based lines of the statement text.
public enum StatementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The statement (text or whole signed note) is larger than `Statement.maxSize`.
    case tooLarge(size: Int, limit: Int)
    /// Not UTF-8, or a control character (other than the LF ending each line).
    case invalidCharacters(String)
    /// The text does not end with LF, or has an empty line.
    case malformedLine(line: Int, reason: String)
    /// The first line is not `att-report/statement/v1`.
    case wrongHeader
    /// A line whose field name is not a field of this statement type.
    case unknownField(line: Int, name: String)
    /// A field of this statement type that is absent where it was due.
    case missingField(String)
    /// A field given a second time.
    case repeatedField(line: Int, name: String)
    /// A field whose value does not parse, or is not in its canonical form.
    case invalidValue(line: Int, field: String, reason: String)
    /// A statement value that cannot be written (when building one).
    case invalidStatement(String)
    /// The signed note around the statement was refused (structure, or signing).
    case note(NoteError)

    public var description: String {
        switch self {
        case let .tooLarge(s, l): return "statement of \(s) bytes exceeds the limit of \(l) bytes"
        case let .invalidCharacters(w): return "statement: \(w)"
        case let .malformedLine(n, w): return "statement line \(n): \(w)"
        case .wrongHeader: return "statement: the first line is not \"\(Statement.header)\""
        case let .unknownField(n, f): return "statement line \(n): unknown field \"\(f.prefix(40))\""
        case let .missingField(f): return "statement: missing field \"\(f)\""
        case let .repeatedField(n, f): return "statement line \(n): field \"\(f)\" given twice"
        case let .invalidValue(n, f, w): return "statement line \(n): invalid \(f): \(w)"
        case let .invalidStatement(w): return "invalid statement: \(w)"
        case let .note(e): return "statement note: \(e)"
        }
    }
}

/// What a statement says, by type (§5.2).
public enum StatementBody: Equatable, Sendable {
    /// A new party, with its first key (which signs the statement).
    case enrol(name: String, role: Role, inForce: CivilDate?, key: PartyKey)
    case addKey(PartyKey)
    /// `key` replaces the key `replaces` (which is revoked at the statement's time).
    case rotateKey(replaces: String, key: PartyKey)
    case revokeKey(keyID: String, reason: String)
    /// SHA-256 of the contacts document, 64 lower-case hex digits.
    case setContacts(sha256: String)
    /// One or more report types and their default levels; other types keep theirs.
    case setPreference([ReportType: DisclosureLevel])
    case setRole(role: Role, inForce: CivilDate?)

    public var type: StatementType {
        switch self {
        case .enrol: return .enrol
        case .addKey: return .addKey
        case .rotateKey: return .rotateKey
        case .revokeKey: return .revokeKey
        case .setContacts: return .setContacts
        case .setPreference: return .setPreference
        case .setRole: return .setRole
        }
    }
}

/// One directory statement: who it is about, when, and what it says. Values are checked
/// on construction, so every `Statement` can be written and reads back equal.
public struct Statement: Equatable, Sendable {
    public static let header = "att-report/statement/v1"
    /// Largest statement: the text, and the whole signed note (the log entry).
    public static let maxSize = 16_384
    /// Largest text value (`name`, `reason`), in UTF-8 bytes before percent-encoding.
    public static let maxTextBytes = 256

    public let party: PartyCode
    public let time: UTCTime
    public let body: StatementBody

    public var type: StatementType { body.type }

    public init(party: PartyCode, time: UTCTime, body: StatementBody) throws(StatementError) {
        switch body {
        case let .enrol(name, _, _, key):
            guard Self.isValidText(name) else { throw .invalidStatement("name: 1 to 256 bytes of UTF-8 without control characters") }
            try Self.checkKey(key)
        case let .addKey(key):
            try Self.checkKey(key)
        case let .rotateKey(replaces, key):
            guard Self.isValidKeyID(replaces) else { throw .invalidStatement("replaces: not a key id (16 upper-case hex digits)") }
            guard replaces != key.keyID else { throw .invalidStatement("a key cannot replace itself") }
            try Self.checkKey(key)
        case let .revokeKey(keyID, reason):
            guard Self.isValidKeyID(keyID) else { throw .invalidStatement("key-id: not a key id (16 upper-case hex digits)") }
            guard Self.isValidText(reason) else { throw .invalidStatement("reason: 1 to 256 bytes of UTF-8 without control characters") }
        case let .setContacts(sha256):
            guard Self.isLowerHex(sha256, count: 64) else { throw .invalidStatement("contacts-sha256: not 64 lower-case hex digits") }
        case let .setPreference(prefs):
            guard !prefs.isEmpty else { throw .invalidStatement("set-preference needs at least one preference") }
        case .setRole:
            break
        }
        self.party = party
        self.time = time
        self.body = body
        let size = text.utf8.count
        guard size <= Self.maxSize else { throw .tooLarge(size: size, limit: Self.maxSize) }
    }

    // MARK: Convenience constructors

    public static func enrol(party: PartyCode, name: String, role: Role, inForce: CivilDate?, key: PartyKey,
                             time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .enrol(name: name, role: role, inForce: inForce, key: key))
    }

    public static func addKey(party: PartyCode, key: PartyKey, time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .addKey(key))
    }

    public static func rotateKey(party: PartyCode, replacing keyID: String, with key: PartyKey,
                                 time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .rotateKey(replaces: keyID, key: key))
    }

    public static func revokeKey(party: PartyCode, keyID: String, reason: String, time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .revokeKey(keyID: keyID, reason: reason))
    }

    public static func setContacts(party: PartyCode, sha256: String, time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .setContacts(sha256: sha256))
    }

    /// `contacts` is the contacts document itself; only its SHA-256 goes in the statement.
    public static func setContacts(party: PartyCode, document contacts: [UInt8], time: UTCTime) throws(StatementError) -> Statement {
        try setContacts(party: party, sha256: hexString(SHA256.hash(contacts)), time: time)
    }

    public static func setPreference(party: PartyCode, _ preferences: [ReportType: DisclosureLevel],
                                     time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .setPreference(preferences))
    }

    public static func setRole(party: PartyCode, role: Role, inForce: CivilDate?, time: UTCTime) throws(StatementError) -> Statement {
        try Statement(party: party, time: time, body: .setRole(role: role, inForce: inForce))
    }

    // MARK: Writing

    /// The statement text: LF-terminated lines, as signed.
    public var text: String {
        var lines = [Self.header, "type \(type.rawValue)", "party \(party)", "time \(time)"]
        switch body {
        case let .enrol(name, role, inForce, key):
            lines += ["name \(Self.encodeText(name))", "role \(role.rawValue)", "in-force \(inForce?.description ?? "-")",
                      Self.keyLine(key)]
        case let .addKey(key):
            lines.append(Self.keyLine(key))
        case let .rotateKey(replaces, key):
            lines += ["replaces \(replaces)", Self.keyLine(key)]
        case let .revokeKey(keyID, reason):
            lines += ["key-id \(keyID)", "reason \(Self.encodeText(reason))"]
        case let .setContacts(sha256):
            lines.append("contacts-sha256 \(sha256)")
        case let .setPreference(prefs):
            for t in ReportType.allCases { if let l = prefs[t] { lines.append("preference \(t.rawValue) \(l.rawValue)") } }
        case let .setRole(role, inForce):
            lines += ["role \(role.rawValue)", "in-force \(inForce?.description ?? "-")"]
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// The statement text as bytes (the note text to sign).
    public var bytes: [UInt8] { Array(text.utf8) }

    /// `key <label> <key id> <minisign public key> <age recipient> <created> <expires or ->`.
    public static func keyLine(_ key: PartyKey) -> String {
        "key \(key.label) \(key.keyID) \(key.signingKey.base64) \(key.recipient.encoded) \(key.created) \(key.expires?.description ?? "-")"
    }

    // MARK: Reading

    public init(parsing text: String) throws(StatementError) { try self.init(parsing: Array(text.utf8)) }

    /// Parses a statement text strictly (§5.2): header, `type`, `party`, `time`, then exactly
    /// the type's field lines in order, each value in canonical form.
    public init(parsing text: [UInt8]) throws(StatementError) {
        guard text.count <= Self.maxSize else { throw .tooLarge(size: text.count, limit: Self.maxSize) }
        guard let string = String(validating: text, as: UTF8.self) else { throw .invalidCharacters("not valid UTF-8") }
        if let bad = string.unicodeScalars.first(where: { $0.properties.generalCategory == .control && $0 != "\n" }) {
            throw .invalidCharacters("control character U+\(String(bad.value, radix: 16, uppercase: true))")
        }
        guard text.last == 0x0A else {
            throw .malformedLine(line: string.split(separator: "\n", omittingEmptySubsequences: false).count,
                                 reason: "does not end with a newline")
        }
        let rawLines = string.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        if let empty = rawLines.firstIndex(where: { $0.isEmpty }) { throw .malformedLine(line: empty + 1, reason: "empty line") }
        guard rawLines[0] == Self.header else { throw .wrongHeader }

        var reader = FieldReader(lines: rawLines.dropFirst().enumerated().map { i, l in
            if let sp = l.firstIndex(of: " ") {
                return (i + 2, String(l[..<sp]), String(l[l.index(after: sp)...]) as String?)
            }
            return (i + 2, String(l), nil)
        })

        reader.allowed = ["type", "party", "time"]
        let typeField = try reader.take("type")
        guard let type = StatementType(rawValue: try typeField.token()) else {
            throw .invalidValue(line: typeField.line, field: "type", reason: "unknown statement type")
        }
        reader.allowed += type.fieldNames

        let partyField = try reader.take("party")
        let party: PartyCode
        do { party = try PartyCode(try partyField.token()) } catch { throw partyField.invalid("not [A-Z]{3}") }
        let time = try reader.take("time").time()

        let body: StatementBody
        switch type {
        case .enrol:
            let nameField = try reader.take("name")
            let name = try nameField.text()
            let role = try reader.take("role").role()
            let inForce = try reader.take("in-force").inForce()
            let key = try reader.take("key").key()
            body = .enrol(name: name, role: role, inForce: inForce, key: key)
        case .addKey:
            body = .addKey(try reader.take("key").key())
        case .rotateKey:
            let replacesField = try reader.take("replaces")
            let replaces = try replacesField.keyID()
            let keyField = try reader.take("key")
            let key = try keyField.key()
            guard key.keyID != replaces else { throw keyField.invalid("a key cannot replace itself") }
            body = .rotateKey(replaces: replaces, key: key)
        case .revokeKey:
            let keyID = try reader.take("key-id").keyID()
            let reason = try reader.take("reason").text()
            body = .revokeKey(keyID: keyID, reason: reason)
        case .setContacts:
            let f = try reader.take("contacts-sha256")
            let hex = try f.token()
            guard Self.isLowerHex(hex, count: 64) else { throw f.invalid("not 64 lower-case hex digits") }
            body = .setContacts(sha256: hex)
        case .setPreference:
            var prefs: [ReportType: DisclosureLevel] = [:]
            var last = -1
            repeat {
                let f = try reader.take("preference", repeatable: true)
                let t = try f.tokens(2)
                guard let rt = ReportType(rawValue: t[0]) else { throw f.invalid("unknown report type \"\(t[0].prefix(40))\"") }
                guard let level = DisclosureLevel(rawValue: t[1]) else { throw f.invalid("unknown disclosure level \"\(t[1].prefix(40))\"") }
                let position = ReportType.allCases.firstIndex(of: rt)!
                guard prefs[rt] == nil else { throw f.invalid("report type \(rt.rawValue) given twice") }
                guard position > last else { throw f.invalid("report types are not in the order of §5.1") }
                last = position
                prefs[rt] = level
            } while reader.next?.name == "preference"
            body = .setPreference(prefs)
        case .setRole:
            let role = try reader.take("role").role()
            let inForce = try reader.take("in-force").inForce()
            body = .setRole(role: role, inForce: inForce)
        }
        try reader.finish()
        try self.init(party: party, time: time, body: body)
    }

    // MARK: Values

    /// A text value (§5.1): 1 to 256 bytes of UTF-8, no control character.
    public static func isValidText(_ s: String) -> Bool {
        (1...maxTextBytes).contains(s.utf8.count) && !s.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Percent-encodes `%`, SP and `=` (as `%25`, `%20`, `%3D`) and nothing else.
    public static func encodeText(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "%": out += "%25"
            case " ": out += "%20"
            case "=": out += "%3D"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The inverse of `encodeText`, accepting only its output (so only `%25`, `%20` and
    /// `%3D` escapes, and no literal `=`); nil otherwise.
    public static func decodeText(_ token: String) -> String? {
        var out = ""
        var it = token.unicodeScalars.makeIterator()
        while let c = it.next() {
            switch c {
            case "%":
                guard let a = it.next(), let b = it.next() else { return nil }
                switch (a, b) {
                case ("2", "5"): out += "%"
                case ("2", "0"): out += " "
                case ("3", "D"): out += "="
                default: return nil
                }
            case "=", " ":
                return nil
            default:
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A key id as §5.1 writes it: 16 upper-case hex digits.
    public static func isValidKeyID(_ s: String) -> Bool {
        s.utf8.count == 16 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) }
    }

    static func isLowerHex(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func checkKey(_ key: PartyKey) throws(StatementError) {
        guard key.revoked == nil else { throw .invalidStatement("a key line has no revocation time") }
        if let e = key.expires, e <= key.created { throw .invalidStatement("key \(key.keyID) expires before it is created") }
    }
}

// MARK: - Field reader

/// Walks the field lines in order, telling unknown, missing and repeated fields apart.
private struct FieldReader {
    struct Field {
        let line: Int
        let name: String
        let value: String?

        func invalid(_ reason: String) -> StatementError { .invalidValue(line: line, field: name, reason: reason) }

        /// The value's SP-separated tokens, exactly `n` of them, none empty.
        func tokens(_ n: Int) throws(StatementError) -> [String] {
            guard let value else { throw invalid("no value") }
            let t = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard !t.contains(where: \.isEmpty) else { throw invalid("empty token (two spaces, or a trailing space)") }
            guard t.count == n else { throw invalid("expected \(n) value\(n == 1 ? "" : "s"), got \(t.count)") }
            return t
        }

        func token() throws(StatementError) -> String { try tokens(1)[0] }

        func text() throws(StatementError) -> String {
            guard let s = Statement.decodeText(try token()) else {
                throw invalid("bad percent-encoding (only %25, %20 and %3D, and no literal '=')")
            }
            guard Statement.isValidText(s) else { throw invalid("1 to 256 bytes of UTF-8 without control characters") }
            return s
        }

        func time() throws(StatementError) -> UTCTime {
            let t = try token()
            do { return try UTCTime(parsing: t) } catch { throw invalid("not a time (YYYY-MM-DDTHH:MM:SSZ)") }
        }

        func role() throws(StatementError) -> Role {
            guard let r = Role(rawValue: try token()) else { throw invalid("unknown role") }
            return r
        }

        func inForce() throws(StatementError) -> CivilDate? {
            let t = try token()
            if t == "-" { return nil }
            do { return try CivilDate(parsing: t) } catch { throw invalid("not a date (YYYY-MM-DD) or -") }
        }

        func keyID() throws(StatementError) -> String {
            let t = try token()
            guard Statement.isValidKeyID(t) else { throw invalid("not a key id (16 upper-case hex digits)") }
            return t
        }

        /// `<label> <key id> <minisign public key> <age recipient> <created> <expires or ->`.
        func key() throws(StatementError) -> PartyKey {
            let t = try tokens(6)
            guard PartyKey.isValidLabel(t[0]) else { throw invalid("bad key label \"\(t[0].prefix(40))\"") }
            guard Statement.isValidKeyID(t[1]) else { throw invalid("not a key id (16 upper-case hex digits)") }
            let b64ok = t[2].utf8.count == 56 && t[2].utf8.allSatisfy {
                ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D
            }
            guard b64ok, let pk = try? MinisignPublicKey(base64: t[2]), pk.base64 == t[2] else {
                throw invalid("not a minisign Ed25519 public key (canonical padded base64 of 42 bytes)")
            }
            guard pk.keyIDString == t[1] else { throw invalid("key id \(t[1]) is not the public key's (\(pk.keyIDString))") }
            guard let recipient = try? AgeX25519Recipient(parsing: t[3]), recipient.encoded == t[3] else {
                throw invalid("not an age X25519 recipient (age1…)")
            }
            let created: UTCTime, expires: UTCTime?
            do {
                created = try UTCTime(parsing: t[4])
                if t[5] == "-" { expires = nil } else { expires = try UTCTime(parsing: t[5]) }
            } catch {
                throw invalid("key times: created and expires must be times (YYYY-MM-DDTHH:MM:SSZ), expires may be -")
            }
            if let expires, expires <= created { throw invalid("the key expires before it is created") }
            do {
                return try PartyKey(label: t[0], signingKey: pk, recipient: recipient, created: created, expires: expires)
            } catch {
                throw invalid("bad key")
            }
        }
    }

    let lines: [Field]
    var position = 0
    /// The field names of the statement type (header fields included), once known.
    var allowed: [String] = []
    var seen: Set<String> = []

    init(lines: [(Int, String, String?)]) {
        self.lines = lines.map { Field(line: $0.0, name: $0.1, value: $0.2) }
    }

    var next: Field? { position < lines.count ? lines[position] : nil }

    /// The next line, which must be field `name`; otherwise the most specific error.
    mutating func take(_ name: String, repeatable: Bool = false) throws(StatementError) -> Field {
        guard let f = next else { throw .missingField(name) }
        guard f.name == name else { throw classify(f, expected: name) }
        if seen.contains(name) && !repeatable { throw .repeatedField(line: f.line, name: name) }
        seen.insert(name)
        position += 1
        return f
    }

    /// Nothing may follow the type's last field.
    func finish() throws(StatementError) {
        if let f = next { throw classify(f, expected: nil) }
    }

    private func classify(_ f: Field, expected: String?) -> StatementError {
        if !allowed.contains(f.name) { return .unknownField(line: f.line, name: f.name) }
        if seen.contains(f.name) { return .repeatedField(line: f.line, name: f.name) }
        // A field of this type, but a later one: the expected one is missing.
        return .missingField(expected ?? f.name)
    }
}

// MARK: - Signer names

/// A party key as a statement signer: the note key name `<party code>/<key id>` (§5.3).
public struct StatementSignerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let party: PartyCode
    public let keyID: String

    public init(party: PartyCode, keyID: String) throws(StatementError) {
        guard Statement.isValidKeyID(keyID) else { throw .invalidStatement("not a key id (16 upper-case hex digits): \(keyID.prefix(40))") }
        self.party = party
        self.keyID = keyID
    }

    /// Parses `<party code>/<key id>`; nil for any other note key name.
    public init?(noteName: String) {
        let parts = noteName.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = try? PartyCode(String(parts[0])), Statement.isValidKeyID(String(parts[1])) else { return nil }
        party = p
        keyID = String(parts[1])
    }

    /// `<party code>/<key id>`, e.g. `FRA/E7620F1842B4E81F`.
    public var noteName: String { "\(party)/\(keyID)" }
    public var description: String { noteName }

    public static func < (a: Self, b: Self) -> Bool { (a.party, a.keyID) < (b.party, b.keyID) }
}

extension PartyKey {
    /// The note verifier key (type 0x01 Ed25519) under which this key of `party` signs
    /// statements: name `<party>/<key id>`, this key's Ed25519 public key (§5.3).
    public func noteVerifier(party: PartyCode) -> NoteVerifierKey {
        // The name is 3 letters, '/' and 16 hex digits, and the key is 32 bytes: always valid.
        try! signingKey.noteVerifier(name: StatementSignerID.name(party: party, keyID: keyID))
    }
}

extension StatementSignerID {
    static func name(party: PartyCode, keyID: String) -> String { "\(party)/\(keyID)" }
}
