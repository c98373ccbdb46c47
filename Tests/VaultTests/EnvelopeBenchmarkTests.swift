import Crypto
import Foundation
import Testing
import TestSupport
@testable import Vault

/// Seal and open throughput against `age` alone, on files. Opt-in (it writes a few
/// hundred MiB): `ATT_ENVELOPE_BENCH=64 swift test -c release -Xswiftc -enable-testing
/// --filter EnvelopeBenchmark` (the value is the report size in MiB).
@Suite("sealed envelopes: benchmark")
struct EnvelopeBenchmarkTests {
    static let mebibytes = Int(ProcessInfo.processInfo.environment["ATT_ENVELOPE_BENCH"] ?? "") ?? 0

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    @Test(.enabled(if: mebibytes > 0))
    func sealAndOpenVersusAge() async throws {
        let w = try EnvWorld()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("att-envelope-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ n: String) -> String { dir.appendingPathComponent(n).path }
        let size = Self.mebibytes << 20
        try Data(envBytes(size)).write(to: dir.appendingPathComponent("report.bin"))
        let recipients = try w.recipients(from: "FRA", level: .statesParties)
        let age = try ProcessRunner.require("age")
        try Data(AgeKeyFiles.encodeIdentity(w["GBR"].age, created: "2026-12-04T10:00:00Z")).write(to: dir.appendingPathComponent("gbr.key"))
        let ageArgs = recipients.flatMap { ["-r", $0.recipient.encoded] }

        var rows: [String] = []
        for round in 0..<3 {
            var sealed: Envelope.Sealed?
            let tSeal = try Self.seconds {
                let sink = try AtomicFileSink(path: path("sealed.age"))
                sealed = try Envelope.seal(report: try FileSource(path: path("report.bin")), reportSize: UInt64(size), fileName: "report.bin",
                                           sender: w["FRA"].party, signingKey: w["FRA"].signing, type: .annual, year: 2026,
                                           level: .statesParties, recipients: recipients, supersedes: nil, time: EnvTime.sealing,
                                           directory: w.directory, to: sink)
                try sink.commit()
            }
            // The same without the final fsync (age -o does not fsync), and without any file.
            let tSealNoSync = try Self.seconds {
                let fd = open(path("sealed2.age"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                defer { close(fd) }
                _ = try Envelope.seal(report: try FileSource(path: path("report.bin")), reportSize: UInt64(size), fileName: "report.bin",
                                      sender: w["FRA"].party, signingKey: w["FRA"].signing, type: .annual, year: 2026,
                                      level: .statesParties, recipients: recipients, supersedes: nil, time: EnvTime.sealing,
                                      directory: w.directory, to: FileSink(fd: fd, name: "sealed2.age"))
            }
            let tSealNull = try Self.seconds {
                _ = try Envelope.seal(report: try FileSource(path: path("report.bin")), reportSize: UInt64(size), fileName: "report.bin",
                                      sender: w["FRA"].party, signingKey: w["FRA"].signing, type: .annual, year: 2026,
                                      level: .statesParties, recipients: recipients, supersedes: nil, time: EnvTime.sealing,
                                      directory: w.directory, to: EnvNullSink())
            }
            let tEncryptNull = try Self.seconds {
                try Age.encrypt(from: try FileSource(path: path("report.bin")), to: EnvNullSink(), recipients: recipients.map(\.recipient))
            }
            let tHash = try Self.seconds { _ = try MinisignSignature.prehash(try FileSource(path: path("report.bin"))) }
            let tOpenNull = try Self.seconds {
                _ = try Envelope.open(sealed: try FileSource(path: path("sealed.age")), signature: sealed!.outerSignature,
                                      directory: w.directory, identities: [w["GBR"].reader], output: { _ in EnvNullOutput() })
            }
            rows.append(String(format: "  seal without fsync %.3fs, to no file %.3fs; Age.encrypt alone to no file %.3fs; BLAKE2b alone %.3fs; open to no file %.3fs",
                               tSealNoSync, tSealNull, tEncryptNull, tHash, tOpenNull))
            try? FileManager.default.removeItem(atPath: path("opened.bin"))
            let tOpen = try Self.seconds {
                _ = try Envelope.open(sealed: try FileSource(path: path("sealed.age")), signature: sealed!.outerSignature,
                                      directory: w.directory, identities: [w["GBR"].reader], outputPath: path("opened.bin"))
            }
            let tVerify = try Self.seconds {
                _ = try Envelope.verify(sealed: try FileSource(path: path("sealed.age")), signature: sealed!.outerSignature, directory: w.directory)
            }
            var start = DispatchTime.now().uptimeNanoseconds
            let e = try await ProcessRunner.run(age, ["-e"] + ageArgs + ["-o", path("plain.age"), path("report.bin")])
            let tAgeE = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(e.status == 0, "\(e)")
            start = DispatchTime.now().uptimeNanoseconds
            let d = try await ProcessRunner.run(age, ["-d", "-i", path("gbr.key"), "-o", path("plain.out"), path("plain.age")])
            let tAgeD = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(d.status == 0, "\(d)")
            try? FileManager.default.removeItem(atPath: path("plain.out"))
            func mbps(_ t: Double) -> String { String(format: "%6.0f MiB/s", Double(size) / 1048576 / t) }
            rows.insert(String(format: "round %d: seal %.3fs (%@, %.2f× age -e %.3fs) | open %.3fs (%@, %.2f× age -d %.3fs) | verify %.3fs",
                               round, tSeal, mbps(tSeal), tSeal / tAgeE, tAgeE, tOpen, mbps(tOpen), tOpen / tAgeD, tAgeD, tVerify), at: rows.count - 1)
        }
        print("envelope benchmark, \(Self.mebibytes) MiB report, \(ProcessInfo.processInfo.activeProcessorCount) cores:\n" + rows.joined(separator: "\n"))
    }
}

final class EnvNullSink: ByteSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
}

final class EnvNullOutput: ReportOutput {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
    func commit() throws {}
    func abort() {}
}
