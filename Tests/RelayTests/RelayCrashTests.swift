import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of a live relay during concurrent envelope submissions (issue 5): every
/// submission that got a receipt is there after a restart, byte for byte, its receipt
/// verifies offline under the same submissions key, and the new checkpoint is consistent
/// with every checkpoint seen in a receipt. Submissions without a receipt may be there or
/// not, but never half there.
@Suite("Relay crash safety, live", .serialized)
struct RelayCrashTests {
    typealias Live = RelayEnvelopesLiveTests
    typealias RelayProcess = RelayLogsLiveTests.RelayProcess
    typealias Sealed = RelayEnvelopesLiveTests.Sealed

    static let total = 500
    static let killAfter = 250
    static let width = 24
    static var origin: String { "\(Live.relayName)/submissions" }

    /// One curl request that may fail (the relay may be gone): curl's status, the HTTP
    /// status and the body.
    struct Outcome: Sendable {
        let curlStatus: Int32
        let status: Int
        let body: [UInt8]
    }

    static func curl(_ url: String, method: String = "GET", body: [UInt8]? = nil, authorization: String?,
                     scratch: URL) async throws -> Outcome {
        let curl = try ProcessRunner.require("curl", hint: "apt-get install curl")
        let out = scratch.appendingPathComponent("body-\(UUID().uuidString)")
        let input = scratch.appendingPathComponent("in-\(UUID().uuidString)")
        defer { for f in [out, input] { try? FileManager.default.removeItem(at: f) } }
        var args = ["-sS", "--max-time", "20", "--path-as-is", "-o", out.path, "-w", "%{http_code}", "-X", method]
        if let authorization { args += ["-H", "Authorization: \(authorization)"] }
        if let body {
            try Data(body).write(to: input)
            args += ["-H", "Content-Type: application/octet-stream", "-H", "Expect:", "--data-binary", "@\(input.path)"]
        }
        let r = try await ProcessRunner.run(curl, args + [url], timeout: 40)
        return Outcome(curlStatus: r.status, status: Int(r.stdoutText) ?? -1,
                       body: [UInt8]((try? Data(contentsOf: out)) ?? Data()))
    }

