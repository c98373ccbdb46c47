import Crypto
import Foundation
import Relay
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `att-report serve` as a real process on an ephemeral port, with curl as the client:
/// the public log endpoints (docs/FORMATS.md §3.12, §7.1), restarts and shutdown.
///
/// The directory imported is keys-example/statements laid out as a local directory
/// (`000001.statement` …): the same statements as keys-example/directory, which holds only
/// the first, so the proofs have a tree of some size to cover.
@Suite("Relay logs, live", .serialized)
struct RelayLogsLiveTests {
    // MARK: - The relay process (TestSupport.RelayProcess)

    typealias RelayProcess = TestSupport.RelayProcess
    typealias RelayFailed = TestSupport.RelayFailed

    struct Reply {
        let status: Int
        let body: [UInt8]
        let headers: String
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One request with curl: status, headers and body.
    static func request(_ url: String, method: String = "GET", scratch: URL) async throws -> Reply {
        let curl = try ProcessRunner.require("curl", hint: "apt-get install curl")
        let body = scratch.appendingPathComponent("body-\(UUID().uuidString)")
        let head = scratch.appendingPathComponent("head-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: body); try? FileManager.default.removeItem(at: head) }
        var args = ["-sS", "--max-time", "30", "--path-as-is", "-o", body.path, "-D", head.path, "-w", "%{http_code}"]
        if method == "HEAD" { args.append("-I") } else if method != "GET" { args += ["-X", method] }
        let r = try await ProcessRunner.run(curl, args + [url], timeout: 60)
        #expect(r.status == 0, "\(r)")
        return Reply(status: Int(r.stdoutText) ?? -1, body: [UInt8]((try? Data(contentsOf: body)) ?? Data()),
                     headers: (try? String(contentsOf: head, encoding: .utf8)) ?? "")
    }

    static func scratchDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("relay-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// keys-example/statements as a local directory under `scratch`; returns it and its entries.
    static func exampleDirectory(in scratch: URL) throws -> (URL, [[UInt8]]) {
        let source = Vectors.packageRoot.appendingPathComponent("keys-example/statements")
        let names = try FileManager.default.contentsOfDirectory(atPath: source.path).sorted()
        let dir = scratch.appendingPathComponent("directory")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var entries: [[UInt8]] = []
        for (i, name) in names.enumerated() {
            let bytes = [UInt8](try Data(contentsOf: source.appendingPathComponent(name)))
            try Data(bytes).write(to: dir.appendingPathComponent(String(format: "%06d.statement", i + 1)))
            entries.append(bytes)
        }
        return (dir, entries)
    }

    static func hashes(_ text: String) throws -> [Merkle.Hash] {
        try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            try #require(Base64.decode(String(line), padded: true), "not base64: \(line)")
        }
    }

    // MARK: - Tests

    @Test("the directory log: checkpoint, key, proofs, tiles and bundle verify")
    func directoryLog() async throws {
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (directory, entries) = try Self.exampleDirectory(in: scratch)
        let n = UInt64(entries.count)
        #expect(n > 2)
        let relay = try await RelayProcess(data: scratch.appendingPathComponent("data"), directory: directory, scratch: scratch)
        let log = "\(relay.url)/v1/logs/directory"
        #expect(relay.directoryKey.name == "att-relay.localhost/directory")
        #expect(relay.submissionsKey.name == "att-relay.localhost/submissions")

        // Checkpoint.
        let cp = try await Self.request("\(log)/checkpoint", scratch: scratch)
        #expect(cp.status == 200)
        #expect(cp.headers.lowercased().contains("content-type: text/plain"))
        let signed = try SignedCheckpoint(opening: cp.body, origin: "att-relay.localhost/directory", logKey: relay.directoryKey)
        #expect(signed.checkpoint.size == n)
        let root = signed.checkpoint.rootHash
        #expect(throws: (any Error).self) {
            try SignedCheckpoint(opening: cp.body, origin: "att-relay.localhost/directory", logKey: relay.submissionsKey)
        }

        // Key.
        let key = try await Self.request("\(log)/key", scratch: scratch)
        #expect(key.status == 200 && key.text == relay.directoryKey.encoded + "\n")
        let subKey = try await Self.request("\(relay.url)/v1/logs/submissions/key", scratch: scratch)
        #expect(subKey.status == 200 && subKey.text == relay.submissionsKey.encoded + "\n")

        // Inclusion proof of every statement.
        let leaves = entries.map { Merkle.leafHash($0) }
        for (i, leaf) in leaves.enumerated() {
            let r = try await Self.request("\(log)/proof/inclusion?index=\(i)&size=\(n)", scratch: scratch)
            #expect(r.status == 200)
            let text = r.text
            #expect(text.hasPrefix("index \(i)\n"), "\(text)")
            let proof = try Self.hashes(String(text.dropFirst("index \(i)\n".count)))
            #expect(throws: Never.self) {
                try Merkle.verifyInclusion(leafHash: leaf, index: UInt64(i), size: n, proof: proof, root: root)
            }
        }

