import Crypto

/// The one-line manifest of a sealed envelope (docs/FORMATS.md §6.1):
///
///     att-report/manifest/v1 id=<id> from=<party> key=<key id> type=<report type> year=<YYYY>
///       level=<level> to=<parties> keys=<hex> supersedes=<id or -> file=<name> time=<time>
///
/// (one line, one SP between fields). It is the trusted comment of the inner signature and,
/// followed by ` sealed-size=<bytes>`, of the outer one. Parsing is strict and `line`
/// prints exactly what was parsed, so `Manifest(parsing: m.line) == m` and
/// `Manifest(parsing: s).line == s` for every accepted `s`.
public struct Manifest: Equatable, Sendable, CustomStringConvertible {
    public static let version = "att-report/manifest/v1"

    /// 26 symbols of Crockford base32 (16 random bytes), see `generateID()`.
    public let id: String
    public let from: PartyCode
    /// The minisign key id (16 upper-case hex digits) of the sender key that signs.
    public let keyID: String
    public let type: ReportType
    /// The reporting year, `YYYY` (1000–9999).
    public let year: Int
    public let level: DisclosureLevel
    /// The recipient parties, sorted and distinct; empty exactly when `level` is `public`
    /// (written `to=-`).
    public let to: [PartyCode]
    /// SHA-256 (lower-case hex) of the recipient key list, `Disclosure.keyList(_:)`.
    public let keysSHA256: String
    /// The id of the envelope this one replaces, if any (`supersedes=-` when none).
    public let supersedes: String?
    /// The report's base name (`isValidFileName`).
    public let fileName: String
    /// The sealing time; also the ustar mtime of the container's members.
    public let time: UTCTime

    /// Builds a manifest, checking every field as `init(parsing:)` would.
    public init(id: String, from: PartyCode, keyID: String, type: ReportType, year: Int, level: DisclosureLevel,
                to: [PartyCode], keysSHA256: String, supersedes: String?, fileName: String, time: UTCTime) throws {
        func bad(_ why: String) -> EnvelopeError { .malformedManifest(why) }
        guard Manifest.isValidID(id) else { throw bad("id \"\(id.prefix(40))\" is not 26 symbols of Crockford base32 starting 0–7") }
        guard Manifest.isValidKeyID(keyID) else { throw bad("key \"\(keyID.prefix(40))\" is not 16 upper-case hex digits") }
        guard (1000...9999).contains(year) else { throw bad("year \(year) is not a four-digit year") }
        if level == .public {
            guard to.isEmpty else { throw bad("a public envelope has no recipient parties (to=-)") }
        } else {
            guard !to.isEmpty else { throw bad("level \(level.rawValue) needs at least one recipient party in to=") }
            guard zip(to, to.dropFirst()).allSatisfy({ $0 < $1 }) else { throw bad("to= parties must be sorted and distinct") }
        }
        guard Manifest.isLowerHex(keysSHA256, count: 64) else { throw bad("keys \"\(keysSHA256.prefix(80))\" is not 64 lower-case hex digits") }
        if let s = supersedes, !Manifest.isValidID(s) {
            throw bad("supersedes \"\(s.prefix(40))\" is neither - nor an envelope id")
        }
        guard Manifest.isValidFileName(fileName) else {
            throw bad("file \"\(fileName.prefix(120))\" is not 1–\(Manifest.maxFileNameLength) characters of [A-Za-z0-9._-] starting with neither . nor -, other than manifest.txt")
        }
        guard time >= Manifest.earliestTime, time <= Manifest.latestTime else {
            throw bad("time \(time) is outside \(Manifest.earliestTime)…\(Manifest.latestTime) (a ustar mtime)")
        }
        self.id = id; self.from = from; self.keyID = keyID; self.type = type; self.year = year; self.level = level
        self.to = to; self.keysSHA256 = keysSHA256; self.supersedes = supersedes; self.fileName = fileName; self.time = time
        guard line.utf8.count <= Manifest.maxLineLength else {
            throw bad("the manifest line is \(line.utf8.count) bytes; at most \(Manifest.maxLineLength) fit in a trusted comment")
        }
    }

