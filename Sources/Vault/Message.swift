/// Sealed payloads with a small header (docs/FORMATS.md §9): what goes inside an envelope
/// of type `message`, and the sealed details of a request for or an offer of assistance.
/// The manifest is read by the relay, so everything private (a message's subject and the
/// attachment's real name, the details' title) lives here, in the encrypted report, and
/// the manifest names only a neutral file (`message.txt`, `details-<id>.txt`).
///
/// A header is the version line, then `<field>: <value>` lines in a fixed order, each
/// exactly once, then an empty line; at most `PayloadHeader.maxSize` bytes in all. What
/// follows the empty line is the body. Parsing is strict: a header reads back to itself
/// byte for byte.
public enum PayloadError: Error, Equatable, CustomStringConvertible {
    case noHeaderEnd(limit: Int)
    case wrongVersion(expected: String)
    case malformedLine(line: Int)
    case wrongField(line: Int, expected: String)
    case invalidValue(field: String, reason: String)
    case invalidBody(String)

    public var description: String {
        switch self {
        case let .noHeaderEnd(limit): return "the payload has no header ending in an empty line within its first \(limit) bytes"
        case let .wrongVersion(expected): return "the payload does not start with the line \(expected)"
        case let .malformedLine(line): return "payload header line \(line) is not \"<field>: <value>\" in UTF-8"
        case let .wrongField(line, expected): return "payload header line \(line): expected the field \"\(expected)\""
        case let .invalidValue(field, reason): return "payload header field \(field): \(reason)"
        case let .invalidBody(reason): return "payload body: \(reason)"
        }
    }
}

public enum PayloadHeader {
    /// The longest header, version line and empty line included.
    public static let maxSize = 4096

    /// The header's length (up to and including the empty line) if `prefix` holds all of it;
    /// nil if more bytes are needed. Throws once `maxSize` bytes hold no empty line.
    public static func length(in prefix: some Collection<UInt8>) throws -> Int? {
        var previous: UInt8 = 0
        for (i, b) in prefix.enumerated() {
            if i >= maxSize { throw PayloadError.noHeaderEnd(limit: maxSize) }
            if b == 0x0A && previous == 0x0A { return i + 1 }
            previous = b
        }
        return nil
    }

    /// Writes a header: the version, the fields in order, an empty line.
    static func encode(version: String, fields: [(String, String)]) -> [UInt8] {
        var s = version + "\n"
        for (name, value) in fields { s += "\(name): \(value)\n" }
        return Array((s + "\n").utf8)
    }

    /// Reads a whole header (as `length` delimits it): exactly these fields, in this order.
    static func decode(_ header: some Collection<UInt8>, version: String, fields names: [String]) throws -> [String] {
        let bytes = Array(header)
        guard bytes.count <= maxSize, bytes.count >= 2, bytes.suffix(2) == [0x0A, 0x0A] else { throw PayloadError.noHeaderEnd(limit: maxSize) }
        // Split on LF bytes (a String would join CR LF into one character).
        var lines: [String] = []
        for (i, raw) in bytes.dropLast(2).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard let line = String(validating: raw, as: UTF8.self) else { throw PayloadError.malformedLine(line: i + 1) }
            lines.append(line)
        }
        guard lines.first == version else { throw PayloadError.wrongVersion(expected: version) }
        guard lines.count == names.count + 1 else {
            if lines.count <= names.count { throw PayloadError.wrongField(line: lines.count + 1, expected: names[lines.count - 1]) }
            throw PayloadError.malformedLine(line: names.count + 2)
        }
        var values: [String] = []
        for (i, name) in names.enumerated() {
            let line = lines[i + 1]
            guard let colon = line.firstIndex(of: ":") else { throw PayloadError.malformedLine(line: i + 2) }
            guard line[..<colon] == name else { throw PayloadError.wrongField(line: i + 2, expected: name) }
            let rest = line[line.index(after: colon)...]
            guard rest.hasPrefix(" ") else { throw PayloadError.malformedLine(line: i + 2) }
            values.append(String(rest.dropFirst()))
        }
        return values
    }

    /// One-line text: 1–`limit` bytes of UTF-8, no control or format character (Unicode
    /// Cc, Cf: bidirectional overrides included), no line or paragraph separator, no
    /// leading or trailing space.
    static func checkText(_ value: String, field: String, limit: Int) throws {
        guard (1...limit).contains(value.utf8.count) else {
            throw PayloadError.invalidValue(field: field, reason: "must be 1 to \(limit) bytes of UTF-8")
        }
        guard !value.unicodeScalars.contains(where: isForbidden) else {
            throw PayloadError.invalidValue(field: field, reason: "holds a control, format or line-separator character")
        }
        guard !value.hasPrefix(" "), !value.hasSuffix(" ") else {
            throw PayloadError.invalidValue(field: field, reason: "starts or ends with a space")
        }
    }

    static func isForbidden(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}

/// A secure message: a subject and one attachment under its real name, both sealed.
///
/// ```
/// att-report/message/v1
/// subject: <text>
/// file: <file name>
///
/// <the attachment's bytes>
/// ```
public struct MessageHeader: Equatable, Sendable {
    public static let version = "att-report/message/v1"
    /// The neutral name the manifest carries for every message.
    public static let manifestFileName = "message.txt"
    public static let maxSubject = 256
    public static let maxFileName = 255

    public let subject: String
    public let fileName: String

