import Crypto
import Foundation
import Testing
import TestSupport
@testable import Vault

/// Envelopes with the stock tools only (§6.3): minisign verifies the outer signature, age
/// and GNU tar unpack the container, minisign verifies the inner signature.
@Suite("sealed envelopes: stock tools (age, minisign, tar)")
struct EnvelopeInteropTests {
    final class Dir: Sendable {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("att-envelope-interop-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        @discardableResult func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            try Data(bytes).write(to: url.appendingPathComponent(name)); return path(name)
        }
        func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url.appendingPathComponent(name))) }
    }

    static func run(_ tool: String, _ args: [String], in dir: Dir, subdirectory: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(try ProcessRunner.require(tool), args,
                                    directory: subdirectory.map { dir.url.appendingPathComponent($0) } ?? dir.url)
    }

    @Test("restricted: minisign -V outer, age -d | tar -x, minisign -V inner", arguments: [0, 1, 70_000, 3 * 1024 * 1024 + 5])
    func restricted(size: Int) async throws {
        let w = try EnvWorld()
        let report = envBytes(size, seed: 99)
        let e = try w.seal(report, level: .selected, selected: ["GBR"], fileName: "ATT-annual_2026.v1.pdf")
        let dir = try Dir()
        try dir.write("sealed.att", e.bytes)
        try dir.write("sealed.att.minisig", Array(e.signature.encodeFile().utf8))
        try dir.write("fra.pub", Array(w["FRA"].signing.publicKey.encodeFile().utf8))
        try dir.write("gbr.key", AgeKeyFiles.encodeIdentity(w["GBR"].age, created: "2026-12-04T10:00:00Z"))

        let outer = try await Self.run("minisign", ["-Vm", "sealed.att", "-x", "sealed.att.minisig", "-p", "fra.pub"], in: dir)
        #expect(outer.status == 0, "\(outer)")
        #expect(outer.stdoutText.contains("Trusted comment: \(e.manifest.line) sealed-size=\(e.bytes.count)"), "\(outer)")

        let dec = try await Self.run("age", ["-d", "-i", "gbr.key", "sealed.att"], in: dir)
        #expect(dec.status == 0, "\(dec)")
        try dir.write("container.tar", dec.stdout)
        let list = try await Self.run("tar", ["-tvf", "container.tar"], in: dir)
        #expect(list.status == 0 && list.stderr.isEmpty, "\(list)")
        #expect(list.stdoutLines.map { String($0.split(separator: " ").last!) } == ["manifest.txt", e.manifest.fileName, e.manifest.fileName + ".minisig"])

        try FileManager.default.createDirectory(atPath: dir.path("out"), withIntermediateDirectories: false)
        let x = try await Self.run("tar", ["-xf", "../container.tar"], in: dir, subdirectory: "out")
        #expect(x.status == 0, "\(x)")
        #expect(try dir.read("out/\(e.manifest.fileName)") == report)
        let manifestText = String(decoding: try dir.read("out/manifest.txt"), as: UTF8.self)
        #expect(manifestText.hasPrefix(e.manifest.line + "\n"))
        #expect(manifestText.split(separator: "\n").count == 3)  // line, FRA, GBR

        let inner = try await Self.run("minisign", ["-Vm", "out/\(e.manifest.fileName)", "-p", "fra.pub"], in: dir)
        #expect(inner.status == 0, "\(inner)")
        #expect(inner.stdoutText.contains("Trusted comment: \(e.manifest.line)\n"), "\(inner)")
        let wrongKey = try await Self.run("minisign", ["-Vm", "out/\(e.manifest.fileName)", "-P", w["GBR"].signing.publicKey.base64], in: dir)
        #expect(wrongKey.status != 0)
    }

    @Test("public: minisign -V outer, tar -x the sealed file itself")
    func publicEnvelope() async throws {
        let w = try EnvWorld()
        let report = Array("Public annual report.\n".utf8)
        let e = try w.seal(report, level: .public, fileName: "public.txt")
        let dir = try Dir()
        try dir.write("sealed.tar", e.bytes)
        try dir.write("sealed.tar.minisig", Array(e.signature.encodeFile().utf8))
        try dir.write("fra.pub", Array(w["FRA"].signing.publicKey.encodeFile().utf8))
        let outer = try await Self.run("minisign", ["-Vm", "sealed.tar", "-p", "fra.pub"], in: dir)
        #expect(outer.status == 0, "\(outer)")
        let x = try await Self.run("tar", ["-xvf", "sealed.tar"], in: dir)
        #expect(x.status == 0 && x.stdoutLines == ["manifest.txt", "public.txt", "public.txt.minisig"], "\(x)")
        #expect(try dir.read("public.txt") == report)
        let inner = try await Self.run("minisign", ["-Vm", "public.txt", "-p", "fra.pub"], in: dir)
        #expect(inner.status == 0, "\(inner)")
    }

    @Test("a container made by GNU tar and age from the same parts opens with att-report")
    func madeByStockTools() async throws {
        let w = try EnvWorld()
        let report = envBytes(20_000, seed: 5)
        let recipients = w.keyList(["FRA", "GBR"])
        let m = try w.manifest(level: .selected, recipients: recipients, fileName: "r.pdf")
        let dir = try Dir()
        try dir.write("manifest.txt", Array((m.line + "\n").utf8) + Disclosure.keyList(recipients).bytes)
        try dir.write("r.pdf", report)
        try dir.write("fra.key", Array(try w["FRA"].signing.encodeFile(passphrase: nil).utf8))
        // Inner signature by minisign itself, with the manifest as trusted comment.
        let s = try await Self.run("minisign", ["-S", "-s", "fra.key", "-m", "r.pdf", "-t", m.line], in: dir)
        #expect(s.status == 0, "\(s)")
        let tar = try await Self.run("tar", ["--format=ustar", "--owner=0", "--group=0", "--numeric-owner", "--mode=0644",
                                             "--mtime=@\(m.time.seconds)", "-cf", "container.tar", "manifest.txt", "r.pdf", "r.pdf.minisig"], in: dir)
        #expect(tar.status == 0, "\(tar)")
        let enc = try await Self.run("age", ["-e", "-r", w["FRA"].key.recipient.encoded, "-r", w["GBR"].key.recipient.encoded,
                                             "-o", "sealed.age", "container.tar"], in: dir)
        #expect(enc.status == 0, "\(enc)")
        let sealed = try dir.read("sealed.age")
        let outer = try await Self.run("minisign", ["-S", "-s", "fra.key", "-m", "sealed.age", "-t", m.outerComment(sealedSize: UInt64(sealed.count))], in: dir)
        #expect(outer.status == 0, "\(outer)")
        let sig = try MinisignSignature(parsing: try dir.read("sealed.age.minisig"))
        let out = EnvMemoryOutput()
        let opened = try Envelope.open(sealed: MemorySource(sealed), signature: sig, directory: w.directory,
                                       identities: [w["GBR"].reader], output: { _ in out })
        #expect(out.state == .committed && out.bytes == report && opened.manifest == m)
    }
}