    /// The field names after the version, in order.
    static let fieldNames = ["id", "from", "key", "type", "year", "level", "to", "keys", "supersedes", "file", "time"]

    /// Parses one manifest line (no line terminator), strictly.
    public init(parsing text: String) throws {
        func bad(_ why: String) -> EnvelopeError { .malformedManifest(why) }
        let bytes = Array(text.utf8)
        guard bytes.count <= Manifest.maxLineLength else {
            throw bad("the line is \(bytes.count) bytes, more than \(Manifest.maxLineLength)")
        }
        if let i = bytes.firstIndex(where: { $0 < 0x20 || $0 > 0x7E }) {
            throw bad("byte \(i) (0x\(String(bytes[i], radix: 16))) is not printable ASCII")
        }
        let tokens = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard tokens.first == Manifest.version else {
            throw bad("it does not begin with \"\(Manifest.version) \"")
        }
        guard tokens.count == Manifest.fieldNames.count + 1 else {
            throw bad("expected \(Manifest.fieldNames.count) fields after the version separated by single spaces, found \(tokens.count - 1)")
        }
        var values: [String] = []
        for (name, token) in zip(Manifest.fieldNames, tokens.dropFirst()) {
            guard token.hasPrefix(name + "="), token.utf8.count > name.utf8.count + 1 else {
                throw bad("expected field \(name)=<value> here, found \"\(token.prefix(40))\"")
            }
            values.append(String(token.dropFirst(name.count + 1)))
        }
        let from: PartyCode, type: ReportType, level: DisclosureLevel, time: UTCTime
        do { from = try PartyCode(values[1]) } catch { throw bad("from \"\(values[1].prefix(40))\" is not a party code") }
        do { type = try ReportType(parsing: values[3]) } catch { throw bad("type \"\(values[3].prefix(40))\" is not a report type") }
        let y = Array(values[4].utf8)
        guard y.count == 4, y[0] >= 0x31, y[0] <= 0x39, y.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let year = Int(values[4]) else {
            throw bad("year \"\(values[4].prefix(40))\" is not YYYY (1000–9999)")
        }
        do { level = try DisclosureLevel(parsing: values[5]) } catch { throw bad("level \"\(values[5].prefix(40))\" is not a disclosure level") }
        var to: [PartyCode] = []
        if values[6] != "-" {
            for code in values[6].split(separator: ",", omittingEmptySubsequences: false) {
                do { to.append(try PartyCode(String(code))) } catch {
                    throw bad("to: \"\(code.prefix(40))\" is not a party code (to= is - or sorted codes joined by commas)")
                }
            }
        }
        do { time = try UTCTime(parsing: values[10]) } catch { throw bad("time \"\(values[10].prefix(40))\" is not YYYY-MM-DDTHH:MM:SSZ") }
        try self.init(id: values[0], from: from, keyID: values[2], type: type, year: year, level: level, to: to,
                      keysSHA256: values[7], supersedes: values[8] == "-" ? nil : values[8], fileName: values[9], time: time)
    }

    /// The manifest line, without a line terminator.
    public var line: String {
        let toText = to.isEmpty ? "-" : to.map(\.rawValue).joined(separator: ",")
        return "\(Manifest.version) id=\(id) from=\(from) key=\(keyID) type=\(type.rawValue) year=\(year) level=\(level.rawValue)"
            + " to=\(toText) keys=\(keysSHA256) supersedes=\(supersedes ?? "-") file=\(fileName) time=\(time)"
    }

    public var description: String { line }

    // MARK: The outer trusted comment

    static let sealedSizeField = " sealed-size="

    /// The outer signature's trusted comment: the line, then ` sealed-size=<bytes>`.
    public func outerComment(sealedSize: UInt64) -> String { line + Manifest.sealedSizeField + String(sealedSize) }

