import Crypto
import Foundation
import Testing
import TestSupport

/// `att-report serve`, black box: its key files, and HTTPS with --tls-cert/--tls-key.
@Suite("serve (black box)", .serialized)
struct ServeCLITests {
    @Test("a log key file others may read, or one named for another relay, is refused: exit 1, one line")
    func keyFiles() async throws {
        let dir = try TempDirectory("serve-keys")
        let data = dir.file("data")
        let relay = try await RelayProcess(data: data, directory: Vectors.packageRoot.appendingPathComponent("keys-example/directory"),
                                           scratch: dir.url)
        _ = try await relay.stop()
        let key = data.appendingPathComponent("directory.skey").path
        #expect(chmod(key, 0o644) == 0)
        let open = try await att(["serve", "--data", data.path, "--port", "0"])
        expectCLIError(open, status: 1)
        #expect(open.stderrText.contains("readable by others (chmod 600 it)"))
        #expect(chmod(key, 0o600) == 0)
        let renamed = try await att(["serve", "--data", data.path, "--port", "0", "--name", "other.example"])
        expectCLIError(renamed, status: 1)
        #expect(renamed.stderrText.contains("not \"other.example/"))
    }

    @Test("--tls-cert/--tls-key: HTTPS on loopback with a self-signed certificate; plain HTTP to it fails; half the pair is a usage error")
    func tls() async throws {
        let dir = try TempDirectory("serve-tls")
        let openssl = try ProcessRunner.require("openssl", hint: "apt-get install openssl")
        try await runOK(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                                  "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                                  "-keyout", dir.path("key.pem"), "-out", dir.path("cert.pem")])
        let half = try await att(["serve", "--data", dir.path("data"), "--port", "0", "--tls-cert", dir.path("cert.pem")])
        expectCLIError(half, status: 64)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Tools.attReport())
        process.arguments = ["serve", "--data", dir.path("data"), "--port", "0", "--tls-cert", dir.path("cert.pem"),
                             "--tls-key", dir.path("key.pem"), "--directory", Vectors.packageRoot.appendingPathComponent("keys-example/directory").path]
        let out = dir.file("out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        var url = ""
        for _ in 0..<200 where url.isEmpty {
            url = (try? String(contentsOf: out, encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("url ") }.map { String($0.dropFirst(4)) } ?? ""
            if url.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(url.hasPrefix("https://127.0.0.1:"))
        let curl = try ProcessRunner.require("curl", hint: "apt-get install curl")
        let ok = try await ProcessRunner.run(curl, ["-sS", "--cacert", dir.path("cert.pem"), url + "/healthz"], timeout: 30)
        #expect(ok.status == 0 && ok.stdoutText == "ok\n", "\(ok)")
        let site = try await ProcessRunner.run(curl, ["-sS", "--cacert", dir.path("cert.pem"), url + "/"], timeout: 30)
        #expect(site.stdoutText.contains("<h1>Public reports</h1>"))
        let unverified = try await ProcessRunner.run(curl, ["-sS", url + "/healthz"], timeout: 30)
        #expect(unverified.status != 0, "a certificate no CA vouches for is refused by default")
        let plain = try await ProcessRunner.run(curl, ["-sS", url.replacingOccurrences(of: "https://", with: "http://") + "/healthz"], timeout: 30)
        #expect(plain.stdoutText != "ok\n")

        // The CLI over HTTPS, trusting that certificate through ATT_REPORT_CA_FILE: submit and audit.
        let root = Vectors.packageRoot.appendingPathComponent("keys-example")
        try FileManager.default.copyItem(at: root.appendingPathComponent("home"), to: dir.file("home"))
        try await attOK(["seal", "--home", dir.path("home"), "--directory", root.appendingPathComponent("directory").path, "--party", "FRA",
                         "--type", "annual", "--year", "2025", "--level", "public", "-o", dir.path("r.att"),
                         root.appendingPathComponent("annual-report-FRA-2025.csv").path])
        let att = try Tools.attReport()
        let env = ["ATT_REPORT_CA_FILE": dir.path("cert.pem")]
        let submitted = try await ProcessRunner.run(att, ["submit", "--relay", url, "--party", "FRA", "--home", dir.path("home"), dir.path("r.att")],
                                                    environment: env, timeout: 60)
        #expect(submitted.status == 0, "\(submitted)")
        #expect(dir.exists("r.att.tlog-proof"))
        let audited = try await ProcessRunner.run(att, ["audit", "--relay", url, "--state", dir.path("state"), "--receipts", dir.url.path],
                                                  environment: env, timeout: 60)
        #expect(audited.status == 0 && audited.stdoutText.contains("Verdict: OK"), "\(audited)")
        // Without the CA the certificate is refused: one line, exit 1.
        let untrusted = try await ProcessRunner.run(att, ["audit", "--relay", url, "--state", dir.path("state2")], environment: [:], timeout: 60)
        #expect(untrusted.status == 1 && untrusted.stderrLines.count == 1, "\(untrusted)")
    }

    @Test("plain http:// to another machine is refused before anything is sent, unless ATT_REPORT_ALLOW_HTTP=1")
    func plainHTTP() async throws {
        let dir = try TempDirectory("plain-http")
        let r = try await att(["audit", "--relay", "http://192.0.2.1:8080", "--state", dir.path("s")])
        expectCLIError(r, status: 1)
        #expect(r.stderrText.contains("plain HTTP to another machine"))
        let allowed = try await ProcessRunner.run(try Tools.attReport(), ["audit", "--relay", "http://192.0.2.1:9", "--state", dir.path("s")],
                                                  environment: ["ATT_REPORT_ALLOW_HTTP": "1"], timeout: 60)
        #expect(allowed.status == 1 && !allowed.stderrText.contains("plain HTTP"), "it is tried (and fails to connect): \(allowed)")
    }
}
