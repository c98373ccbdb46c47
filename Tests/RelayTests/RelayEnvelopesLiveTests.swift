import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

/// `att-report serve` as a real process, with envelopes sealed by the CLI and uploaded and
/// fetched with curl, each request signed here with `RequestAuth` (docs/FORMATS.md §7).
@Suite("Relay envelopes, live", .serialized)
struct RelayEnvelopesLiveTests {
    typealias RelayProcess = RelayLogsLiveTests.RelayProcess
    static let relayName = "att-relay.localhost"

    struct Reply {
        let status: Int
        let body: [UInt8]
        let headers: String
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A sealed envelope on disk.
    struct Sealed {
        let sealed: [UInt8]
        let signature: [UInt8]
        let id: String
        var body: [UInt8] { signature + sealed }
        var leafHash: Merkle.Hash { Merkle.leafHash(SHA256.hash(signature)) }
    }

    /// The world: copies of the example directory and keystore, a report, a scratch dir.
    struct World {
        let scratch: URL
        let directory: URL
        let home: URL
        let report: URL
        let keystore: Keystore

        init() throws {
            scratch = try RelayLogsLiveTests.scratchDirectory()
            let root = Vectors.packageRoot.appendingPathComponent("keys-example")
            directory = scratch.appendingPathComponent("directory")
            home = scratch.appendingPathComponent("home")
            try FileManager.default.copyItem(at: root.appendingPathComponent("directory"), to: directory)
            try FileManager.default.copyItem(at: root.appendingPathComponent("home"), to: home)
            report = scratch.appendingPathComponent("annual-report-FRA-2025.csv")
            try FileManager.default.copyItem(at: root.appendingPathComponent("annual-report-FRA-2025.csv"), to: report)
            keystore = Keystore(home: home)
        }

        func key(_ party: String, label: String = "example-1") throws -> MinisignSecretKey {
            try keystore.signingKey(party: try PartyCode(party), label: label) {
                throw RelayLogsLiveTests.RelayFailed(description: "the example keys have no passphrase")
            }
        }

        /// Runs the CLI; requires exit status 0.
        @discardableResult
        func cli(_ args: [String]) async throws -> String {
            let r = try await ProcessRunner.run(try RelayProcess.binary(), args, timeout: 60)
            try #require(r.status == 0, "att-report \(args.joined(separator: " ")): \(r)")
            return r.stdoutText
        }

