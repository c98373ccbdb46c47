/// Bech32 (BIP 173), as age uses it for `age1…` recipients and `AGE-SECRET-KEY-1…`
/// identities. age drops BIP 173's 90-character limit; callers choose.
public enum Bech32 {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case mixedCase, invalidCharacter(position: Int), noSeparator, emptyHRP, tooShort, tooLong(Int)
        case invalidChecksum, invalidPadding

        public var description: String {
            switch self {
            case .mixedCase: return "Bech32 string mixes upper and lower case"
            case let .invalidCharacter(p): return "Bech32 string has an invalid character at position \(p)"
            case .noSeparator: return "Bech32 string has no '1' separator"
            case .emptyHRP: return "Bech32 string has an empty human-readable part"
            case .tooShort: return "Bech32 data part is shorter than its checksum"
            case let .tooLong(n): return "Bech32 string is \(n) characters, over the limit"
            case .invalidChecksum: return "Bech32 checksum does not match"
            case .invalidPadding: return "Bech32 data has non-zero or excess padding bits"
            }
        }
    }

    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverse: [Int8] = {
        var t = [Int8](repeating: -1, count: 128)
        for (i, c) in charset.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let gen: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= gen[i] }
        }
        return chk
    }

    private static func hrpExpand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Encodes 8-bit `data` under `hrp`. The output is lower case unless `uppercase`.
    public static func encode(hrp: String, data: [UInt8], uppercase: Bool = false) -> String {
        String(decoding: encodeBytes(hrp: hrp, data: data, uppercase: uppercase), as: UTF8.self)
    }

    /// As `encode`, but to bytes the caller can zero (for secret keys).
    public static func encodeBytes(hrp: String, data: [UInt8], uppercase: Bool = false) -> [UInt8] {
        let h = Array(hrp.lowercased().utf8)
        var values = convertBits(data, from: 8, to: 5, pad: true)!
        defer { Sodium.memzero(&values) }
        let pm = polymod(hrpExpand(h) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((pm >> UInt32(5 * (5 - $0))) & 31) }
        var out = h + [UInt8(ascii: "1")]
        out.reserveCapacity(h.count + 1 + values.count + 6)
        for v in values { out.append(charset[Int(v)]) }
        for v in checksum { out.append(charset[Int(v)]) }
        if uppercase { for i in out.indices where out[i] >= 0x61 && out[i] <= 0x7A { out[i] -= 32 } }
        return out
    }

    /// Decodes to (lower-case HRP, 8-bit data). `limit` is BIP 173's 90 by default.
    public static func decode(_ string: String, limit: Int? = 90) throws -> (hrp: String, data: [UInt8]) {
        let (hrp, values) = try decodeValues(string, limit: limit)
        guard let data = convertBits(values, from: 5, to: 8, pad: false) else { throw Error.invalidPadding }
        return (hrp, data)
    }

    /// Decodes to (lower-case HRP, 5-bit values without the checksum).
    public static func decodeValues(_ string: String, limit: Int? = 90) throws -> (hrp: String, values: [UInt8]) {
        try decodeValues(bytes: Array(string.utf8), limit: limit)
    }

    public static func decodeValues(bytes: [UInt8], limit: Int? = 90) throws -> (hrp: String, values: [UInt8]) {
        if let limit, bytes.count > limit { throw Error.tooLong(bytes.count) }
        var hasLower = false, hasUpper = false
        for (i, b) in bytes.enumerated() {
            guard b >= 33 && b <= 126 else { throw Error.invalidCharacter(position: i) }
            if b >= 0x61 && b <= 0x7a { hasLower = true }
            if b >= 0x41 && b <= 0x5a { hasUpper = true }
        }
        if hasLower && hasUpper { throw Error.mixedCase }
        let lower = bytes.map { ($0 >= 0x41 && $0 <= 0x5a) ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")) else { throw Error.noSeparator }
        guard sep > 0 else { throw Error.emptyHRP }
        guard lower.count - sep - 1 >= 6 else { throw Error.tooShort }
        var values = [UInt8]()
        values.reserveCapacity(lower.count - sep - 1)
        for i in (sep + 1)..<lower.count {
            let v = reverse[Int(lower[i])]
            guard v >= 0 else { throw Error.invalidCharacter(position: i) }
            values.append(UInt8(v))
        }
        let hrp = Array(lower[..<sep])
        guard polymod(hrpExpand(hrp) + values) == 1 else { throw Error.invalidChecksum }
        return (String(decoding: hrp, as: UTF8.self), Array(values.dropLast(6)))
    }

    static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0, bits = 0
        var out = [UInt8]()
        out.reserveCapacity(data.count * from / to + 1)
        let maxv = (1 << to) - 1
        for v in data {
            guard Int(v) >> from == 0 else { return nil }
            acc = (acc << from) | Int(v)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxv))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
            return nil
        }
        return out
    }
}
