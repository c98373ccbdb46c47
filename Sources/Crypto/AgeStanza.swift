/// One recipient stanza of an age header: `-> type arg…` then a base64 body.
public struct AgeStanza: Equatable, Sendable {
    public var type: String
    public var arguments: [String]
    public var body: [UInt8]

    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type; self.arguments = arguments; self.body = body
    }

    /// Serialises the stanza: arguments space-separated, the body in canonical unpadded
    /// base64 wrapped at 64 columns, always ending with a line shorter than 64 (maybe empty).
    public func encode(into out: inout [UInt8]) {
        out += Array("-> ".utf8)
        out += Array(([type] + arguments).joined(separator: " ").utf8)
        out.append(0x0A)
        let b64 = Array(Base64.encode(body, padded: false).utf8)
        var i = 0
        while b64.count - i >= 64 {
            out += b64[i..<(i + 64)]
            out.append(0x0A)
            i += 64
        }
        out += b64[i...]
        out.append(0x0A)
    }

    /// True when `s` is a valid argument: one or more VCHAR (0x21–0x7E).
    static func isValidArgument<S: Collection>(_ s: S) -> Bool where S.Element == UInt8 {
        !s.isEmpty && s.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