        /// `att-report seal` as FRA (or `party`); `extra` are the level options.
        func seal(_ name: String, party: String = "FRA", type: String = "annual", year: String = "2025",
                  _ extra: [String]) async throws -> Sealed {
            let out = scratch.appendingPathComponent(name)
            try await cli(["seal", "--home", home.path, "--directory", directory.path, "--party", party,
                           "--type", type, "--year", year, "-o", out.path] + extra + [report.path])
            let signature = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out.path + ".minisig")))
            let sig = try MinisignSignature(parsing: signature)
            return Sealed(sealed: [UInt8](try Data(contentsOf: out)), signature: signature,
                          id: try Envelope.inspect(signature: sig).manifest.id)
        }
    }

    /// A signed Authorization header for `party` (nil: none).
    static func authorization(_ world: World, party: String?, method: String, target: String,
                              body: [UInt8] = []) throws -> String? {
        guard let party else { return nil }
        return try RequestAuth.sign(relay: relayName, method: method, target: target, bodySHA256: SHA256.hash(body),
                                    party: try PartyCode(party), key: try world.key(party),
                                    time: Int64(Date().timeIntervalSince1970))
    }

    /// One request with curl.
    static func request(_ relay: RelayProcess, _ target: String, method: String = "GET", body: [UInt8]? = nil,
                        authorization: String?, scratch: URL) async throws -> Reply {
        let curl = try ProcessRunner.require("curl", hint: "apt-get install curl")
        let out = scratch.appendingPathComponent("body-\(UUID().uuidString)")
        let head = scratch.appendingPathComponent("head-\(UUID().uuidString)")
        let input = scratch.appendingPathComponent("in-\(UUID().uuidString)")
        defer { for f in [out, head, input] { try? FileManager.default.removeItem(at: f) } }
        var args = ["-sS", "--max-time", "30", "--path-as-is", "-o", out.path, "-D", head.path, "-w", "%{http_code}",
                    "-X", method]
        if let authorization { args += ["-H", "Authorization: \(authorization)"] }
        if let body {
            try Data(body).write(to: input)
            args += ["-H", "Content-Type: application/octet-stream", "-H", "Expect:", "--data-binary", "@\(input.path)"]
        }
        let r = try await ProcessRunner.run(curl, args + [relay.url + target], timeout: 60)
        #expect(r.status == 0, "\(r)")
        return Reply(status: Int(r.stdoutText) ?? -1, body: [UInt8]((try? Data(contentsOf: out)) ?? Data()),
                     headers: (try? String(contentsOf: head, encoding: .utf8)) ?? "")
    }

    /// A signed upload by `party`.
    static func upload(_ relay: RelayProcess, _ world: World, _ e: Sealed, as party: String) async throws -> Reply {
        let auth = try authorization(world, party: party, method: "POST", target: "/v1/envelopes", body: e.body)
        return try await request(relay, "/v1/envelopes", method: "POST", body: e.body, authorization: auth, scratch: world.scratch)
    }

    /// A GET as `party` (nil: anonymous).
    static func get(_ relay: RelayProcess, _ world: World, _ target: String, as party: String?) async throws -> Reply {
        try await request(relay, target, authorization: try authorization(world, party: party, method: "GET", target: target),
                          scratch: world.scratch)
    }

    static func checkReceipt(_ body: [UInt8], for e: Sealed, relay: RelayProcess) throws {
        let proof = try TlogProof(parsing: body)
        #expect(throws: Never.self) {
            try proof.verify(leafHash: e.leafHash, origin: "\(relayName)/submissions", logKey: relay.submissionsKey)
        }
    }

    @Test("upload, receipts, who may read what, open, refusals, restart")
    func envelopes() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        var relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)

        // One envelope per level, sealed by FRA.
        let pub = try await world.seal("public.att", ["--level", "public"])
        let sp = try await world.seal("sp.att", ["--level", "states-parties"])
        let sec = try await world.seal("sec.att", ["--level", "secretariat"])
        let sel = try await world.seal("sel.att", ["--level", "selected", "--to", "NGA"])
        let all = [pub, sp, sec, sel]

        var receipts: [String: [UInt8]] = [:]
        for e in all {
            let r = try await Self.upload(relay, world, e, as: "FRA")
            #expect(r.status == 201, "\(r.text)")
            #expect(r.headers.contains("Location: /v1/envelopes/\(e.id)"))
            try Self.checkReceipt(r.body, for: e, relay: relay)
            receipts[e.id] = r.body
        }

        // The same envelope again: the same receipt, 200.
        let againAuth = try Self.authorization(world, party: "FRA", method: "POST", target: "/v1/envelopes", body: sel.body)
        let again = try await Self.request(relay, "/v1/envelopes", method: "POST", body: sel.body, authorization: againAuth,
                                           scratch: world.scratch)
        #expect(again.status == 200)
        #expect(again.body == receipts[sel.id])
        // The same request (same nonce) replayed: 401.
        let replayed = try await Self.request(relay, "/v1/envelopes", method: "POST", body: sel.body, authorization: againAuth,
                                              scratch: world.scratch)
        #expect(replayed.status == 401)
        #expect(replayed.text.contains("nonce"))
        // Unsigned: 401.
        let unsigned = try await Self.request(relay, "/v1/envelopes", method: "POST", body: pub.body, authorization: nil,
                                              scratch: world.scratch)
        #expect(unsigned.status == 401)

        // Uploaded by another party than the sender: 403, nothing stored.
        let other = try await world.seal("other.att", ["--level", "public"])
        let byNGA = try await Self.upload(relay, world, other, as: "NGA")
        #expect(byNGA.status == 403)
        #expect(try await Self.get(relay, world, "/v1/envelopes/\(other.id)", as: "FRA").status == 404)

        // Tampered sealed file: 422, nothing stored (no file, no index row, no leaf).
        var tampered = try await world.seal("tampered.att", ["--level", "selected", "--to", "JPN"])
        var bytes = tampered.sealed
        bytes[bytes.count / 2] ^= 0x01
        tampered = Sealed(sealed: bytes, signature: tampered.signature, id: tampered.id)
        let bad = try await Self.upload(relay, world, tampered, as: "FRA")
        #expect(bad.status == 422, "\(bad.text)")
        #expect(try await Self.get(relay, world, "/v1/envelopes/\(tampered.id)", as: "FRA").status == 404)
        let stored = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("envelopes").path)
        #expect(stored.filter { $0.hasSuffix(".sealed") }.count == all.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("envelopes/tmp").path).isEmpty)
        let cp = try await Self.get(relay, world, "/v1/logs/submissions/checkpoint", as: nil)
        let size = try SignedCheckpoint(opening: cp.body, origin: "\(Self.relayName)/submissions",
                                        logKey: relay.submissionsKey).checkpoint.size
        #expect(size == UInt64(all.count))

        // A truncated body (shorter than sealed-size): 422, nothing left behind.
        let short = Sealed(sealed: Array(other.sealed.dropLast(10)), signature: other.signature, id: other.id)
        #expect(try await Self.upload(relay, world, short, as: "FRA").status == 422)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("envelopes/tmp").path).isEmpty)

        // The same ciphertext re-signed by NGA as its own (from= and key= rewritten): 409.
        let fra = try world.key("FRA"), nga = try world.key("NGA")
        let comment = try MinisignSignature(parsing: sp.signature).trustedComment
            .replacingOccurrences(of: "from=FRA key=\(fra.publicKey.keyIDString)", with: "from=NGA key=\(nga.publicKey.keyIDString)")
        #expect(comment.contains("from=NGA"))
        let stolen = try MinisignSignature.sign(MemorySource(sp.sealed), with: nga, trustedComment: comment)
        let resigned = Sealed(sealed: sp.sealed, signature: Array(stolen.encodeFile().utf8), id: sp.id)
        let conflict = try await Self.upload(relay, world, resigned, as: "NGA")
        #expect(conflict.status == 409, "\(conflict.text)")

        // An upload cut off half way (the client goes away): nothing is left behind.
        let tmp = data.appendingPathComponent("envelopes/tmp").path
        let half = Array(other.body.prefix(other.signature.count + other.sealed.count / 2))
        let cutAuth = try Self.authorization(world, party: "FRA", method: "POST", target: "/v1/envelopes", body: other.body)
        let curl = try ProcessRunner.require("curl", hint: "apt-get install curl")
        let halfFile = world.scratch.appendingPathComponent("half")
        try Data(half).write(to: halfFile)
        let cutArgs = ["-sS", "--max-time", "2", "-o", "/dev/null", "-X", "POST",
                       "-H", "Authorization: \(cutAuth ?? "")", "-H", "Expect:",
                       "-H", "Content-Length: \(other.body.count)",
                       "--data-binary", "@\(halfFile.path)", relay.url + "/v1/envelopes"]
        let cut = Task { [curl, cutArgs] in _ = try await ProcessRunner.run(curl, cutArgs, timeout: 30) }
        // The upload's staged file: named in tmp/, or unnamed (O_TMPFILE) and only open.
        func staged() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: tmp) + relay.openFiles(under: tmp) }
        var sawTemporary = false
        for _ in 0..<100 where !sawTemporary {
            sawTemporary = !(try staged().isEmpty)
            if !sawTemporary { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(sawTemporary)
        _ = try await cut.value
        var leftovers = ["?"]
        for _ in 0..<200 where !leftovers.isEmpty {
            leftovers = try staged()
            if !leftovers.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try await Self.get(relay, world, "/v1/envelopes/\(other.id)", as: "FRA").status == 404)

        // Who may read what (§7.4), before and after a restart.
        for round in 0..<2 {
            // (reader, envelope, expected status)
            let cases: [(String?, Sealed, Int)] = [
                (nil, pub, 200), ("JPN", pub, 200), ("SGP", pub, 200),
                ("FRA", sel, 200), ("NGA", sel, 200), ("JPN", sel, 404), (nil, sel, 404), ("SEC", sel, 404),
                ("FRA", sp, 200), ("JPN", sp, 200), ("SGP", sp, 404), (nil, sp, 404),
                ("SEC", sec, 200), ("NGA", sec, 404), (nil, sec, 404),
            ]
            for (reader, e, status) in cases {
                let sealed = try await Self.get(relay, world, "/v1/envelopes/\(e.id)", as: reader)
                #expect(sealed.status == status, "round \(round): \(reader ?? "anonymous") reading \(e.id)")
                let sig = try await Self.get(relay, world, "/v1/envelopes/\(e.id)/signature", as: reader)
                let receipt = try await Self.get(relay, world, "/v1/envelopes/\(e.id)/receipt", as: reader)
                #expect(sig.status == status && receipt.status == status)
                if status == 200 {
                    #expect(sealed.body == e.sealed)
                    #expect(sig.body == e.signature)
                    #expect(receipt.body == receipts[e.id])
                    try Self.checkReceipt(receipt.body, for: e, relay: relay)
                } else {
                    let unknown = try await Self.get(relay, world, "/v1/envelopes/00000000000000000000000000", as: reader)
                    #expect(sealed.body == unknown.body && unknown.status == 404)
                }
            }

            // Lists: only what the caller may see, in log order.
            func ids(_ r: Reply) -> [String] {
                r.text.split(separator: "\n").compactMap { line in
                    line.split(separator: " ").first(where: { $0.hasPrefix("id=") }).map { String($0.dropFirst(3)) }
                }
            }
            #expect(ids(try await Self.get(relay, world, "/v1/envelopes", as: nil)) == [pub.id])
            #expect(ids(try await Self.get(relay, world, "/v1/envelopes", as: "FRA")) == all.map(\.id))
            #expect(ids(try await Self.get(relay, world, "/v1/envelopes", as: "NGA")) == [pub.id, sp.id, sel.id])
            #expect(ids(try await Self.get(relay, world, "/v1/envelopes?level=selected&to=NGA", as: "NGA")) == [sel.id])
            #expect(ids(try await Self.get(relay, world, "/v1/envelopes?since=1&limit=1", as: "FRA")) == [sp.id])
            let listed = try await Self.get(relay, world, "/v1/envelopes?from=FRA&year=2025&type=annual", as: "SEC")
            #expect(ids(listed) == [pub.id, sec.id])
            #expect(listed.text.hasPrefix("0 att-report/manifest/v1 id=\(pub.id) "))

            if round == 0 {
                let stopped = try await relay.stop()
                #expect(stopped.status == 0, "\(relay.stderrText)")
                relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
            }
        }

        // The fetched envelope opens with the CLI (as its recipient NGA).
        let fetched = world.scratch.appendingPathComponent("fetched.att")
        try Data(try await Self.get(relay, world, "/v1/envelopes/\(sel.id)", as: "NGA").body).write(to: fetched)
        try Data(try await Self.get(relay, world, "/v1/envelopes/\(sel.id)/signature", as: "NGA").body)
            .write(to: URL(fileURLWithPath: fetched.path + ".minisig"))
        let opened = world.scratch.appendingPathComponent("opened.csv")
        let r = try await ProcessRunner.run(try RelayProcess.binary(),
                                            ["open", "--home", world.home.path, "--directory", world.directory.path,
                                             "--party", "NGA", "-o", opened.path, fetched.path], timeout: 60)
        #expect(r.status == 0, "\(r)")
        #expect(try Data(contentsOf: opened) == Data(contentsOf: world.report))

        // After the restart: a duplicate still gets its receipt, a new envelope is appended.
        let dup = try await Self.upload(relay, world, pub, as: "FRA")
        #expect(dup.status == 200 && dup.body == receipts[pub.id])
        let later = try await world.seal("later.att", ["--level", "public", "--supersedes", pub.id])
        let laterReply = try await Self.upload(relay, world, later, as: "FRA")
        #expect(laterReply.status == 201, "\(laterReply.text)")
        try Self.checkReceipt(laterReply.body, for: later, relay: relay)
        #expect(try TlogProof(parsing: laterReply.body).index == UInt64(all.count))
        // A supersedes= of another type: 409.
        let wrong = try await world.seal("wrong.att", type: "initial", ["--level", "public", "--supersedes", sp.id])
        #expect(try await Self.upload(relay, world, wrong, as: "FRA").status == 409)

        let stopped = try await relay.stop()
        #expect(stopped.status == 0, "\(relay.stderrText)")
    }
}