    /// `requests` (url, method, body, authorization), `width` at a time, results in order.
    static func concurrently(_ requests: [(String, String, [UInt8]?, String?)], scratch: URL) async throws -> [Outcome] {
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            var results = [Outcome?](repeating: nil, count: requests.count)
            var next = 0
            func add() {
                let i = next, (url, method, body, auth) = requests[i]
                group.addTask { (i, try await Self.curl(url, method: method, body: body, authorization: auth, scratch: scratch)) }
                next += 1
            }
            while next < min(width, requests.count) { add() }
            while let (i, r) = try await group.next() {
                results[i] = r
                if next < requests.count { add() }
            }
            return results.map { $0! }
        }
    }

    @Test("kill -9 during 500 concurrent submissions: receipts survive, checkpoints stay consistent")
    func killDuringSubmissions() async throws {
        let world = try Live.World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        let fra = try PartyCode("FRA")
        let key = try world.key("FRA")
        let directory = try LocalDirectory(url: world.directory).state()
        let time = UTCTime(seconds: Int64(Date().timeIntervalSince1970))

        // 500 distinct public envelopes, sealed in process.
        var envelopes: [Sealed] = []
        for i in 0..<Self.total {
            let report = Array("party,year,n\nFRA,2025,\(i)\n".utf8)
            let sink = MemorySink()
            let sealed = try Envelope.seal(report: MemorySource(report), reportSize: UInt64(report.count),
                                           fileName: "report-\(i).csv", sender: fra, signingKey: key, type: .annual,
                                           year: 2025, level: .public, recipients: [], supersedes: nil, time: time,
                                           directory: directory, to: sink)
            envelopes.append(Sealed(sealed: sink.bytes, signature: Array(sealed.outerSignature.encodeFile().utf8),
                                    id: sealed.manifest.id))
        }
        #expect(Set(envelopes.map(\.id)).count == Self.total)

        let relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        let firstKey = relay.submissionsKey
        let url = relay.url
        let scratch = world.scratch

        // Upload, `width` at a time, with fresh signed requests; kill -9 after `killAfter` receipts.
        var receipts: [Int: TlogProof] = [:]
        var killed = false
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            var next = 0
            func add() throws {
                let i = next, e = envelopes[i]
                let auth = try RequestAuth.sign(relay: Live.relayName, method: "POST", target: "/v1/envelopes",
                                                bodySHA256: SHA256.hash(e.body), party: fra, key: key,
                                                time: Int64(Date().timeIntervalSince1970))
                group.addTask {
                    (i, try await Self.curl(url + "/v1/envelopes", method: "POST", body: e.body, authorization: auth,
                                            scratch: scratch))
                }
                next += 1
            }
            while next < Self.width { try add() }
            while let (i, r) = try await group.next() {
                if r.curlStatus == 0, r.status == 201, let proof = try? TlogProof(parsing: r.body) {
                    receipts[i] = proof
                } else if !killed {
                    Issue.record("upload \(i) failed before the kill: curl \(r.curlStatus), HTTP \(r.status), \(String(decoding: r.body, as: UTF8.self))")
                }
                if !killed, receipts.count >= Self.killAfter {
                    kill(relay.process.processIdentifier, SIGKILL)
                    killed = true
                }
                if !killed, next < Self.total { try add() }
            }
        }
        relay.process.waitUntilExit()
        #expect(killed)
        #expect(relay.process.terminationReason == .uncaughtSignal && relay.process.terminationStatus == SIGKILL)
        #expect(receipts.count >= Self.killAfter)

        // Every receipt received verifies offline against the key printed before the kill.
        for (i, proof) in receipts {
            #expect(throws: Never.self, "receipt \(i)") {
                try proof.verify(leafHash: envelopes[i].leafHash, origin: Self.origin, logKey: firstKey)
            }
        }

        // Restart on the same data directory: the same submissions key.
        let restarted = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        #expect(restarted.submissionsKey == firstKey)
        let u = restarted.url

        // The new checkpoint.
        let cpReply = try await Self.curl(u + "/v1/logs/submissions/checkpoint", authorization: nil, scratch: scratch)
        try #require(cpReply.status == 200, "\(cpReply)")
        let current = try SignedCheckpoint(opening: cpReply.body, origin: Self.origin, logKey: restarted.submissionsKey).checkpoint
        let maxIndex = receipts.values.map(\.index).max() ?? 0
        #expect(current.size > maxIndex)

        // It is consistent with every checkpoint seen in a receipt.
        var seen: [UInt64: Merkle.Hash] = [:]
        for proof in receipts.values {
            let cp = try SignedCheckpoint(opening: proof.checkpointNote, origin: Self.origin, logKey: firstKey).checkpoint
            if let root = seen[cp.size] {
                #expect(root == cp.rootHash, "two receipts with checkpoints of size \(cp.size) and different roots")
            }
            seen[cp.size] = cp.rootHash
        }
        let sizes = seen.keys.sorted()
        let proofs = try await Self.concurrently(sizes.map {
            (u + "/v1/logs/submissions/proof/consistency?old=\($0)&new=\(current.size)", "GET", nil, nil)
        }, scratch: scratch)
        for (size, reply) in zip(sizes, proofs) {
            #expect(reply.status == 200, "consistency \(size) -> \(current.size): \(reply)")
            guard reply.status == 200 else { continue }
            let hashes = try RelayLogsLiveTests.hashes(String(decoding: reply.body, as: UTF8.self))
            #expect(throws: Never.self, "consistency \(size) -> \(current.size)") {
                try Merkle.verifyConsistency(size1: size, size2: current.size, proof: hashes,
                                             root1: seen[size]!, root2: current.rootHash)
            }
        }

        // Every envelope: sealed file, signature and receipt, as its sender.
        func signedGET(_ target: String) throws -> (String, String, [UInt8]?, String?) {
            let auth = try RequestAuth.sign(relay: Live.relayName, method: "GET", target: target,
                                            bodySHA256: SHA256.hash([UInt8]()), party: fra, key: key,
                                            time: Int64(Date().timeIntervalSince1970))
            return (u + target, "GET", nil, auth)
        }
        var requests: [(String, String, [UInt8]?, String?)] = []
        for e in envelopes {
            for suffix in ["", "/signature", "/receipt"] { requests.append(try signedGET("/v1/envelopes/\(e.id)\(suffix)")) }
        }
        let fetched = try await Self.concurrently(requests, scratch: scratch)
        var present = 0
        for (i, e) in envelopes.enumerated() {
            let (sealed, signature, receipt) = (fetched[3 * i], fetched[3 * i + 1], fetched[3 * i + 2])
            #expect(sealed.curlStatus == 0 && signature.curlStatus == 0 && receipt.curlStatus == 0)
            if receipts[i] == nil, sealed.status == 404, signature.status == 404, receipt.status == 404 { continue }
            present += 1
            let label = receipts[i] == nil ? "envelope \(i) (no receipt)" : "envelope \(i) (receipt \(receipts[i]!.index))"
            #expect(sealed.status == 200 && signature.status == 200 && receipt.status == 200,
                    "\(label): \(sealed.status) \(signature.status) \(receipt.status)")
            #expect(sealed.body == e.sealed, "\(label): sealed bytes differ")
            #expect(signature.body == e.signature, "\(label): signature differs")
            guard receipt.status == 200 else { continue }
            if let proof = receipts[i] {
                #expect(receipt.body == proof.encoded, "\(label): the stored receipt differs from the one sent")
            }
            // The stored receipt verifies, and the entry is in the new checkpoint too.
            let stored = try TlogProof(parsing: receipt.body)
            #expect(throws: Never.self, "\(label)") {
                try stored.verify(leafHash: e.leafHash, origin: Self.origin, logKey: restarted.submissionsKey)
            }
            #expect(stored.index < current.size, "\(label)")
        }
        #expect(present >= receipts.count)
        #expect(UInt64(present) == current.size, "envelopes present: \(present), log size: \(current.size)")

        // The relay still takes submissions: one not uploaded before, if any, gets the next index.
        if let i = envelopes.indices.first(where: { receipts[$0] == nil }) {
            let e = envelopes[i]
            let auth = try RequestAuth.sign(relay: Live.relayName, method: "POST", target: "/v1/envelopes",
                                            bodySHA256: SHA256.hash(e.body), party: fra, key: key,
                                            time: Int64(Date().timeIntervalSince1970))
            let r = try await Self.curl(u + "/v1/envelopes", method: "POST", body: e.body, authorization: auth, scratch: scratch)
            #expect(r.status == 201 || r.status == 200, "\(r)")
            if r.status == 201 {
                let proof = try TlogProof(parsing: r.body)
                #expect(proof.index == current.size)
                #expect(throws: Never.self) {
                    try proof.verify(leafHash: e.leafHash, origin: Self.origin, logKey: restarted.submissionsKey)
                }
            }
        }

        let stopped = try await restarted.stop()
        #expect(stopped.status == 0, "\(restarted.stderrText)")
    }
}
