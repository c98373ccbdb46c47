import Foundation
import Testing
import TestSupport

/// `att-report seal | open | verify | inspect` as a user sees them, on a copy of the example
/// world (keys-example/): who can read what each disclosure level gives them, what an
/// auditor sees without keys, what tampering does, and what the stock tools make of it.
@Suite("att-report envelopes (black box)")
struct EnvelopeCLITests {

    static let exampleRoot = Vectors.packageRoot.appendingPathComponent("keys-example")
    static let parties = ["SEC", "FRA", "NGA", "ARG", "JPN", "AUS", "MEX", "SGP", "XAU"]
    static let states = ["ARG", "AUS", "FRA", "JPN", "MEX", "NGA"]
    static let reportName = "annual-report-2025.csv"

    /// A copy of the example world's keystore (`home/`) and directory (`directory/`) in a
    /// temporary directory, with a report to seal. keys-example itself is never written.
    final class World: Sendable {
        let dir: TempDirectory
        let report: [UInt8]

        init(reportSize: Int = 150_000) throws {
            dir = try TempDirectory("envelope-cli")
            for name in ["home", "directory"] {
                try FileManager.default.copyItem(at: EnvelopeCLITests.exampleRoot.appendingPathComponent(name), to: dir.file(name))
            }
            try FileManager.default.createDirectory(at: dir.file("in"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: dir.file("out"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: dir.file("empty"), withIntermediateDirectories: true)
            report = randomBytes(reportSize)
            try dir.write("in/" + EnvelopeCLITests.reportName, report)
        }

        var home: String { dir.path("home") }
        var directory: String { dir.path("directory") }
        var reportPath: String { dir.path("in/" + EnvelopeCLITests.reportName) }
        var emptyHome: String { dir.path("empty") }
        var place: [String] { ["--home", home, "--directory", directory] }

        func keyInfo(_ party: String, _ field: String) throws -> String {
            let text = try String(contentsOfFile: home + "/\(party).key-info.txt", encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(field + ":") }, "\(party): no \(field)")
            return String(line.dropFirst(field.count + 1)).trimmingCharacters(in: .whitespaces)
        }
        func keyID(_ party: String) throws -> String { try keyInfo(party, "Key id") }
        func recipient(_ party: String) throws -> String { try keyInfo(party, "Recipient") }
        func identityFile(_ party: String) -> String { home + "/keys/\(party)/example-1.age" }
        func publicKeyFile(_ party: String) -> String { home + "/keys/\(party)/example-1.minisign.pub" }

        /// Seals the report; requires success and returns the envelope.
        @discardableResult
        func seal(_ party: String, _ args: [String], as name: String, report: String? = nil,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> Sealed {
            let path = dir.path(name)
            let r = try await attOK(["seal", "--party", party] + args + place + ["-o", path, report ?? reportPath],
                                    sourceLocation: sourceLocation)
            let out = r.stdoutText
            #expect(out.hasPrefix("Sealed ") && out.hasSuffix(": \(path) and \(path).minisig\n"), "\(r)", sourceLocation: sourceLocation)
            let id = String(out.dropFirst("Sealed ".count).prefix(26))
            #expect(id.count == 26 && id.allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) }, "\(r)",
                    sourceLocation: sourceLocation)
            #expect(FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: path + ".minisig"),
                    sourceLocation: sourceLocation)
            return Sealed(path: path, id: id, result: r)
        }

        func open(_ party: String, _ sealed: String, to out: String, home: String? = nil, extra: [String] = []) async throws -> ProcessResult {
            try await att(["open", "--party", party, "--home", home ?? self.home, "--directory", directory, "-o", out] + extra + [sealed])
        }

        func verify(_ sealed: String, extra: [String] = []) async throws -> ProcessResult {
            try await att(["verify", "--home", emptyHome, "--directory", directory] + extra + [sealed])
        }
    }

    struct Sealed: Sendable {
        let path: String
        let id: String
        let result: ProcessResult
        var signature: String { path + ".minisig" }

