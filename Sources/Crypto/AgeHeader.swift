/// The age v1 header: version line, stanzas, MAC. Parsing is strict and works on the
/// exact header bytes, so the MAC is checked over what was received.
public struct AgeHeader: Equatable, Sendable {
    public static let versionLine = "age-encryption.org/v1"
    /// Limits that keep a hostile header from exhausting memory. age's own headers are
    /// far smaller: an X25519 stanza is 2 lines of under 64 bytes.
    public static let maxLineLength = 16 * 1024
    public static let maxHeaderLength = 8 * 1024 * 1024
    public static let maxStanzas = 65_535

    public var stanzas: [AgeStanza]
    public var mac: [UInt8]

    public init(stanzas: [AgeStanza], mac: [UInt8] = []) {
        self.stanzas = stanzas; self.mac = mac
    }

    /// The bytes the MAC covers: everything up to and including `---`.
    public func encodeWithoutMAC() -> [UInt8] {
        var out = Array((AgeHeader.versionLine + "\n").utf8)
        for s in stanzas { s.encode(into: &out) }
        out += Array("---".utf8)
        return out
    }

    /// The full header, ending with the MAC line and its newline.
    public func encode() -> [UInt8] {
        precondition(mac.count == 32, "header MAC not computed")
        return encodeWithoutMAC() + Array(" \(Base64.encode(mac, padded: false))\n".utf8)
    }

    /// HMAC-SHA-256 over `macInput` with HKDF(file key, "", "header").
    public static func computeMAC(fileKey: SecureBytes, macInput: [UInt8]) throws -> [UInt8] {
        let key = try HKDF.deriveKey(ikm: fileKey, salt: [], info: "header")
        return key.withUnsafeBytes { k in macInput.withUnsafeBytes { HMACSHA256.authenticate(key: k, message: $0) } }
    }

    /// Parses a complete header (through the MAC line's newline). Returns the header and
    /// the MAC input (the bytes through `---`).
    public static func parse(_ bytes: [UInt8]) throws -> (header: AgeHeader, macInput: [UInt8]) {
        var lines = LineCursor(bytes)
        guard let version = lines.next() else { throw AgeError.header("empty input") }
        guard version.elementsEqual(versionLine.utf8) else {
            if version.starts(with: "age-encryption.org/".utf8) {
                throw AgeError.header("unsupported version \"\(printable(version))\"")
            }
            throw AgeError.header("not an age file (first line is not \"\(versionLine)\")")
        }
        var stanzas: [AgeStanza] = []
        while true {
            guard let line = lines.next() else { throw AgeError.header("header ends before the MAC line") }
            let lineNumber = lines.lineNumber
            if line.starts(with: "---".utf8) {
                guard line.count == 3 + 1 + 43, line[line.startIndex + 3] == 0x20 else {
                    throw AgeError.header("line \(lineNumber): MAC line must be \"--- \" and 43 base64 characters")
                }
                guard let mac = Base64.decode(Array(line.dropFirst(4)), padded: false), mac.count == 32 else {
                    throw AgeError.header("line \(lineNumber): MAC is not canonical base64 of 32 bytes")
                }
                guard !stanzas.isEmpty else { throw AgeError.header("header has no recipient stanzas") }
                let macInputEnd = lines.lineStart + 3
                guard lines.atEnd else { throw AgeError.header("data after the MAC line") }
                return (AgeHeader(stanzas: stanzas, mac: mac), Array(bytes[0..<macInputEnd]))
            }
            guard line.starts(with: "-> ".utf8) else {
                throw AgeError.header("line \(lineNumber): expected a stanza (\"-> \") or the MAC line (\"---\")")
            }
            let fields = line.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            for f in fields where !AgeStanza.isValidArgument(f) {
                throw AgeError.header("line \(lineNumber): stanza arguments must be non-empty printable ASCII")
            }
            // Body: full 64-column lines, ended by one shorter line (possibly empty).
            var body: [UInt8] = []
            while true {
                guard let b = lines.next() else { throw AgeError.header("line \(lineNumber): stanza body is not terminated") }
                guard b.count <= 64 else { throw AgeError.header("line \(lines.lineNumber): stanza body line is longer than 64 columns") }
                guard b.allSatisfy(isBase64Char) else {
                    throw AgeError.header("line \(lines.lineNumber): stanza body line has a non-base64 character")
                }
                body += b
                if b.count < 64 { break }
            }
            guard let decoded = Base64.decode(body, padded: false) else {
                throw AgeError.header("line \(lineNumber): stanza body is not canonical unpadded base64")
            }
            guard stanzas.count < maxStanzas else { throw AgeError.header("more than \(maxStanzas) stanzas") }
            let strings = fields.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: decoded))
        }
    }

    private static func isBase64Char(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
    }

    static func printable<S: Sequence>(_ s: S) -> String where S.Element == UInt8 {
        String(decoding: s.prefix(64).map { ($0 >= 0x20 && $0 < 0x7F) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}

/// Iterates over LF-terminated lines without their LF. A CR is left in the line, where
/// the grammar rejects it. An unterminated last line is not a line.
struct LineCursor {
    private let bytes: [UInt8]
    private var position = 0
    private(set) var lineStart = 0
    private(set) var lineNumber = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    mutating func next() -> ArraySlice<UInt8>? {
        guard let nl = bytes[position...].firstIndex(of: 0x0A) else { return nil }
        lineStart = position
        lineNumber += 1
        defer { position = nl + 1 }
        return bytes[position..<nl]
    }
}
