import Crypto
import Testing
import TestSupport

@Suite("HKDF-SHA-256 (RFC 5869 appendix A)")
struct HKDFTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String, ikm: String, salt: String, info: String, length: Int, okm: String
        var description: String { name }
    }
    static let cases: [Case] = [
        Case(name: "A.1 basic", ikm: String(repeating: "0b", count: 22), salt: "000102030405060708090a0b0c",
             info: "f0f1f2f3f4f5f6f7f8f9", length: 42,
             okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        Case(name: "A.2 long inputs", ikm: (0x00...0x4f).map { String(format: "%02x", $0) }.joined(),
             salt: (0x60...0xaf).map { String(format: "%02x", $0) }.joined(),
             info: (0xb0...0xff).map { String(format: "%02x", $0) }.joined(), length: 82,
             okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"),
        Case(name: "A.3 empty salt and info", ikm: String(repeating: "0b", count: 22), salt: "", info: "", length: 42,
             okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    ]

    @Test(arguments: cases)
    func rfc5869(_ c: Case) throws {
        let okm = try hexBytes(c.ikm).withUnsafeBytes { i in
            try hexBytes(c.salt).withUnsafeBytes { s in
                try hexBytes(c.info).withUnsafeBytes { n in try HKDF.deriveKey(ikm: i, salt: s, info: n, length: c.length) }
            }
        }
        #expect(okm.withUnsafeBytes { hex(Array($0)) } == c.okm)
    }

    @Test func refusesOverlongOutput() {
        #expect(throws: HKDF.Error.outputTooLong(255 * 32 + 1)) {
            try HKDF.deriveKey(ikm: SecureBytes(count: 32), salt: [], info: "x", length: 255 * 32 + 1)
        }
    }
}

@Suite("Bech32 (BIP 173 test vectors)")
struct Bech32Tests {
    static let valid = [
        "A12UEL5L", "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    ]
    // (string, reason) — BIP 173's invalid list; the segwit-address vectors are not
    // included because age uses Bech32 without the segwit program layer.
    static let invalid: [String] = [
        "\u{20}1nwldj5",   // HRP character out of range
        "\u{7F}1axkwrx",   // HRP character out of range
        "\u{80}1eym55h",   // HRP character out of range
        "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx", // overall max length exceeded
        "pzry9x0s0muk",    // no separator character
        "1pzry9x0s0muk",   // empty HRP
        "x1b4n0q5v",       // invalid data character
        "li1dgmt3",        // too short checksum
        "de1lg7wt\u{FF}",  // invalid character in checksum
        "A1G7SGD8",        // checksum calculated with uppercase form of HRP
        "10a06t8",         // empty HRP
        "1qzzfhee",        // empty HRP
    ]

    @Test(arguments: valid)
    func validStrings(_ s: String) throws {
        let (hrp, values) = try Bech32.decodeValues(s)
        let lower = s.lowercased()
        #expect(hrp == String(lower[..<lower.lastIndex(of: "1")!]))
        // Data part: everything after the separator except the 6 checksum characters.
        #expect(values.count == lower.count - hrp.count - 1 - 6)
    }

    @Test(arguments: invalid)
    func invalidStrings(_ s: String) {
        #expect(throws: (any Error).self) { try Bech32.decodeValues(s) }
    }

    @Test func roundTripAndCase() throws {
        let data = randomBytes(32)
        let lower = Bech32.encode(hrp: "age", data: data)
        #expect(lower.hasPrefix("age1"))
        #expect(try Bech32.decode(lower, limit: nil).data == data)
        #expect(try Bech32.decode(lower.uppercased(), limit: nil).data == data)
        var mixed = Array(lower)
        let letter = mixed.indices.dropFirst(4).first { mixed[$0].isLetter }!
        mixed[letter] = Character(mixed[letter].uppercased())
        #expect(throws: Bech32.Error.mixedCase) { try Bech32.decode(String(mixed), limit: nil) }
        var flipped = Array(lower); flipped[10] = flipped[10] == "q" ? "p" : "q"
        #expect(throws: Bech32.Error.invalidChecksum) { try Bech32.decode(String(flipped), limit: nil) }
    }
}

@Suite("strict base64")
struct Base64Tests {
    @Test func canonicalOnly() {
        #expect(Base64.decode("QUI=", padded: true) == [0x41, 0x42])
        #expect(Base64.decode("QUJ=", padded: true) == nil)   // stray bits
        #expect(Base64.decode("QUI", padded: true) == nil)    // missing padding
        #expect(Base64.decode("QUI", padded: false) == [0x41, 0x42])
        #expect(Base64.decode("QUI=", padded: false) == nil)  // padding where none is allowed
        #expect(Base64.decode("QU I", padded: false) == nil)  // whitespace
        #expect(Base64.decode("QUI\n", padded: false) == nil)
        #expect(Base64.decode("", padded: false) == [])
        #expect(Base64.encode([0xff, 0xfe], padded: false) == "//4")
    }
}