        /// The readers `seal` announced on stderr: (party, key id, recipient).
        var announcedReaders: [[String]] {
            result.stderrLines.filter { $0.hasPrefix("  ") }.map { $0.split(separator: " ").map(String.init) }
        }

        /// The outer trusted comment (the manifest and ` sealed-size=<n>`).
        func trustedComment() throws -> String {
            let text = try String(contentsOfFile: signature, encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("trusted comment: ") })
            return String(line.dropFirst("trusted comment: ".count))
        }
    }

    /// The manifest fields of a trusted comment, e.g. ["level": "selected", "to": "FRA,NGA"].
    static func fields(_ comment: String) -> [String: String] {
        var out: [String: String] = [:]
        for token in comment.split(separator: " ") {
            guard let eq = token.firstIndex(of: "=") else { continue }
            out[String(token[..<eq])] = String(token[token.index(after: eq)...])
        }
        return out
    }

    // MARK: - Who can read what

    struct LevelCase: Sendable, CustomTestStringConvertible {
        let sender: String
        let args: [String]
        let level: String
        let readers: [String]   // the parties that can open it (sorted); all parties for public
        var testDescription: String { "\(sender) \(args.joined(separator: " "))" }
    }

    static let levelCases: [LevelCase] = [
        LevelCase(sender: "FRA", args: ["--level", "public"], level: "public", readers: parties.sorted()),
        LevelCase(sender: "FRA", args: ["--level", "states-parties"], level: "states-parties", readers: states),
        LevelCase(sender: "FRA", args: ["--level", "secretariat"], level: "secretariat", readers: ["FRA", "SEC"]),
        LevelCase(sender: "MEX", args: ["--level", "selected", "--to", "NGA,JPN"], level: "selected", readers: ["JPN", "MEX", "NGA"]),
        LevelCase(sender: "FRA", args: ["--to", "NGA,JPN"], level: "selected", readers: ["FRA", "JPN", "NGA"]),
        LevelCase(sender: "FRA", args: ["--level", "states-parties", "--include-secretariat"], level: "states-parties",
                  readers: (states + ["SEC"]).sorted()),
        LevelCase(sender: "XAU", args: ["--level", "secretariat"], level: "secretariat", readers: ["SEC", "XAU"]),
    ]

    @Test("each level: exactly the chosen readers open the exact report, everyone else gets one error line and no file",
          arguments: levelCases)
    func readersByLevel(_ c: LevelCase) async throws {
        let w = try World()
        let sealed = try await w.seal(c.sender, c.args + ["--type", "annual", "--year", "2025"], as: "report.att")
        let isPublic = c.level == "public"

        // seal announced the resolved readers, party and key id, in order, on stderr.
        let announced = sealed.announcedReaders
        #expect(sealed.result.stderrLines.first?.hasPrefix("Disclosure \(c.level)") == true, "\(sealed.result)")
        let expectedAnnounced = try (isPublic ? [] : c.readers).map { [$0, "key", try w.keyID($0), try w.recipient($0)] }
        #expect(announced == expectedAnnounced, "\(sealed.result)")
        if isPublic {
            #expect(sealed.result.stderrText.contains("signed, not encrypted"), "\(sealed.result)")
        }

        // The manifest says the same.
        let manifest = Self.fields(try sealed.trustedComment())
        #expect(manifest["level"] == c.level)
        #expect(manifest["to"] == (isPublic ? "-" : c.readers.joined(separator: ",")))
        #expect(manifest["from"] == c.sender)
        #expect(manifest["key"] == (try w.keyID(c.sender)))
        #expect(manifest["file"] == Self.reportName)
        #expect(manifest["id"] == sealed.id)
        #expect(manifest["sealed-size"] == String(try w.dir.read("report.att").count))

        for party in Self.parties {
            let out = w.dir.path("out/\(party).csv")
            let r = try await w.open(party, sealed.path, to: out)
            if c.readers.contains(party) {
                #expect(r.status == 0, "\(party) is a reader: \(r)")
                #expect(r.stdoutText.hasPrefix("Verified envelope \(sealed.id)\n"), "\(r)")
                #expect(r.stdoutText.contains("Report written to \(out) (\(w.report.count) bytes)"), "\(r)")
                let got = try w.dir.read("out/\(party).csv")
                #expect(got == w.report, "\(party): \(describeMismatch(got, w.report))")
            } else {
                expectCLIError(r, status: 1)
                #expect(r.stderrText.contains("not a recipient"), "\(party): \(r)")
                #expect(!w.dir.exists("out/\(party).csv"), "\(party) is not a reader but got a file")
            }
        }
        // A stranger with no keys at all (an auditor's empty keystore) reads only public reports.
        let stranger = try await w.open("ZZZ", sealed.path, to: w.dir.path("out/stranger.csv"), home: w.emptyHome)
        if isPublic {
            #expect(stranger.status == 0, "\(stranger)")
            #expect(try w.dir.read("out/stranger.csv") == w.report)
        } else {
            expectCLIError(stranger, status: 1)
            #expect(!w.dir.exists("out/stranger.csv"))
        }
        // Nothing but the readers' reports was left behind (no temporary files).
        let expectedOut = (c.readers.map { "\($0).csv" } + (isPublic ? ["stranger.csv"] : [])).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("out")).sorted() == expectedOut)
    }

    @Test("the default level follows the sender's preference for the report type, else states-parties",
          arguments: [
            ("FRA", "annual", [String](), "public", "-"),
            ("FRA", "initial", [], "public", "-"),
            ("NGA", "annual", [], "secretariat", "NGA,SEC"),
            ("NGA", "initial", [], "states-parties", "ARG,AUS,FRA,JPN,MEX,NGA"),
            ("JPN", "annual", [], "states-parties", "ARG,AUS,FRA,JPN,MEX,NGA"),
            ("FRA", "message", [], "states-parties", "ARG,AUS,FRA,JPN,MEX,NGA"),
            ("FRA", "annual", ["--level", "secretariat"], "secretariat", "FRA,SEC"),
            ("NGA", "annual", ["--level", "public"], "public", "-"),
            ("NGA", "annual", ["--to", "JPN"], "selected", "JPN,NGA"),
          ])
    func defaultLevel(_ sender: String, _ type: String, _ extra: [String], _ level: String, _ to: String) async throws {
        let w = try World(reportSize: 1000)
        let sealed = try await w.seal(sender, ["--type", type, "--year", "2025"] + extra, as: "r.att")
        let first = sealed.result.stderrLines.first ?? ""
        #expect(first.hasPrefix("Disclosure \(level)"), "\(sealed.result)")
        // The note says where the level came from when none was given.
        #expect((first.contains("preference") || first.contains("(the default)")) == extra.isEmpty, "\(sealed.result)")
        let manifest = Self.fields(try sealed.trustedComment())
        #expect(manifest["level"] == level && manifest["to"] == to && manifest["type"] == type && manifest["year"] == "2025",
                "\(manifest)")
        let v = try await w.verify(sealed.path)
        #expect(v.status == 0, "\(v)")
        #expect(v.stdoutLines.contains("  disclosure: \(level)" + (to == "-" ? "" : " to \(to)")), "\(v)")
    }

    // MARK: - verify and inspect

    @Test("verify needs no keystore: it checks the signatures against the directory and prints the manifest")
    func verifyWithoutKeystore() async throws {
        let w = try World()
        let sealed = try await w.seal("NGA", ["--type", "annual", "--year", "2024"], as: "nga.att")
        let size = try w.dir.read("nga.att").count
        let manifest = Self.fields(try sealed.trustedComment())
        let ngaKey = try w.keyID("NGA")
        let expected = [
            "Verified envelope \(sealed.id)",
            "  from:       NGA (key \(ngaKey))",
            "  report:     annual 2024, file \(Self.reportName)",
            "  disclosure: secretariat to NGA,SEC",
            "  sealed at:  \(manifest["time"] ?? "?")",
            "  signed by:  NGA key \(ngaKey), valid at sealing time; \(size) sealed bytes",
        ]
        let r = try await w.verify(sealed.path)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdoutLines == expected, "\(r)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.emptyHome).isEmpty, "verify wrote into the keystore")

        // A keystore that holds nothing but the directory (its default place) works the same.
        let auditor = w.dir.path("auditor")
        try FileManager.default.createDirectory(atPath: auditor, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: w.directory, toPath: auditor + "/directory")
        let r2 = try await att(["verify", "--home", auditor, sealed.path])
        #expect(r2.status == 0 && r2.stdoutLines == expected, "\(r2)")
        // -x names the signature when it is elsewhere.
        try FileManager.default.moveItem(atPath: sealed.signature, toPath: w.dir.path("elsewhere.sig"))
        expectCLIError(try await w.verify(sealed.path), status: 1)
        let r3 = try await w.verify(sealed.path, extra: ["-x", w.dir.path("elsewhere.sig")])
        #expect(r3.status == 0 && r3.stdoutLines == expected, "\(r3)")
        // With no directory at all the signer is unknown.
        expectCLIError(try await att(["verify", "--home", w.emptyHome, "-x", w.dir.path("elsewhere.sig"), sealed.path]), status: 1)
    }

    @Test("inspect says UNVERIFIED and shows the claims, even of a tampered envelope, without keys or directory")
    func inspectIsUnverified() async throws {
        let w = try World()
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025", "--to", "NGA"], as: "f.att")
        let r = try await att(["inspect", sealed.path], in: w.dir.url)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        let lines = r.stdoutLines
        #expect(lines.first == "UNVERIFIED (nothing below is checked) envelope \(sealed.id)", "\(r)")
        #expect(!r.stdoutText.contains("Verified"), "\(r)")
        #expect(lines.contains("  from:       FRA (key \(try w.keyID("FRA")))"), "\(r)")
        #expect(lines.contains("  disclosure: selected to FRA,NGA"), "\(r)")
        #expect(lines.last == "Run 'att-report verify' to check it.", "\(r)")

        // Edit the claims: inspect shows them (it checks nothing), verify refuses them.
        let sig = try String(contentsOfFile: sealed.signature, encoding: .utf8)
        try sig.replacingOccurrences(of: " year=2025 ", with: " year=1999 ").write(toFile: sealed.signature, atomically: true, encoding: .utf8)
        let edited = try await att(["inspect", sealed.path])
        #expect(edited.status == 0 && edited.stdoutLines.first?.hasPrefix("UNVERIFIED") == true, "\(edited)")
        #expect(edited.stdoutLines.contains("  report:     annual 1999, file \(Self.reportName)"), "\(edited)")
        expectCLIError(try await w.verify(sealed.path), status: 1)

        // A garbage signature file is an error, not a crash.
        try w.dir.write("g.att.minisig", "not a signature\n")
        try w.dir.write("g.att", "x")
        expectCLIError(try await att(["inspect", w.dir.path("g.att")]), status: 1)
    }

    // MARK: - seal's announcement

    @Test("a seal that cannot write fails before announcing anything: one error line, and the file is left alone")
    func sealFailsBeforeAnnouncing() async throws {
        let w = try World()
        let existing = try w.dir.write("taken.att", "do not overwrite\n")
        let r = try await att(["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--level", "secretariat"]
                              + w.place + ["-o", existing, w.reportPath])
        expectCLIError(r, status: 1)
        #expect(try w.dir.readText("taken.att") == "do not overwrite\n")
        #expect(!w.dir.exists("taken.att.minisig"))
    }

    @Test("seal names the readers (party and key id) before it seals")
    func sealAnnouncesReaders() async throws {
        let w = try World()
        let r = try await att(["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--level", "secretariat"]
                              + w.place + ["-o", w.dir.path("s.att"), w.reportPath])
        #expect(r.status == 0, "\(r)")
        let lines = r.stderrLines
        #expect(lines.first == "Disclosure secretariat, readable by:", "\(r)")
        #expect(lines.dropFirst().prefix(2).map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
                == ["FRA key \(try w.keyID("FRA"))", "SEC key \(try w.keyID("SEC"))"], "\(r)")
    }

    @Test("seal refuses unknown parties and levels that name nobody, and writes nothing",
          arguments: [["--to", "NGA,ZZZ"], ["--level", "selected"], ["--level", "public", "--to", "NGA"]])
    func sealRefusals(_ extra: [String]) async throws {
        let w = try World(reportSize: 100)
        let r = try await att(["seal", "--party", "FRA", "--type", "annual", "--year", "2025"] + extra + w.place
                              + ["-o", w.dir.path("x.att"), w.reportPath])
        expectCLIError(r, status: 1)
        #expect(!w.dir.exists("x.att") && !w.dir.exists("x.att.minisig"))
    }

    @Test("a report name the manifest cannot carry is refused before anything is written",
          arguments: ["my report.csv", "-dash.csv", ".hidden.csv", "manifest.txt", String(repeating: "a", count: 93)])
    func badReportName(_ name: String) async throws {
        let w = try World(reportSize: 100)
        let path = try w.dir.write("in/" + name, w.report)
        let r = try await att(["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--level", "secretariat"]
                              + w.place + ["-o", w.dir.path("x.att"), "--", path])
        expectCLIError(r, status: 64)
        #expect(!w.dir.exists("x.att") && !w.dir.exists("x.att.minisig"))
    }

    // MARK: - open

    @Test("open writes the report under its own name by default, never overwrites, and keeps the checks")
    func openOutput() async throws {
        let w = try World()
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025", "--level", "secretariat"], as: "s.att")
        // Default: the manifest's file name, in the current directory.
        let cwd = w.dir.file("out")
        let r = try await att(["open", "--party", "SEC"] + w.place + [sealed.path], in: cwd)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdoutText.contains("Report written to \(Self.reportName) (\(w.report.count) bytes)"), "\(r)")
        #expect(try w.dir.read("out/" + Self.reportName) == w.report)
        // Again: the file exists, so it fails and leaves the file alone.
        try w.dir.write("out/" + Self.reportName, "mine\n")
        let again = try await att(["open", "--party", "SEC"] + w.place + [sealed.path], in: cwd)
        expectCLIError(again, status: 1)
        #expect(try w.dir.readText("out/" + Self.reportName) == "mine\n")
        // Nor with -o.
        try w.dir.write("out/taken", "taken\n")
        expectCLIError(try await w.open("FRA", sealed.path, to: w.dir.path("out/taken")), status: 1)
        #expect(try w.dir.readText("out/taken") == "taken\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("out")).sorted() == [Self.reportName, "taken"])
        // Without its signature, nothing opens.
        try FileManager.default.removeItem(atPath: sealed.signature)
        expectCLIError(try await w.open("SEC", sealed.path, to: w.dir.path("out/nosig")), status: 1)
        #expect(!w.dir.exists("out/nosig"))
    }

    // MARK: - Tampering

    enum Tamper: String, CaseIterable, Sendable {
        case flipFirstByte, flipMiddleByte, flipLastByte, truncate, appendByte
        case editTrustedComment, editTrustedCommentLevel, swapSignatureSameSender, swapSignatureOtherSender
    }

    @Test("a tampered envelope neither opens nor verifies, and leaves no output", arguments: Tamper.allCases, [false, true])
    func tampering(_ kind: Tamper, isPublic: Bool) async throws {
        let w = try World()
        let level = isPublic ? ["--level", "public"] : ["--level", "selected", "--to", "NGA,JPN"]
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025"] + level, as: "a.att")
        try await w.seal("FRA", ["--type", "annual", "--year", "2025"] + level, as: "b.att")
        try await w.seal("JPN", ["--type", "annual", "--year", "2025"] + level, as: "c.att")
        // Control: untouched, it opens and verifies.
        #expect(try await w.open("NGA", sealed.path, to: w.dir.path("out/control")).status == 0)
        #expect(try await w.verify(sealed.path).status == 0)

        var bytes = try w.dir.read("a.att")
        var sig = try w.dir.readText("a.att.minisig")
        switch kind {
        case .flipFirstByte: bytes[0] ^= 0x01
        case .flipMiddleByte: bytes[bytes.count / 2] ^= 0x40
        case .flipLastByte: bytes[bytes.count - 1] ^= 0x80
        case .truncate: bytes.removeLast(512)
        case .appendByte: bytes.append(0)
        case .editTrustedComment:
            #expect(sig.contains(" year=2025 "))
            sig = sig.replacingOccurrences(of: " year=2025 ", with: " year=2024 ")
        case .editTrustedCommentLevel:
            let fields = Self.fields(try sealed.trustedComment())
            sig = sig.replacingOccurrences(of: " level=\(fields["level"]!) ", with: isPublic ? " level=secretariat " : " level=public ")
        case .swapSignatureSameSender: sig = try w.dir.readText("b.att.minisig")
        case .swapSignatureOtherSender: sig = try w.dir.readText("c.att.minisig")
        }
        try w.dir.write("a.att", bytes)
        try w.dir.write("a.att.minisig", sig)

        for reader in ["NGA", "FRA"] {
            let r = try await w.open(reader, sealed.path, to: w.dir.path("out/tampered-\(reader)"))
            expectCLIError(r, status: 1)
            #expect(!w.dir.exists("out/tampered-\(reader)"))
        }
        expectCLIError(try await w.verify(sealed.path), status: 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("out")) == ["control"])
    }

    @Test("the untrusted comments are not checked: editing them changes nothing")
    func untrustedComment() async throws {
        let w = try World()
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025", "--to", "NGA"], as: "a.att")
        var lines = try w.dir.readText("a.att.minisig").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "untrusted comment: att-report outer signature: sealed envelope \(sealed.id)")
        lines[0] = "untrusted comment: anything at all"
        try w.dir.write("a.att.minisig", lines.joined(separator: "\n"))
        #expect(try await w.verify(sealed.path).status == 0)
        let r = try await w.open("NGA", sealed.path, to: w.dir.path("out/r"))
        #expect(r.status == 0, "\(r)")
        #expect(try w.dir.read("out/r") == w.report)
    }

    // MARK: - Keys that change after sealing

    @Test("a key revoked after sealing does not matter; a revoked key cannot seal; a key added after cannot read")
    func rotationAfterSealing() async throws {
        let w = try World()
        let before = try await w.seal("FRA", ["--type", "annual", "--year", "2025", "--to", "NGA"], as: "before.att")
        // Revocation times have one-second resolution: let the clock move past the sealing time.
        try await Task.sleep(nanoseconds: 1_200_000_000)
        for party in ["FRA", "NGA"] {
            try await attOK(["keygen", "--party", party, "--label", "example-2", "--unencrypted", "--home", w.home])
            let file = w.dir.path("rotate-\(party)")
            try await attOK(["directory", "statement", "rotate-key", "--party", party, "--replaces", try w.keyID(party),
                             "--key", "example-2", "--label", "example-1", "--home", w.home, "-o", file])
            try await attOK(["directory", "countersign", "--party", "SEC", "--home", w.home, file])
            try await attOK(["directory", "append", "--directory", w.directory, file])
        }
        let r = try await w.open("NGA", before.path, to: w.dir.path("out/before"))
        #expect(r.status == 0, "\(r)")
        #expect(try w.dir.read("out/before") == w.report)
        #expect(try await w.verify(before.path).status == 0)

        // NGA's new key alone (its old one deleted) was never a recipient of that envelope.
        let newHome = w.dir.path("nga-new")
        try FileManager.default.createDirectory(atPath: newHome + "/keys/NGA", withIntermediateDirectories: true)
        for suffix in ["minisign.key", "minisign.pub", "age", "age.pub"] {
            try FileManager.default.copyItem(atPath: w.home + "/keys/NGA/example-2.\(suffix)", toPath: newHome + "/keys/NGA/example-2.\(suffix)")
        }
        let notRecipient = try await w.open("NGA", before.path, to: w.dir.path("out/new-key"), home: newHome)
        expectCLIError(notRecipient, status: 1)
        #expect(!w.dir.exists("out/new-key"))

        // FRA's revoked key cannot seal any more.
        let revoked = try await att(["seal", "--party", "FRA", "--label", "example-1", "--type", "annual", "--year", "2025",
                                     "--to", "NGA"] + w.place + ["-o", w.dir.path("revoked.att"), w.reportPath])
        #expect(revoked.status == 1, "\(revoked)")
        #expect(revoked.stderrLines.last?.hasPrefix("att-report: error: ") == true, "\(revoked)")
        #expect(!w.dir.exists("revoked.att") && !w.dir.exists("revoked.att.minisig"))

        // Its new key can, to NGA's new key only, which the new keystore opens.
        let after = try await w.seal("FRA", ["--label", "example-2", "--type", "annual", "--year", "2025", "--to", "NGA"], as: "after.att")
        let announcedKeys = after.announcedReaders.map { $0[2] }
        let oldKeys = [try w.keyID("FRA"), try w.keyID("NGA")]
        #expect(announcedKeys.allSatisfy { !oldKeys.contains($0) }, "\(after.result)")
        #expect(announcedKeys.count == 2, "\(after.result)")
        let r2 = try await w.open("NGA", after.path, to: w.dir.path("out/after"), home: newHome)
        #expect(r2.status == 0, "\(r2)")
        #expect(try w.dir.read("out/after") == w.report)
    }

    // MARK: - Stock tools

    @Test("stock tools: minisign verifies the outer signature, age | tar gives the report and its signature, minisign verifies that")
    func stockTools() async throws {
        let minisign = try Tools.minisign()
        let age = try Tools.age()
        let bash = try ProcessRunner.require("bash")
        _ = try ProcessRunner.require("tar")
        let w = try World()
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025", "--to", "NGA,JPN"], as: "env.att")
        let comment = try sealed.trustedComment()
        let size = try w.dir.read("env.att").count
        #expect(comment.hasSuffix(" sealed-size=\(size)"))
        let manifestLine = String(comment.dropLast(" sealed-size=\(size)".count))

        // The outer signature, by the sender's key, with its trusted comment.
        let outer = try await runOK(minisign, ["-Vm", sealed.path, "-x", sealed.signature, "-p", w.publicKeyFile("FRA")])
        #expect(outer.stdoutText.contains("Trusted comment: \(comment)"), "\(outer)")
        let wrongKey = try await ProcessRunner.run(minisign, ["-Vm", sealed.path, "-x", sealed.signature, "-p", w.publicKeyFile("NGA")])
        #expect(wrongKey.status != 0, "\(wrongKey)")

        // Each reader's plain age identity file (with its comment lines) decrypts the tar.
        for reader in ["NGA", "JPN", "FRA"] {
            let x = w.dir.path("x-\(reader)")
            try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
            try await runOK(bash, ["-c", "set -o pipefail; age -d -i \"$1\" \"$2\" | tar -x", "sh", w.identityFile(reader), sealed.path],
                            in: URL(fileURLWithPath: x))
            #expect(try FileManager.default.contentsOfDirectory(atPath: x).sorted()
                    == ["annual-report-2025.csv", "annual-report-2025.csv.minisig", "manifest.txt"])
            #expect(try w.dir.read("x-\(reader)/\(Self.reportName)") == w.report)
            let manifest = try w.dir.readText("x-\(reader)/manifest.txt")
            let keyLines = try ["FRA", "JPN", "NGA"].map { "\($0) \(try w.keyID($0)) \(try w.recipient($0))" }
            #expect(manifest == ([manifestLine] + keyLines).joined(separator: "\n") + "\n", "\(manifest)")
            // The inner signature, over the report, by the same key, with the manifest as its trusted comment.
            let inner = try await runOK(minisign, ["-Vm", Self.reportName, "-p", w.publicKeyFile("FRA")], in: URL(fileURLWithPath: x))
            #expect(inner.stdoutText.contains("Trusted comment: \(manifestLine)\n"), "\(inner)")
        }
        // Someone else's identity does not.
        let sgp = try await ProcessRunner.run(age, ["-d", "-i", w.identityFile("SGP"), "-o", w.dir.path("sgp.tar"), sealed.path])
        #expect(sgp.status != 0, "\(sgp)")
    }

    @Test("stock tools on a public envelope: minisign verifies it and tar -x reads it as it is")
    func stockToolsPublic() async throws {
        let minisign = try Tools.minisign()
        let tar = try ProcessRunner.require("tar")
        let w = try World()
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025"], as: "pub.att")
        #expect(Self.fields(try sealed.trustedComment())["level"] == "public")
        try await runOK(minisign, ["-Vm", sealed.path, "-x", sealed.signature, "-p", w.publicKeyFile("FRA")])
        let x = w.dir.path("x")
        try FileManager.default.createDirectory(atPath: x, withIntermediateDirectories: true)
        try await runOK(tar, ["-xf", sealed.path], in: URL(fileURLWithPath: x))
        #expect(try w.dir.read("x/\(Self.reportName)") == w.report)
        try await runOK(minisign, ["-Vm", Self.reportName, "-p", w.publicKeyFile("FRA")], in: URL(fileURLWithPath: x))
        // The public report is in the clear, so a cmp would find it verbatim inside.
        let container = try w.dir.read("pub.att")
        #expect(container.count % 10240 == 0)
        #expect(container.count > w.report.count)
    }

    // MARK: - Usage errors

    /// `$H` the keystore, `$D` the directory, `$R` the report, `$S` a sealed file.
    static let usageErrors: [[String]] = [
        ["seal", "--home", "$H", "--directory", "$D"],
        ["seal", "--type", "annual", "--year", "2025", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--year", "2025", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "yearly", "--year", "2025", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "25", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "twenty", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--level", "everyone", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--to", "NGA,jp", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--home", "$H", "--directory", "$D"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--home", "$H", "--directory", "$D", "$R", "$R"],
        ["seal", "--party", "FRA", "--type", "annual", "--year", "2025", "--encrypt", "--home", "$H", "--directory", "$D", "$R"],
        ["seal", "--party", "FRA", "--party", "NGA", "--type", "annual", "--year", "2025", "--home", "$H", "--directory", "$D", "$R"],
        ["open", "--home", "$H", "--directory", "$D", "$S"],
        ["open", "--party", "NGA", "--home", "$H", "--directory", "$D"],
        ["open", "--party", "NGA", "--home", "$H", "--directory", "$D", "$S", "$S"],
        ["open", "--party", "N", "--home", "$H", "--directory", "$D", "$S"],
        ["verify", "--directory", "$D"],
        ["verify", "--directory", "$D", "$S", "$S"],
        ["verify", "--party", "FRA", "--directory", "$D", "$S"],
        ["inspect"],
        ["inspect", "$S", "$S"],
        ["inspect", "--directory", "$D", "$S"],
    ]

    @Test("usage errors exit 64 with one error line and write nothing", arguments: usageErrors)
    func usageError(_ template: [String]) async throws {
        let w = try World(reportSize: 1000)
        let sealed = try await w.seal("FRA", ["--type", "annual", "--year", "2025", "--to", "NGA"], as: "s.att")
        let before = try w.dir.listing()
        let out = try FileManager.default.contentsOfDirectory(atPath: w.dir.path("out"))
        let args = template.map { $0 == "$H" ? w.home : $0 == "$D" ? w.directory : $0 == "$R" ? w.reportPath : $0 == "$S" ? sealed.path : $0 }
        let r = try await att(args, in: w.dir.file("out"))
        expectCLIError(r, status: 64)
        #expect(try w.dir.listing() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("out")) == out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path("in")) == [Self.reportName])
    }

    @Test("help for seal, open, verify and inspect", arguments: ["seal", "open", "verify", "inspect"])
    func help(_ command: String) async throws {
        let r = try await att([command, "--help"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdoutText.hasPrefix("Usage: att-report \(command) "), "\(r)")
        #expect(r.stdoutText.contains("-x, --signature") || command == "seal", "\(r)")
    }
}