        // Entry bundle: exactly the statements, each with a big-endian uint16 length.
        let bundle = try await Self.request("\(log)/tile/entries/000.p/\(n)", scratch: scratch)
        #expect(bundle.status == 200)
        #expect(bundle.headers.lowercased().contains("content-type: application/octet-stream"))
        var parsed: [[UInt8]] = []
        var at = 0
        let b = bundle.body
        while at + 2 <= b.count {
            let len = Int(b[at]) << 8 | Int(b[at + 1])
            at += 2
            guard at + len <= b.count else { break }
            parsed.append(Array(b[at..<at + len]))
            at += len
        }
        #expect(at == b.count)
        #expect(parsed == entries)

        // Level-0 tile: the leaf hashes.
        let tile = try await Self.request("\(log)/tile/0/000.p/\(n)", scratch: scratch)
        #expect(tile.status == 200)
        #expect(tile.body == leaves.flatMap { $0 })
        #expect(Merkle.root(ofLeafHashes: leaves[...]) == root)

        // Consistency proofs from every size to the checkpoint's.
        for old in 1...n {
            let r = try await Self.request("\(log)/proof/consistency?old=\(old)&new=\(n)", scratch: scratch)
            #expect(r.status == 200)
            let proof = try Self.hashes(r.text)
            let oldRoot = Merkle.root(ofLeafHashes: leaves[0..<Int(old)])
            #expect(throws: Never.self) {
                try Merkle.verifyConsistency(size1: old, size2: n, proof: proof, root1: oldRoot, root2: root)
            }
        }
        // And between two smaller sizes.
        let mid = try await Self.request("\(log)/proof/consistency?old=1&new=\(n - 1)", scratch: scratch)
        #expect(throws: Never.self) {
            try Merkle.verifyConsistency(size1: 1, size2: n - 1, proof: try Self.hashes(mid.text),
                                         root1: leaves[0], root2: Merkle.root(ofLeafHashes: leaves[0..<Int(n - 1)]))
        }

        // The submissions log is empty: no checkpoint (404), no tiles.
        let empty = try await Self.request("\(relay.url)/v1/logs/submissions/checkpoint", scratch: scratch)
        #expect(empty.status == 404)
        let emptyTile = try await Self.request("\(relay.url)/v1/logs/submissions/tile/entries/000.p/1", scratch: scratch)
        #expect(emptyTile.status == 404)

        // stop() fails if SIGTERM does not end the relay within its timeout (a hang, not a speed check).
        let stopped = try await relay.stop()
        #expect(stopped.status == 0, "\(relay.stderrText)")
    }

    @Test("malformed and unknown requests get the router's statuses; unsigned contacts are 401")
    func statuses() async throws {
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (directory, entries) = try Self.exampleDirectory(in: scratch)
        let n = entries.count
        let relay = try await RelayProcess(data: scratch.appendingPathComponent("data"), directory: directory, scratch: scratch)
        let u = relay.url
        let log = "\(u)/v1/logs/directory"
        let cases: [(String, String, Int)] = [
            ("GET", "\(u)/healthz", 200),
            ("GET", "\(log)/checkpoint?x=1", 400),
            ("GET", "\(log)/tile/0/0001", 400),
            ("GET", "\(log)/tile/0/000.p/0", 400),
            ("GET", "\(log)/tile/64/000", 400),
            ("GET", "\(log)/proof/inclusion?index=\(n)&size=\(n)", 400),
            ("GET", "\(log)/proof/inclusion?size=\(n)", 400),
            ("GET", "\(log)/proof/consistency?old=0&new=\(n)", 400),
            ("GET", "\(log)/proof/consistency?old=3&new=2", 400),
            ("GET", "\(log)/proof/consistency?old=1&new=1&old=1", 400),
            ("GET", "\(log)/checkpoint%20", 400),
            ("GET", "\(u)/v1/logs/other/checkpoint", 404),
            ("GET", "\(log)/checkpoint/", 404),
            ("GET", "\(log)/nothing", 404),
            ("GET", "\(log)/tile/0/001", 404),
            ("GET", "\(log)/tile/0/000", 404),
            ("GET", "\(log)/tile/0/000.p/\(n + 1)", 404),
            ("GET", "\(log)/tile/1/000.p/1", 404),
            ("GET", "\(log)/tile/entries/000.p/\(n + 1)", 404),
            ("GET", "\(log)/proof/inclusion?index=0&size=\(n + 1)", 404),
            ("GET", "\(log)/proof/consistency?old=1&new=\(n + 1)", 404),
            ("GET", "\(u)/v1/logs/submissions/proof/consistency?old=1&new=1", 404),
            ("POST", "\(log)/checkpoint", 405),
            ("DELETE", "\(log)/key", 405),
            ("GET", "\(log)/proof/inclusion?hash=\(String(repeating: "ab", count: 32))&size=\(n)", 404),
            ("GET", "\(log)/proof/inclusion?hash=\(hexString(Merkle.leafHash(entries[n - 1])))&size=\(n - 1)", 404),
            ("GET", "\(log)/proof/inclusion?hash=\(hexString(Merkle.leafHash(entries[1])))&size=\(n)", 200),
            ("GET", "\(u)/v1/envelopes", 200),
            ("GET", "\(u)/v1/contacts", 401),
            ("GET", "\(u)/v1/directory/statements", 200),
            ("GET", "\(u)/", 200),
        ]
        for (method, url, status) in cases {
            let r = try await Self.request(url, method: method, scratch: scratch)
            #expect(r.status == status, "\(method) \(url): \(r.status) \(r.text)")
            if status >= 400 {
                #expect(r.headers.lowercased().contains("cache-control: no-store"), "\(url)")
                #expect(r.text.hasSuffix("\n") && r.text.filter { $0 == "\n" }.count == 1, "\(url): \(r.text)")
            }
            if status == 405 { #expect(r.headers.contains("Allow: GET, HEAD"), "\(r.headers)") }
        }
        let health = try await Self.request("\(u)/healthz", scratch: scratch)
        #expect(health.text == "ok\n")
        let cp0 = try await Self.request("\(log)/checkpoint", scratch: scratch)
        let head = try await Self.request("\(log)/checkpoint", method: "HEAD", scratch: scratch)
        #expect(head.status == 200)
        #expect(head.headers.lowercased().contains("content-length: \(cp0.body.count)"), "\(head.headers)")

        let stopped = try await relay.stop()
        #expect(stopped.status == 0)
    }

    @Test("a restart serves the same checkpoint and keys and appends nothing; a differing directory is refused")
    func restart() async throws {
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (directory, entries) = try Self.exampleDirectory(in: scratch)
        let data = scratch.appendingPathComponent("data")

        let first = try await RelayProcess(data: data, directory: directory, scratch: scratch)
        #expect(first.stderrText.contains("imported \(entries.count) statement"))
        let cp1 = try await Self.request("\(first.url)/v1/logs/directory/checkpoint", scratch: scratch)
        #expect(cp1.status == 200)
        let stop1 = try await first.stop()
        #expect(stop1.status == 0, "\(first.stderrText)")

        // The log keys are kept, owner-only.
        for name in ["submissions.skey", "directory.skey"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(name)")
        }

        let second = try await RelayProcess(data: data, directory: directory, scratch: scratch)
        #expect(second.directoryKey == first.directoryKey)
        #expect(second.submissionsKey == first.submissionsKey)
        #expect(!second.stderrText.contains("imported"))
        let cp2 = try await Self.request("\(second.url)/v1/logs/directory/checkpoint", scratch: scratch)
        #expect(cp2.body == cp1.body)
        _ = try await second.stop()

        // A local directory that is a prefix of the log (keys-example/directory holds the
        // first statement) is fine: nothing to append.
        let prefix = scratch.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        try Data(entries[0]).write(to: prefix.appendingPathComponent("000001.statement"))
        let third = try await RelayProcess(data: data, directory: prefix, scratch: scratch)
        let cp3 = try await Self.request("\(third.url)/v1/logs/directory/checkpoint", scratch: scratch)
        #expect(cp3.body == cp1.body)
        _ = try await third.stop()

        // A local directory whose statements differ from the log's: refuses to start.
        let other = scratch.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data(entries[1]).write(to: other.appendingPathComponent("000001.statement"))
        let refused = try await ProcessRunner.run(try RelayProcess.binary(),
                                                  ["serve", "--port", "0", "--data", data.path, "--directory", other.path],
                                                  timeout: 30)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderrText.contains("differs"), "\(refused)")
        #expect(!refused.stdoutText.contains("url "))
    }
}