    public init(subject: String, fileName: String) throws {
        try PayloadHeader.checkText(subject, field: "subject", limit: Self.maxSubject)
        try Self.checkFileName(fileName)
        self.subject = subject; self.fileName = fileName
    }

    /// The header bytes; the attachment follows them.
    public var encoded: [UInt8] { PayloadHeader.encode(version: Self.version, fields: [("subject", subject), ("file", fileName)]) }

    /// Reads a whole header (`PayloadHeader.length` bytes).
    public init(parsing header: some Collection<UInt8>) throws {
        let v = try PayloadHeader.decode(header, version: Self.version, fields: ["subject", "file"])
        try self.init(subject: v[0], fileName: v[1])
    }

    /// A file name that is one safe path component on any common system: 1–255 bytes of
    /// UTF-8; no control, format or separator character; none of `/ \ : * ? " < > |`; not
    /// starting with `.`, `-` or a space, not ending with `.` or a space. So `..`, hidden
    /// files, option-like names and names that a right-to-left override disguises are refused.
    public static func checkFileName(_ name: String) throws {
        try PayloadHeader.checkText(name, field: "file", limit: maxFileName)
        guard !name.unicodeScalars.contains(where: { "/\\:*?\"<>|".unicodeScalars.contains($0) }) else {
            throw PayloadError.invalidValue(field: "file", reason: "holds one of / \\ : * ? \" < > |")
        }
        guard !name.hasPrefix("."), !name.hasPrefix("-"), !name.hasSuffix(".") else {
            throw PayloadError.invalidValue(field: "file", reason: "starts with '.' or '-', or ends with '.'")
        }
    }

    public static func isValidFileName(_ name: String) -> Bool { (try? checkFileName(name)) != nil }

    /// The whole payload of a message held in memory: header and attachment.
    public static func parse(payload: [UInt8]) throws -> (header: MessageHeader, attachment: ArraySlice<UInt8>) {
        guard let n = try PayloadHeader.length(in: payload) else { throw PayloadError.noHeaderEnd(limit: PayloadHeader.maxSize) }
        return (try MessageHeader(parsing: payload[..<n]), payload[n...])
    }
}

/// The sealed half of a request for or an offer of assistance, linked to its public
/// metadata envelope.
///
/// ```
/// att-report/assistance-details/v1
/// assistance: <assistance id>
/// envelope: <id of the public metadata envelope>
/// title: <text>
///
/// <details: UTF-8 text>
/// ```
public struct AssistanceDetailsPayload: Equatable, Sendable {
    public static let version = "att-report/assistance-details/v1"
    public static let maxTitle = 256
    public static let maxText = 65_536

    public let assistanceID: String
    public let envelope: String
    public let details: AssistanceDetails

    public init(assistanceID: String, envelope: String, details: AssistanceDetails) throws {
        guard (1...64).contains(assistanceID.utf8.count),
              assistanceID.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }) else {
            throw PayloadError.invalidValue(field: "assistance", reason: "not 1 to 64 letters, digits or '-'")
        }
        guard Manifest.isValidID(envelope) else { throw PayloadError.invalidValue(field: "envelope", reason: "not an envelope id") }
        try PayloadHeader.checkText(details.title, field: "title", limit: Self.maxTitle)
        try Self.checkText(details.text)
        self.assistanceID = assistanceID; self.envelope = envelope; self.details = details
    }

    /// The details text: 1–64 KiB of UTF-8; LF line ends; no control character other than
    /// LF and TAB, no format character.
    static func checkText(_ text: String) throws {
        guard (1...maxText).contains(text.utf8.count) else { throw PayloadError.invalidBody("the details must be 1 to \(maxText) bytes") }
        guard !text.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\t" && PayloadHeader.isForbidden($0) }) else {
            throw PayloadError.invalidBody("the details hold a control or format character (only LF and TAB are allowed)")
        }
    }

    public var encoded: [UInt8] {
        PayloadHeader.encode(version: Self.version, fields: [("assistance", assistanceID), ("envelope", envelope), ("title", details.title)])
            + Array(details.text.utf8)
    }

    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count <= PayloadHeader.maxSize + Self.maxText else { throw PayloadError.invalidBody("larger than \(Self.maxText) bytes") }
        guard let n = try PayloadHeader.length(in: bytes) else { throw PayloadError.noHeaderEnd(limit: PayloadHeader.maxSize) }
        let v = try PayloadHeader.decode(bytes[..<n], version: Self.version, fields: ["assistance", "envelope", "title"])
        guard let text = String(validating: bytes[n...], as: UTF8.self) else { throw PayloadError.invalidBody("not UTF-8") }
        try self.init(assistanceID: v[0], envelope: v[1], details: AssistanceDetails(title: v[2], text: text))
    }

    /// The manifest file name of the details envelope: it names the public envelope.
    public static func manifestFileName(publicEnvelope: String) -> String { "details-\(publicEnvelope).txt" }

    /// The public envelope a details envelope's manifest file name names, if it is one.
    public static func publicEnvelope(fromManifestFileName name: String) -> String? {
        guard name.hasPrefix("details-"), name.hasSuffix(".txt") else { return nil }
        let id = String(name.dropFirst("details-".count).dropLast(".txt".count))
        return Manifest.isValidID(id) ? id : nil
    }

    /// The manifest file name of a public metadata envelope.
    public static func metadataFileName(assistanceID: String) -> String { "assistance-\(assistanceID).json" }
}