    /// Splits an outer trusted comment into its manifest and declared sealed size.
    public static func parseOuterComment(_ comment: String) throws -> (manifest: Manifest, sealedSize: UInt64) {
        let bytes = Array(comment.utf8), field = Array(sealedSizeField.utf8)
        guard bytes.count >= field.count,
              let start = (0...(bytes.count - field.count)).reversed().first(where: { bytes[$0..<($0 + field.count)].elementsEqual(field) }) else {
            throw EnvelopeError.malformedManifest("the outer trusted comment does not end with \"\(sealedSizeField.dropFirst())<bytes>\"")
        }
        let d = Array(bytes[(start + field.count)...])
        let digits = String(decoding: d, as: UTF8.self)
        guard !d.isEmpty, d.count <= 20, d.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), d[0] != 0x30 || d.count == 1,
              let size = UInt64(digits) else {
            throw EnvelopeError.malformedManifest("sealed-size \"\(digits.prefix(40))\" is not a decimal byte count without leading zeros")
        }
        return (try Manifest(parsing: String(decoding: bytes[..<start], as: UTF8.self)), size)
    }

    // MARK: Field rules

    /// Longest manifest line: the outer trusted comment (line + ` sealed-size=` + up to 20
    /// digits) must fit minisign's 8173-byte limit (§2.4.3).
    public static let maxLineLength = Minisign.maxTrustedCommentBytes - sealedSizeField.utf8.count - 20

    /// `file=` is at most 92 characters so that `<file>.minisig` fits the 100-byte ustar name.
    public static let maxFileNameLength = 92

    /// Member times are ustar mtimes: 11 octal digits, from the epoch.
    public static let earliestTime = UTCTime(seconds: 0)
    public static let latestTime = UTCTime(seconds: 0o77777777777)

    /// `[A-Za-z0-9._-]{1,92}`, not starting with `.` or `-`, and not `manifest.txt`.
    public static func isValidFileName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func ok(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        return (1...maxFileNameLength).contains(b.count) && b.allSatisfy(ok) && b[0] != 0x2E && b[0] != 0x2D
            && s != Ustar.manifestName
    }

    public static func isValidKeyID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return b.count == 16 && b.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) }
    }

    static func isLowerHex(_ s: String, count: Int) -> Bool {
        let b = Array(s.utf8)
        return b.count == count && b.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    // MARK: Ids

    /// Crockford's base32 alphabet (no I, L, O, U).
    static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A fresh envelope id: 16 bytes from the CSPRNG.
    public static func generateID() -> String { encodeID(randomBytes(16)) }

    /// The 16 bytes as a 128-bit big-endian number in 26 base32 symbols, most significant
    /// first; the first symbol holds only the top 3 bits (two leading zero bits).
    public static func encodeID(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 16)
        var out = [UInt8]()
        out.reserveCapacity(26)
        // Bit i (0 = most significant of 130) of the zero-extended number.
        func bit(_ i: Int) -> UInt8 {
            let j = i - 2
            guard j >= 0 else { return 0 }
            return (bytes[j / 8] >> (7 - UInt8(j % 8))) & 1
        }
        for s in 0..<26 {
            var v: UInt8 = 0
            for k in 0..<5 { v = v << 1 | bit(s * 5 + k) }
            out.append(crockford[Int(v)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 16 bytes of an id, or nil if it is not 26 upper-case Crockford symbols whose
    /// first is 0–7.
    public static func decodeID(_ s: String) -> [UInt8]? {
        let b = Array(s.utf8)
        guard b.count == 26 else { return nil }
        var bits: [UInt8] = []
        bits.reserveCapacity(130)
        for c in b {
            guard let v = crockford.firstIndex(of: c) else { return nil }
            for k in (0..<5).reversed() { bits.append(UInt8((v >> k) & 1)) }
        }
        guard bits[0] == 0, bits[1] == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: 16)
        for j in 0..<128 where bits[j + 2] == 1 { out[j / 8] |= 1 << (7 - UInt8(j % 8)) }
        return out
    }

    public static func isValidID(_ s: String) -> Bool { decodeID(s) != nil }
}
