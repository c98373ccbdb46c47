import Testing
import Vault

/// The sealed payloads of docs/FORMATS.md §9: a message's header (subject, real file name)
/// and an assistance request's or offer's details, strictly parsed.
@Suite("message and assistance-details payloads")
struct MessageTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("a message header is written exactly as specified and reads back, attachment untouched")
    func roundTrip() throws {
        let h = try MessageHeader(subject: "Meeting on 5 May: agenda", fileName: "Note d'information é.pdf")
        #expect(h.encoded == bytes("att-report/message/v1\nsubject: Meeting on 5 May: agenda\nfile: Note d'information é.pdf\n\n"))
        // Attachments that look like headers, start with LF or are empty stay byte for byte.
        for attachment in [bytes("hello"), bytes("\n\nsubject: x\n\n"), [], [0x00, 0xFF, 0x0A]] {
            let (back, rest) = try MessageHeader.parse(payload: h.encoded + attachment)
            #expect(back == h)
            #expect(Array(rest) == attachment)
        }
        #expect(MessageHeader.manifestFileName == "message.txt")
    }

    @Test("the header's end is found incrementally and only within 4096 bytes")
    func headerLength() throws {
        let payload = try MessageHeader(subject: "s", fileName: "f.txt").encoded + bytes("body\n\nmore")
        let n = try #require(try PayloadHeader.length(in: payload))
        #expect(n == bytes("att-report/message/v1\nsubject: s\nfile: f.txt\n\n").count)
        for cut in 0..<n { #expect(try PayloadHeader.length(in: payload.prefix(cut)) == nil, "prefix \(cut)") }
        #expect(try PayloadHeader.length(in: [UInt8](repeating: 0x41, count: 4095)) == nil)
        #expect(throws: PayloadError.noHeaderEnd(limit: 4096)) { try PayloadHeader.length(in: [UInt8](repeating: 0x41, count: 4097)) }
        // A subject of 256 bytes fits; the header stays far below the limit.
        let long = String(repeating: "é", count: 128)
        #expect(try MessageHeader(parsing: try MessageHeader(subject: long, fileName: "a").encoded).subject == long)
    }

    @Test("malformed headers are refused with the rule that fails")
    func malformed() throws {
        let cases: [(String, PayloadError)] = [
            ("att-report/message/v2\nsubject: s\nfile: f\n\n", .wrongVersion(expected: "att-report/message/v1")),
            ("att-report/message/v1\nfile: f\nsubject: s\n\n", .wrongField(line: 2, expected: "subject")),
            ("att-report/message/v1\nsubject: s\n\n", .wrongField(line: 3, expected: "file")),
            ("att-report/message/v1\nsubject: s\nfile: f\nextra: x\n\n", .malformedLine(line: 4)),
            ("att-report/message/v1\nsubject:s\nfile: f\n\n", .malformedLine(line: 2)),
            ("att-report/message/v1\nsubject s\nfile: f\n\n", .malformedLine(line: 2)),
            ("att-report/message/v1\nSubject: s\nfile: f\n\n", .wrongField(line: 2, expected: "subject")),
            ("att-report/message/v1\r\nsubject: s\nfile: f\n\n", .wrongVersion(expected: "att-report/message/v1")),
            ("att-report/message/v1\nsubject:  s\nfile: f\n\n", .invalidValue(field: "subject", reason: "starts or ends with a space")),
            ("att-report/message/v1\nsubject: \nfile: f\n\n", .invalidValue(field: "subject", reason: "must be 1 to 256 bytes of UTF-8")),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text)") { try MessageHeader.parse(payload: self.bytes(text) + [0x41]) }
        }
        #expect(throws: PayloadError.noHeaderEnd(limit: 4096)) { try MessageHeader.parse(payload: self.bytes("att-report/message/v1\nsubject: s\nfile: f\n")) }
        // Not UTF-8.
        #expect(throws: PayloadError.malformedLine(line: 2)) {
            try MessageHeader.parse(payload: self.bytes("att-report/message/v1\nsubject: ") + [0xC3, 0x28] + self.bytes("\nfile: f\n\n"))
        }
    }

    @Test("subjects: length, control and format characters")
    func subjects() throws {
        #expect(throws: Never.self) { try MessageHeader(subject: String(repeating: "a", count: 256), fileName: "f") }
        for bad in [String(repeating: "a", count: 257), "", "tab\there", "bell\u{07}", "c1\u{85}", "rtl\u{202E}fdp.exe", "zero\u{200B}width", "ls\u{2028}x", " lead", "trail "] {
            #expect(throws: PayloadError.self, "\(bad.unicodeScalars.map { $0.value })") { try MessageHeader(subject: bad, fileName: "f") }
        }
    }

    @Test("file names are one safe path component")
    func fileNames() throws {
        for good in ["report.pdf", "Rapport annuel 2025 (FR).pdf", "é", "a..b", "x.tar.gz", String(repeating: "n", count: 255), "日本語.txt"] {
            #expect(MessageHeader.isValidFileName(good), "\(good)")
        }
        for bad in ["", ".", "..", "../etc/passwd", "a/b", "/abs", "..\\x", "a\\b", "c:x", "a*b", "a?b", "a\"b", "a<b", "a>b", "a|b",
                    ".hidden", "-rf", "name.", "name ", " name", "nul\u{00}x", "lf\nx", "cr\rx", "invoice\u{202E}fdp.exe",
                    String(repeating: "n", count: 256), String(repeating: "é", count: 128)] {
            #expect(!MessageHeader.isValidFileName(bad), "\(bad.unicodeScalars.map { $0.value })")
            // The parser refuses what the writer refuses.
            let payload = bytes("att-report/message/v1\nsubject: s\nfile: \(bad)\n\n")
            #expect(throws: PayloadError.self) { try MessageHeader.parse(payload: payload) }
        }
    }

    @Test("damaged headers (flipped, dropped, inserted bytes) are refused or read back to themselves")
    func damaged() throws {
        var rng = SystemRandomNumberGenerator()
        let header = try MessageHeader(subject: "Sujet: réunion", fileName: "note é.pdf").encoded
        let details = try AssistanceDetailsPayload(assistanceID: "NGA-1", envelope: "00041061050R3GG28A1C60T3GF",
                                                   details: AssistanceDetails(title: "t", text: "text\n")).encoded
        var accepted = 0
        for round in 0..<3000 {
            var b = round % 2 == 0 ? header + [0x41] : details
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: b[i] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: b.remove(at: i)
            default: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            }
            if round % 2 == 0 {
                guard let (h, rest) = try? MessageHeader.parse(payload: b) else { continue }
                accepted += 1
                #expect(h.encoded + Array(rest) == b, "accepted bytes must be the canonical header and its body")
            } else {
                guard let d = try? AssistanceDetailsPayload(parsing: b) else { continue }
                accepted += 1
                #expect(d.encoded == b)
            }
        }
        #expect(accepted < 3000)
    }

    @Test("assistance details: round trip, linkage names, refusals")
    func details() throws {
        let d = try AssistanceDetailsPayload(assistanceID: "NGA-2026-1", envelope: "00041061050R3GG28A1C60T3GF",
                                             details: AssistanceDetails(title: "EUC drafting", text: "Line one\n\tindented\n"))
        #expect(d.encoded == bytes("att-report/assistance-details/v1\nassistance: NGA-2026-1\nenvelope: 00041061050R3GG28A1C60T3GF\ntitle: EUC drafting\n\nLine one\n\tindented\n"))
        #expect(try AssistanceDetailsPayload(parsing: d.encoded) == d)

        let name = AssistanceDetailsPayload.manifestFileName(publicEnvelope: "00041061050R3GG28A1C60T3GF")
        #expect(name == "details-00041061050R3GG28A1C60T3GF.txt")
        #expect(Manifest.isValidFileName(name))
        #expect(AssistanceDetailsPayload.publicEnvelope(fromManifestFileName: name) == "00041061050R3GG28A1C60T3GF")
        for other in ["details-xyz.txt", "message.txt", "details-00041061050R3GG28A1C60T3GF.json", "details-80041061050R3GG28A1C60T3GF.txt"] {
            #expect(AssistanceDetailsPayload.publicEnvelope(fromManifestFileName: other) == nil, "\(other)")
        }
        #expect(AssistanceDetailsPayload.metadataFileName(assistanceID: "NGA-2026-1") == "assistance-NGA-2026-1.json")
        #expect(Manifest.isValidFileName(AssistanceDetailsPayload.metadataFileName(assistanceID: String(repeating: "A", count: 64))))

        let ok = AssistanceDetails(title: "t", text: "x")
        #expect(throws: PayloadError.self) { try AssistanceDetailsPayload(assistanceID: "bad id", envelope: "00041061050R3GG28A1C60T3GF", details: ok) }
        #expect(throws: PayloadError.self) { try AssistanceDetailsPayload(assistanceID: "A", envelope: "not-an-id", details: ok) }
        #expect(throws: PayloadError.self) { try AssistanceDetailsPayload(assistanceID: "A", envelope: "00041061050R3GG28A1C60T3GF", details: AssistanceDetails(title: "t", text: "")) }
        #expect(throws: PayloadError.self) { try AssistanceDetailsPayload(assistanceID: "A", envelope: "00041061050R3GG28A1C60T3GF", details: AssistanceDetails(title: "t", text: "esc\u{1B}[31m")) }
        #expect(throws: PayloadError.self) { try AssistanceDetailsPayload(assistanceID: "A", envelope: "00041061050R3GG28A1C60T3GF", details: AssistanceDetails(title: "t", text: String(repeating: "a", count: 65_537))) }
        // A message header is not a details header, and the body must be UTF-8.
        #expect(throws: PayloadError.wrongVersion(expected: AssistanceDetailsPayload.version)) {
            try AssistanceDetailsPayload(parsing: try MessageHeader(subject: "s", fileName: "f").encoded + self.bytes("x"))
        }
        var broken = d.encoded
        broken[broken.count - 2] = 0xFF
        #expect(throws: PayloadError.invalidBody("not UTF-8")) { try AssistanceDetailsPayload(parsing: broken) }
    }
}
