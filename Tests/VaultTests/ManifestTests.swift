import Crypto
import Foundation
import Testing
@testable import Vault

@Suite("envelope manifest")
struct ManifestTests {
    static let good = "att-report/manifest/v1 id=01HZX3M6Q4T8V0W2Y5B7C9D1EF from=FRA key=E7620F1842B4E81F type=annual year=2026 level=selected to=FRA,GBR keys=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 supersedes=- file=annual-2026.pdf time=2026-12-04T10:00:00Z"

    @Test func parsesAndPrintsExactly() throws {
        let m = try Manifest(parsing: Self.good)
        #expect(m.line == Self.good)
        #expect(m.id == "01HZX3M6Q4T8V0W2Y5B7C9D1EF")
        #expect(m.from.rawValue == "FRA" && m.keyID == "E7620F1842B4E81F" && m.type == .annual && m.year == 2026)
        #expect(m.level == .selected && m.to.map(\.rawValue) == ["FRA", "GBR"] && m.supersedes == nil)
        #expect(m.fileName == "annual-2026.pdf" && m.time.description == "2026-12-04T10:00:00Z")
        #expect(try Manifest(parsing: m.line) == m)

        let p = try Manifest(parsing: Self.good.settingManifestField("level", "public").settingManifestField("to", "-")
            .settingManifestField("supersedes", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ").settingManifestField("type", "assistance-request"))
        #expect(p.to.isEmpty && p.level == .public && p.supersedes == "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" && p.type == .assistanceRequest)
        #expect(p.line.contains(" to=- ") && p.line.contains(" supersedes=7ZZZ"))
    }

    @Test("every malformed line is refused with malformedManifest", arguments: [
        ("id", "01HZX3M6Q4T8V0W2Y5B7C9D1E"),          // 25 symbols
        ("id", "81HZX3M6Q4T8V0W2Y5B7C9D1EF"),         // first symbol over 7
        ("id", "01hzx3m6q4t8v0w2y5b7c9d1ef"),         // lower case
        ("id", "01HZX3M6Q4T8V0W2Y5B7C9D1EU"),         // U is not Crockford
        ("id", "01HZX3M6Q4T8V0W2Y5B7C9D1EI"),
        ("from", "fra"), ("from", "FRAN"), ("from", "-"),
        ("key", "e7620f1842b4e81f"), ("key", "E7620F1842B4E81"), ("key", "E7620F1842B4E81G"),
        ("type", "Annual"), ("type", "report"),
        ("year", "0999"), ("year", "26"), ("year", "20266"), ("year", "+026"),
        ("level", "restricted"), ("level", "Public"),
        ("to", "-"), ("to", ""), ("to", "GBR,FRA"), ("to", "FRA,FRA"), ("to", "FRA,,GBR"), ("to", "FRA,"), ("to", "fra"),
        ("keys", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"), ("keys", "e3b0"),
        ("supersedes", ""), ("supersedes", "none"),
        ("file", ".hidden"), ("file", "-x"), ("file", "a/b"), ("file", "manifest.txt"), ("file", "a\u{7f}b"),
        ("file", String(repeating: "x", count: 93)),
        ("time", "2026-12-04T10:00:00"), ("time", "2026-12-04 10:00:00Z"), ("time", "1969-12-31T23:59:59Z"),
        ("time", "2242-03-16T12:56:32Z"), ("time", "2026-02-30T00:00:00Z"),
    ])
    func refusesField(field: String, value: String) {
        let line = Self.good.settingManifestField(field, value)
        #expect(line != Self.good)
        #expect(throws: EnvelopeError.self) { try Manifest(parsing: line) }
    }

    @Test func refusesLayout() {
        let bad = [
            "", Self.good + " ", " " + Self.good, Self.good + "\n", Self.good.replacingOccurrences(of: " from=", with: "  from="),
            Self.good.replacingOccurrences(of: "att-report/manifest/v1", with: "att-report/manifest/v2"),
            Self.good.replacingOccurrences(of: " from=FRA key=E7620F1842B4E81F", with: " key=E7620F1842B4E81F from=FRA"),
            Self.good.replacingOccurrences(of: " supersedes=-", with: ""),
            Self.good + " extra=1",
            Self.good.replacingOccurrences(of: "file=", with: "File="),
            Self.good.replacingOccurrences(of: " from=", with: "\tfrom="),
            Self.good.replacingOccurrences(of: "annual-2026", with: "annuél-2026"),
        ]
        for line in bad {
            #expect(throws: EnvelopeError.self, "\(line)") { try Manifest(parsing: line) }
        }
        #expect(throws: EnvelopeError.malformedManifest("it does not begin with \"att-report/manifest/v1 \"")) { try Manifest(parsing: "") }
    }

    @Test func fileNames() {
        for ok in ["a", "A.b-c_d", "9", "report..pdf", "x-", String(repeating: "x", count: 92)] {
            #expect(Manifest.isValidFileName(ok), "\(ok)")
        }
        for bad in ["", ".", "..", ".a", "-a", "a b", "a/b", "a\\b", "é", "manifest.txt", String(repeating: "x", count: 93)] {
            #expect(!Manifest.isValidFileName(bad), "\(bad)")
        }
    }

    @Test func timesMustBeUstarMTimes() throws {
        _ = try Manifest(parsing: Self.good.settingManifestField("time", "1970-01-01T00:00:00Z"))
        let last = try Manifest(parsing: Self.good.settingManifestField("time", "2242-03-16T12:56:31Z"))
        #expect(last.time.seconds == 0o77777777777)
    }

    @Test func outerComment() throws {
        let m = try Manifest(parsing: Self.good)
        #expect(m.outerComment(sealedSize: 12345) == Self.good + " sealed-size=12345")
        let (parsed, size) = try Manifest.parseOuterComment(Self.good + " sealed-size=12345")
        #expect(parsed == m && size == 12345)
        #expect(try Manifest.parseOuterComment(Self.good + " sealed-size=0").sealedSize == 0)
        #expect(try Manifest.parseOuterComment(Self.good + " sealed-size=18446744073709551615").sealedSize == UInt64.max)
        for bad in [Self.good, Self.good + " sealed-size=", Self.good + " sealed-size=012", Self.good + " sealed-size=1x",
                    Self.good + " sealed-size=18446744073709551616", Self.good + " sealed-size=+1", Self.good + " sealed-size=1 ",
                    Self.good + "  sealed-size=1", "sealed-size=1", Self.good + " sealed-size=-1"] {
            #expect(throws: EnvelopeError.self, "\(bad)") { try Manifest.parseOuterComment(bad) }
        }
    }

    @Test func lineLengthFitsTheTrustedComment() throws {
        #expect(Manifest.maxLineLength + " sealed-size=".utf8.count + 20 == Minisign.maxTrustedCommentBytes)
        // 193 States: still far below the limit.
        var codes: [String] = []
        for a in UInt8(ascii: "A")...UInt8(ascii: "H") {
            for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { codes.append(String(decoding: [a, b, UInt8(ascii: "X")], as: UTF8.self)) }
        }
        let line = Self.good.settingManifestField("to", codes.joined(separator: ","))
        #expect(try Manifest(parsing: line).to.count == codes.count)
        // Too many parties for one trusted comment.
        var many: [String] = []
        for a in UInt8(ascii: "A")...UInt8(ascii: "Z") {
            for b in UInt8(ascii: "A")...UInt8(ascii: "Z") {
                for c in UInt8(ascii: "Q")...UInt8(ascii: "T") { many.append(String(decoding: [a, b, c], as: UTF8.self)) }
            }
        }
        let long = Self.good.settingManifestField("to", many.sorted().joined(separator: ","))
        #expect(throws: EnvelopeError.self) { try Manifest(parsing: long) }
    }

    @Test func ids() {
        #expect(Manifest.encodeID([UInt8](repeating: 0, count: 16)) == "00000000000000000000000000")
        #expect(Manifest.encodeID([UInt8](repeating: 0xFF, count: 16)) == "7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
        #expect(Manifest.encodeID([0x80] + [UInt8](repeating: 0, count: 15)) == "40000000000000000000000000")
        // Computed independently (Python int.from_bytes(range(16), "big") in base 32).
        #expect(Manifest.encodeID(Array(0..<16)) == "00041061050R3GG28A1C60T3GF")
        #expect(Manifest.decodeID("00041061050R3GG28A1C60T3GF") == Array(0..<16))
        var seen = Set<String>()
        for _ in 0..<200 {
            let id = Manifest.generateID()
            #expect(id.utf8.count == 26 && Manifest.isValidID(id) && "01234567".contains(id.first!))
            #expect(Manifest.encodeID(Manifest.decodeID(id)!) == id)
            seen.insert(id)
        }
        #expect(seen.count == 200)
        for bad in ["", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "0000000000000000000000000O", "0000000000000000000000000a", "000000000000000000000000000"] {
            #expect(!Manifest.isValidID(bad), "\(bad)")
        }
    }
}

extension String {
    /// The line with `field=`'s value replaced.
    func settingManifestField(_ field: String, _ value: String) -> String {
        split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(field + "=") ? Substring(field + "=" + value) : $0 }.joined(separator: " ")
    }
}
