import Foundation
import Testing
import TestSupport

/// Regressions for bugs found by the black-box and interop suites.
@Suite("att-report CLI regressions")
struct CLIRegressionTests {
    @Test("minisign keygen with -p and -s naming the same file is a usage error and writes nothing")
    func keygenSamePath() async throws {
        let dir = try TempDirectory()
        let r = try await att(["minisign", "keygen", "-W", "-p", dir.path("k"), "-s", dir.path("k")])
        expectCLIError(r, status: 64)
        #expect(try dir.listing().isEmpty)
    }

    @Test("minisign keygen that cannot write the public key leaves no secret key behind")
    func keygenNoHalfPair() async throws {
        let dir = try TempDirectory()
        let r = try await att(["minisign", "keygen", "-W", "-p", dir.path("missing/k.pub"), "-s", dir.path("k.sec")])
        expectCLIError(r, status: 1)
        let left = try dir.listing()
        #expect(left.isEmpty, "left behind: \(left)")
        // And a retry with a good path works.
        try await attOK(["minisign", "keygen", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
        #expect(try dir.mode("k.sec") == 0o600)
    }

    @Test("-p with -R is a usage error even when the file is missing")
    func passphraseWithRecipientsFile() async throws {
        let dir = try TempDirectory()
        let r = try await att(["age", "encrypt", "-p", "-R", dir.path("missing.txt"), "-o", dir.path("out")])
        expectCLIError(r, status: 64)
        #expect(try dir.listing().isEmpty)
    }

    @Test("comments with line breaks are usage errors and write no signature", arguments: ["-t", "-c"])
    func commentWithNewline(_ flag: String) async throws {
        let dir = try TempDirectory()
        try await attOK(["minisign", "keygen", "-W", "-p", dir.path("k.pub"), "-s", dir.path("k.sec")])
        let file = try dir.write("f", "data")
        let r = try await att(["minisign", "sign", "-s", dir.path("k.sec"), flag, "a\nb", file])
        expectCLIError(r, status: 64)
        #expect(!dir.exists("f.minisig"))
    }

    @Test("upper-case recipients are refused, as age refuses them")
    func upperCaseRecipient() async throws {
        let dir = try TempDirectory()
        try await attOK(["age", "keygen", "--unencrypted", "-o", dir.path("id")])
        let recipient = try await attOK(["age", "keygen", "-y", dir.path("id")]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = try dir.write("m", "x")
        let r = try await att(["age", "encrypt", "-r", recipient.uppercased(), "-o", dir.path("m.age"), file])
        expectCLIError(r, status: 64)
        #expect(!dir.exists("m.age"))
    }

    @Test("seal: a missing key is a failure (1); meaningless flag combinations and years are usage errors (64)")
    func sealArgumentChecks() async throws {
        let dir = try TempDirectory()
        let report = try dir.write("r.csv", "x")
        let home = dir.path("empty-home")
        let directory = Vectors.packageRoot.appendingPathComponent("keys-example/directory").path
        let base = ["seal", "--home", home, "--directory", directory, "--party", "FRA", "--type", "annual"]
        expectCLIError(try await att(base + ["--year", "2025", "-o", dir.path("a.att"), report]), status: 1)
        expectCLIError(try await att(base + ["--year", "+2025", report]), status: 64)
        expectCLIError(try await att(base + ["--year", "2025", "--level", "public", "--include-secretariat", report]), status: 64)
        #expect(try dir.listing() == ["r.csv"])
    }
}
