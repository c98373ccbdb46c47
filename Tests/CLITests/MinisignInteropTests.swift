import Foundation
import Testing
import TestSupport

/// Live interoperability with the real minisign (0.11): keys and signatures both ways.
///
/// Passphrase-protected minisign keys use scrypt with 1 GiB of memory (seconds per use),
/// so this suite performs exactly four such operations: att-report keygen + minisign -S,
/// and minisign -G + att-report sign.
@Suite("minisign interop (minisign CLI)")
struct MinisignInteropTests {

    // MARK: - Helpers

    static func minisign(_ args: [String], stdin: ProcessRunner.Input = .none, in dir: URL? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(try Tools.minisign(), args, stdin: stdin, directory: dir)
    }

    /// The raw bytes of a minisign key or signature file's base64 line (line 2).
    static func decodedLine(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let lines = text.split(separator: "\n").map(String.init)
        try #require(lines.count >= 2, "\(text)", sourceLocation: sourceLocation)
        let data = try #require(Data(base64Encoded: lines[1]), "line 2 is not base64: \(lines[1])", sourceLocation: sourceLocation)
        return [UInt8](data)
    }

    /// Key ID (8 bytes at offset 2) of a public key file.
    static func keyID(publicKey text: String) throws -> [UInt8] { Array(try decodedLine(text)[2..<10]) }

    /// Secret key file layout: "Ed", kdf ("Sc" when encrypted, 0x0000 when not), "B2", …
    static func kdfAlgorithm(secretKey text: String) throws -> [UInt8] { Array(try decodedLine(text)[2..<4]) }

    static func base64PublicKey(_ text: String) throws -> String {
        try #require(text.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// Checks a successful verification's output: the fixed first line and the comment.
    static func expectVerified(_ r: ProcessResult, comment: String, by who: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 0, "\(who) rejected a good signature: \(r)", sourceLocation: sourceLocation)
        #expect(r.stdoutText == "Signature and comment signature verified\nTrusted comment: \(comment)\n",
                "\(who) output: \(r)", sourceLocation: sourceLocation)
    }

    // MARK: - att-report keys, minisign signs

    @Test("att-report keygen -W → minisign -S signs → att-report and minisign verify")
    func attUnencryptedKeyMinisignSigns() async throws {
        let dir = try TempDirectory("minisign")
        try await attOK(["minisign", "keygen", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
        #expect(try Self.kdfAlgorithm(secretKey: dir.readText("k.sec")) == [0, 0])
        try dir.write("report.bin", randomBytes((1 << 20) + 1))
        let comment = "ATT annual report, signed by minisign with an att-report key"
        let s = try await Self.minisign(["-S", "-s", dir.path("k.sec"), "-m", dir.path("report.bin"), "-t", comment])
        #expect(s.status == 0, "\(s)")
        let sigText = try dir.readText("report.bin.minisig")
        #expect(try Self.decodedLine(sigText)[0..<2] == [0x45, 0x44], "minisign should make a prehashed (ED) signature")
        #expect(Array(try Self.decodedLine(sigText)[2..<10]) == (try Self.keyID(publicKey: dir.readText("k.pub"))))

        let a = try await att(["minisign", "verify", "-p", dir.path("k.pub"), dir.path("report.bin")])
        Self.expectVerified(a, comment: comment, by: "att-report")
        let m = try await Self.minisign(["-V", "-m", dir.path("report.bin"), "-p", dir.path("k.pub")])
        Self.expectVerified(m, comment: comment, by: "minisign")
        #expect(a.stdout == m.stdout)
    }

    @Test("att-report keygen with a passphrase → minisign -S (passphrase on stdin) → att-report verifies")
    func attEncryptedKeyMinisignSigns() async throws {
        let dir = try TempDirectory("minisign")
        let pass = "att-report protects this minisign key"
        try await attOK(["minisign", "keygen", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")], passphrase: pass)
        #expect(try Self.kdfAlgorithm(secretKey: dir.readText("k.sec")) == Array("Sc".utf8))
        #expect(try dir.mode("k.sec") == 0o600)
        try dir.write("doc.txt", "Exports of conventional arms, 2024\n")
        let comment = "signed with a protected att-report key"
        let s = try await Self.minisign(["-S", "-s", dir.path("k.sec"), "-m", dir.path("doc.txt"), "-t", comment],
                                        stdin: .bytes(Array((pass + "\n").utf8)))
        #expect(s.status == 0, "minisign could not use att-report's encrypted secret key: \(s)")
        let a = try await att(["minisign", "verify", "-p", dir.path("k.pub"), dir.path("doc.txt")])
        Self.expectVerified(a, comment: comment, by: "att-report")
        let m = try await Self.minisign(["-Vm", dir.path("doc.txt"), "-p", dir.path("k.pub"), "-Q"])
        #expect(m.status == 0 && m.stdoutText == comment + "\n", "\(m)")
    }

    // MARK: - minisign keys, att-report signs

    @Test("minisign -G -W → att-report sign → minisign -V (also -H and -P) verifies")
    func minisignUnencryptedKeyAttSigns() async throws {
        let dir = try TempDirectory("minisign")
        let g = try await Self.minisign(["-G", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
        #expect(g.status == 0, "\(g)")
        try dir.write("report.bin", randomBytes((1 << 20) + 1))
        let comment = "att-report signature, minisign key: äöü ✓"
        try await attOK(["minisign", "sign", "-s", dir.path("k.sec"), "-t", comment, dir.path("report.bin")])

        let m = try await Self.minisign(["-Vm", dir.path("report.bin"), "-p", dir.path("k.pub")])
        Self.expectVerified(m, comment: comment, by: "minisign")
        let h = try await Self.minisign(["-V", "-H", "-m", dir.path("report.bin"), "-P", try Self.base64PublicKey(dir.readText("k.pub")), "-Q"])
        #expect(h.status == 0 && h.stdoutText == comment + "\n", "minisign -H (prehashed only) rejected att-report's signature: \(h)")
        let a = try await att(["minisign", "verify", "-p", dir.path("k.pub"), dir.path("report.bin")])
        Self.expectVerified(a, comment: comment, by: "att-report")
    }

    @Test("minisign -G with a passphrase (stdin) → att-report sign → minisign verifies")
    func minisignEncryptedKeyAttSigns() async throws {
        let dir = try TempDirectory("minisign")
        let pass = "minisign protects this key"
        let g = try await Self.minisign(["-G", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")], stdin: .bytes(Array("\(pass)\n\(pass)\n".utf8)))
        #expect(g.status == 0, "\(g)")
        #expect(try Self.kdfAlgorithm(secretKey: dir.readText("k.sec")) == Array("Sc".utf8))
        try dir.write("doc.txt", "Imports of conventional arms, 2024\n")
        let comment = "att-report used minisign's encrypted key"
        try await attOK(["minisign", "sign", "-s", dir.path("k.sec"), "-t", comment, dir.path("doc.txt")], passphrase: pass)
        let m = try await Self.minisign(["-Vm", dir.path("doc.txt"), "-p", dir.path("k.pub")])
        Self.expectVerified(m, comment: comment, by: "minisign")
    }

    @Test("att-report's default trusted comment is what minisign verifies and prints")
    func defaultTrustedComment() async throws {
        let dir = try TempDirectory("minisign")
        try await attOK(["minisign", "keygen", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
        try dir.write("transfers.csv", "a,b,c\n")
        try await attOK(["minisign", "sign", "-s", dir.path("k.sec"), dir.path("transfers.csv")])
        let q = try await Self.minisign(["-Vm", dir.path("transfers.csv"), "-p", dir.path("k.pub"), "-Q"])
        #expect(q.status == 0, "\(q)")
        let comment = q.stdoutText.trimmingCharacters(in: .newlines)
        #expect(comment.hasPrefix("timestamp:") && comment.contains("file:transfers.csv"), "\(comment)")
        let a = try await att(["minisign", "verify", "-p", dir.path("k.pub"), dir.path("transfers.csv")])
        Self.expectVerified(a, comment: comment, by: "att-report")

        // Same shape as minisign's own default comment, timestamps aside.
        let m = try await Self.minisign(["-S", "-s", dir.path("k.sec"), "-m", dir.path("transfers.csv"), "-x", dir.path("by-minisign.sig")])
        #expect(m.status == 0, "\(m)")
        let theirs = try #require(try dir.readText("by-minisign.sig").split(separator: "\n").first { $0.hasPrefix("trusted comment: ") })
        func shape(_ s: Substring) -> String { String(s).replacingOccurrences(of: "[0-9]+", with: "N", options: .regularExpression) }
        #expect(shape(Substring("trusted comment: " + comment)) == shape(theirs), "att-report: \(comment) minisign: \(theirs)")
    }

    @Test("legacy minisign signatures need --allow-legacy in att-report")
    func legacySignatures() async throws {
        let dir = try TempDirectory("minisign")
        let g = try await Self.minisign(["-G", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
        #expect(g.status == 0, "\(g)")
        try dir.write("old.txt", "legacy signed\n")
        let s = try await Self.minisign(["-S", "-l", "-s", dir.path("k.sec"), "-m", dir.path("old.txt"), "-t", "legacy comment"])
        #expect(s.status == 0, "\(s)")
        #expect(try Self.decodedLine(dir.readText("old.txt.minisig"))[0..<2] == [0x45, 0x64], "expected a legacy (Ed) signature")

        expectCLIError(try await att(["minisign", "verify", "-p", dir.path("k.pub"), dir.path("old.txt")]), status: 1)
        let a = try await att(["minisign", "verify", "--allow-legacy", "-p", dir.path("k.pub"), dir.path("old.txt")])
        Self.expectVerified(a, comment: "legacy comment", by: "att-report --allow-legacy")
        let m = try await Self.minisign(["-Vm", dir.path("old.txt"), "-p", dir.path("k.pub")])
        Self.expectVerified(m, comment: "legacy comment", by: "minisign")
        // Even with --allow-legacy, a changed file is rejected.
        try dir.write("old.txt", "legacy signed!\n")
        expectCLIError(try await att(["minisign", "verify", "--allow-legacy", "-p", dir.path("k.pub"), dir.path("old.txt")]), status: 1)
    }

    // MARK: - Tampering

    enum Signer: String, CaseIterable, Sendable { case attReport, minisign }
    enum Tamper: String, CaseIterable, Sendable {
        case modifiedFile, trustedCommentLine, signatureLine, keyIDInSignature, globalSignatureLine, otherPublicKey
    }

    static func flipBase64(_ line: String, at index: Int) -> String {
        var b = Array(line.utf8)
        b[index] = b[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        return String(decoding: b, as: UTF8.self)
    }

    @Test("tampered files and signatures are rejected by att-report and minisign", arguments: Signer.allCases, Tamper.allCases)
    func tampering(_ signer: Signer, _ tamper: Tamper) async throws {
        let dir = try TempDirectory("minisign")
        let comment = "original trusted comment"
        try dir.write("doc.bin", randomBytes(10_000))
        switch signer {
        case .attReport:
            try await attOK(["minisign", "keygen", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
            try await attOK(["minisign", "sign", "-s", dir.path("k.sec"), "-t", comment, dir.path("doc.bin")])
        case .minisign:
            #expect(try await Self.minisign(["-G", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")]).status == 0)
            #expect(try await Self.minisign(["-S", "-s", dir.path("k.sec"), "-m", dir.path("doc.bin"), "-t", comment]).status == 0)
        }
        try await attOK(["minisign", "keygen", "-W", "-p", dir.path("other.pub"), "-s", dir.path("other.sec")])

        // Both accept the untouched signature.
        Self.expectVerified(try await att(["minisign", "verify", "-p", dir.path("k.pub"), dir.path("doc.bin")]), comment: comment, by: "att-report")
        Self.expectVerified(try await Self.minisign(["-Vm", dir.path("doc.bin"), "-p", dir.path("k.pub")]), comment: comment, by: "minisign")

        var pub = "k.pub"
        var lines = try dir.readText("doc.bin.minisig").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(lines.count >= 4 && lines[2] == "trusted comment: \(comment)", "\(lines)")
        switch tamper {
        case .modifiedFile:
            var b = try dir.read("doc.bin"); b[5000] ^= 0x01; try dir.write("doc.bin", b)
        case .trustedCommentLine: lines[2] = "trusted comment: forged trusted comment"
        case .signatureLine: lines[1] = Self.flipBase64(lines[1], at: 30)
        case .keyIDInSignature: lines[1] = Self.flipBase64(lines[1], at: 5)
        case .globalSignatureLine: lines[3] = Self.flipBase64(lines[3], at: 10)
        case .otherPublicKey: pub = "other.pub"
        }
        try dir.write("doc.bin.minisig", lines.joined(separator: "\n"))

        let a = try await att(["minisign", "verify", "-p", dir.path(pub), dir.path("doc.bin")])
        expectCLIError(a, status: 1)
        let m = try await Self.minisign(["-Vm", dir.path("doc.bin"), "-p", dir.path(pub)])
        #expect(m.status != 0, "minisign accepted a tampered signature: \(m)")
        #expect(!m.stdoutText.contains("Trusted comment: forged"), "\(m)")
    }
}
