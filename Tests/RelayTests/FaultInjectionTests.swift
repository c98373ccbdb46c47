import Crypto
import Foundation
import Relay
import Synchronization
import Testing
import TestSupport
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// Fault injection against the relay (issue 6): a data folder that fills up mid-upload,
/// `kill -9` at random points of a submission (200 times), slow and oversized clients, and
/// request times at the edges of the authentication window. Live relays are real
/// `att-report serve` processes; what they hold is checked by `Fault.Ledger.check`.
@Suite("Fault injection", .serialized)
struct FaultInjectionTests {
    typealias World = RelayEnvelopesLiveTests.World
    typealias Sealed = Fault.Sealed

    /// One upload with curl (the relay may be gone): curl's status, HTTP status, body.
    static func upload(_ url: String, _ e: Sealed, sender: Fault.Sender, scratch: URL) async throws -> RelayCrashTests.Outcome {
        let auth = try sender.authorization(method: "POST", target: "/v1/envelopes", body: e.body)
        return try await RelayCrashTests.curl(url + "/v1/envelopes", method: "POST", body: e.body, authorization: auth,
                                              scratch: scratch)
    }

    // MARK: - Full disk

    @Test("full disk: an upload that fills the data folder fails with 503 and no hang; nothing acknowledged is lost; space back, uploads work",
          .enabled(if: Fault.tmpfsUnavailable == nil, "needs `mount -t tmpfs` (root with CAP_SYS_ADMIN)"))
    func fullDisk() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let mounted = Fault.mountTmpfs(at: data, bytes: 64 << 20)
        try #require(mounted.status == 0, "mount: \(mounted.output)")
        defer { Fault.unmount(data) }

        let sender = try Fault.Sender(world: world)
        var relay: RelayProcess? = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        defer { if let p = relay?.process, p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        let key = relay!.submissionsKey
        var ledger = Fault.Ledger()
        var submitted: [String: Sealed] = [:]
        var n = 0
        func next(_ bytes: Int) throws -> Sealed {
            n += 1
            let e = try sender.seal(n, bytes: bytes)
            submitted[e.id] = e
            return e
        }

        // Some acknowledged envelopes first.
        for _ in 0..<5 {
            let e = try next(4096)
            let r = try await Self.upload(relay!.url, e, sender: sender, scratch: world.scratch)
            try #require(r.curlStatus == 0 && r.status == 201, "\(r)")
            try ledger.acknowledge(e, receipt: r.body, key: key)
        }

        // Fill the data folder, then free `slack` bytes: a 1 MiB upload no longer fits. Each
        // round leaves a different amount, so the upload fails at a different step (the
        // temporary file, the linked file, the index, the log).
        // Rounds leaving less than the sealed file must be refused; those leaving about its
        // size may get it in (then it is held like any other) or fail at a later write.
        let filler = data.appendingPathComponent("filler")
        var refused = 0
        let sealedSize = try next(1 << 20).sealed.count
        let rounds = [0, 16 << 10, 200 << 10, 600 << 10].map { ($0, true) } + (0..<16).map { (sealedSize + $0 * 4096, false) }
        for (slack, mustRefuse) in rounds {
            try Self.fill(filler, leaving: slack)
            let big = try next(1 << 20)
            let r = try await Self.upload(relay!.url, big, sender: sender, scratch: world.scratch)
            // An answer, not a hang (curl's own limit is 20 s: status 28), and a clear one.
            #expect(r.curlStatus == 0, "slack \(slack): curl \(r.curlStatus)")
            #expect(r.status == 503 || (!mustRefuse && r.status == 201),
                    "slack \(slack): HTTP \(r.status) \(String(decoding: r.body, as: UTF8.self))")
            if r.status == 503 { refused += 1 }
            if r.status == 503 { #expect(r.body == Array("service unavailable\n".utf8)) }
            if r.status == 201 { try ledger.acknowledge(big, receipt: r.body, key: key) }
            // A small one may fit or not; if it is acknowledged it is held like the others.
            let small = try next(512)
            let s = try await Self.upload(relay!.url, small, sender: sender, scratch: world.scratch)
            #expect(s.curlStatus == 0 && [201, 503].contains(s.status), "slack \(slack), small upload: \(s)")
            if s.status == 201 { try ledger.acknowledge(small, receipt: s.body, key: key) }
            // Nothing acknowledged is lost, nothing refused is visible, the log is consistent.
            let reader = try Fault.Reader(base: relay!.url, sender: sender)
            try ledger.check(reader, key: key, candidates: submitted)
            if r.status == 503 { #expect(ledger.held[big.id] == nil, "slack \(slack): a refused upload is held") }
            #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("envelopes/tmp").path).isEmpty,
                    "slack \(slack): a refused upload left its temporary file")
        }
        #expect(refused >= 4)

        // Space back: the refused envelopes are taken now, and a new one too.
        try FileManager.default.removeItem(at: filler)
        let refusedBefore = submitted.values.filter { ledger.held[$0.id] == nil }
        for e in refusedBefore + [try next(1 << 20)] {
            let r = try await Self.upload(relay!.url, e, sender: sender, scratch: world.scratch)
            #expect(r.curlStatus == 0 && r.status == 201, "after freeing space: \(r.status) \(String(decoding: r.body, as: UTF8.self))")
            if r.status == 201 { try ledger.acknowledge(e, receipt: r.body, key: key) }
        }
        try ledger.check(try Fault.Reader(base: relay!.url, sender: sender), key: key, candidates: submitted)
        #expect(ledger.held.count == submitted.count)

        // And the store opens again after all this, with everything in it.
        let stopped = try await relay!.stop()
        #expect(stopped.status == 0, "\(relay!.stderrText)")
        relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        #expect(relay!.submissionsKey == key)
        try ledger.check(try Fault.Reader(base: relay!.url, sender: sender), key: key, candidates: submitted)
        _ = try await relay!.stop()
    }

    /// Writes `file` until the file system is full, then gives back `leaving` bytes.
    static func fill(_ file: URL, leaving: Int) throws {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw Fault.Failed("open \(file.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5A, count: 4096)
        while chunk.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) > 0 {}
        guard errno == ENOSPC else { throw Fault.Failed("filling \(file.path): \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Fault.Failed("stat \(file.path)") }
        guard ftruncate(fd, max(0, off_t(st.st_size) - off_t(leaving))) == 0 else {
            throw Fault.Failed("truncate \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: - Torn writes

    static let kills = 200

    @Test("kill -9 at random points of a submission, 200 times: acknowledged envelopes stay, nothing half-written shows, checkpoints stay consistent")
    func tornWrites() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        let sender = try Fault.Sender(world: world)
        var generator = SystemRandomNumberGenerator()

        var relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        let key = relay.submissionsKey
        var ledger = Fault.Ledger()
        var submitted: [String: Sealed] = [:]

        // How long a submission takes here: the kills are spread over 1.5 times the longest.
        var longest = 0.0
        for i in 0..<5 {
            let e = try sender.seal(i, bytes: 16 << 10)
            submitted[e.id] = e
            let start = Date()
            let r = try await Self.upload(relay.url, e, sender: sender, scratch: world.scratch)
            longest = max(longest, Date().timeIntervalSince(start))
            try #require(r.curlStatus == 0 && r.status == 201, "\(r)")
            try ledger.acknowledge(e, receipt: r.body, key: key)
        }
        let spread = max(0.005, longest * 1.5)

        var acknowledgedBeforeKill = 0, answeredOther = 0, cut = 0, retried = 0
        var pending: Sealed?  // a submission cut by a kill, sent again next time (every other one)
        for round in 0..<Self.kills {
            let e: Sealed
            if let p = pending, Bool.random(using: &generator) {
                e = p
                retried += 1
            } else {
                e = try sender.seal(1000 + round, bytes: Int.random(in: 256...(64 << 10), using: &generator))
                submitted[e.id] = e
            }
            pending = nil
            let url = relay.url, scratch = world.scratch
            let upload = Task { try await Self.upload(url, e, sender: sender, scratch: scratch) }
            try await Task.sleep(for: .seconds(Double.random(in: 0...spread, using: &generator)))
            kill(relay.process.processIdentifier, SIGKILL)
            relay.process.waitUntilExit()
            let r = try await upload.value
            if r.curlStatus == 0, r.status == 201 || r.status == 200 {
                try ledger.acknowledge(e, receipt: r.body, key: key)
                acknowledgedBeforeKill += 1
            } else if r.curlStatus == 0 {
                answeredOther += 1
                #expect(r.status == 503, "round \(round): HTTP \(r.status) \(String(decoding: r.body, as: UTF8.self))")
                pending = e
            } else {
                cut += 1
                pending = e
            }

            relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
            #expect(relay.submissionsKey == key)
            // Uploads in progress are gone from disk once the relay is back.
            #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("envelopes/tmp").path).isEmpty)
            let reader = try Fault.Reader(base: relay.url, sender: sender)
            do {
                try ledger.check(reader, key: key, candidates: submitted)
            } catch {
                Issue.record("after kill \(round + 1): \(error)")
                break
            }
            if let p = pending, ledger.held[p.id] != nil { pending = nil }  // it got in before the kill
        }
        // The kills landed at different points: some before the answer, some after.
        #expect(cut > 0 && acknowledgedBeforeKill > 0,
                "cut \(cut), acknowledged \(acknowledgedBeforeKill), other answers \(answeredOther), retried \(retried)")

        // Every submission not held yet goes in now, and everything is there.
        for e in submitted.values where ledger.held[e.id] == nil {
            let r = try await Self.upload(relay.url, e, sender: sender, scratch: world.scratch)
            #expect(r.curlStatus == 0 && (r.status == 201 || r.status == 200), "\(r)")
            if r.status == 201 || r.status == 200 { try ledger.acknowledge(e, receipt: r.body, key: key) }
        }
        let final = try ledger.check(try Fault.Reader(base: relay.url, sender: sender), key: key, candidates: submitted)
        #expect(ledger.held.count == submitted.count)
        #expect(final.size == UInt64(submitted.count), "log size \(final.size), envelopes \(submitted.count)")
        let stopped = try await relay.stop()
        #expect(stopped.status == 0, "\(relay.stderrText)")
    }

    // MARK: - Slow and oversized clients

    @Test("slowloris and oversized headers from other addresses do not starve ordinary clients")
    func slowClients() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        let sender = try Fault.Sender(world: world)
        let relay = try await RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        let port = try #require(UInt16(relay.url.split(separator: ":").last ?? ""))

        // Attackers, from 127.0.0.2-5: each opens many connections and sends a request head
        // one byte at a time, never finishing it; from 127.0.0.6, heads far over the limit.
        let stop = Atomic<Bool>(false)
        let opened = Atomic<Int>(0)
        let ready = Atomic<Int>(0)
        let oversizedAnswers = Mutex<[String]>([])
        let attackers = (2...5).map { host in
            Thread {
                var sockets: [Fault.Socket] = []
                for _ in 0..<100 {
                    if let s = try? Fault.Socket(port: port, from: "127.0.0.\(host)") {
                        sockets.append(s)
                        opened.add(1, ordering: .relaxed)
                    }
                }
                ready.add(1, ordering: .relaxed)
                let head = Array("GET /v1/logs/submissions/checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
                var i = 0
                while !stop.load(ordering: .relaxed) {
                    for s in sockets { s.send([i < head.count ? head[i] : UInt8(ascii: "a")]) }
                    i += 1
                    usleep(50_000)
                }
            }
        }
        let big = Thread {
            while !stop.load(ordering: .relaxed) {
                guard let s = try? Fault.Socket(port: port, from: "127.0.0.6") else { usleep(10_000); continue }
                let padding = String(repeating: "a", count: 8192)
                var head = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                for k in 0..<16 { head += "X-Big-\(k): \(padding)\r\n" }
                s.send(Array((head + "\r\n").utf8))
                if let line = s.statusLine() { oversizedAnswers.withLock { $0.append(line) } }
            }
        }
        for t in attackers + [big] { t.start() }
        defer { stop.store(true, ordering: .relaxed) }

        // While they run: ordinary requests, anonymous and signed, reads and an upload.
        for _ in 0..<1000 where ready.load(ordering: .relaxed) < attackers.count { try await Task.sleep(for: .milliseconds(20)) }
        try #require(ready.load(ordering: .relaxed) == attackers.count)
        // More than the per-IP limit (64) from each: the server holds 64 of each, slow.
        #expect(opened.load(ordering: .relaxed) > 4 * HTTPServer.Limits().maxConnectionsPerIP)
        let reader = try Fault.Reader(base: relay.url, sender: sender)
        for i in 0..<40 {
            #expect(try reader.get("/healthz").status == 200)
            #expect(try reader.get("/v1/logs/directory/checkpoint").status == 200)
            #expect(try reader.get("/v1/envelopes", signed: true).status == 200)
            if i % 5 == 0 {
                let e = try sender.seal(i, bytes: 8 << 10)
                let r = try await Self.upload(relay.url, e, sender: sender, scratch: world.scratch)
                #expect(r.curlStatus == 0 && r.status == 201, "upload during the attack: \(r)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop.store(true, ordering: .relaxed)
        let answers = oversizedAnswers.withLock { $0 }
        #expect(!answers.isEmpty)
        #expect(answers.allSatisfy { $0.hasPrefix("HTTP/1.1 431") }, "\(Set(answers))")
        let stopped = try await relay.stop()
        #expect(stopped.status == 0, "\(relay.stderrText)")
    }

    // MARK: - Clock skew

    /// The relay's clock, set by the test.
    final class Clock: Sendable {
        let seconds: Atomic<Int64>
        init(_ s: Int64) { seconds = Atomic(s) }
        var now: Int64 { seconds.load(ordering: .relaxed) }
        func set(_ s: Int64) { seconds.store(s, ordering: .relaxed) }
    }

    @Test("clock skew through the relay's handler: a request time 300 s off either way is accepted, 301 s is refused (GET and upload)")
    func clockSkew() throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let config = try RelayConfig(dataDirectory: world.scratch.appendingPathComponent("data"), name: Fault.relayName)
        let logs = try config.openLogs()
        _ = try logs.importDirectory(try LocalDirectory(url: world.directory).entries())
        let started = Int64(Date().timeIntervalSince1970)
        let clock = Clock(started)
        let server = RelayServer(config: config, logs: logs, now: { clock.now })
        // Later, so that a request up to 300 s old is still after the relay's start.
        let now = started + 1000
        clock.set(now)
        let sender = try Fault.Sender(world: world)
        let window = RequestAuth.defaultWindow
        #expect(window == 300)

        func signed(_ method: String, _ target: String, body: [UInt8] = [], time: Int64) throws -> HTTPRequestHead {
            let auth = try RequestAuth.sign(relay: Fault.relayName, method: method, target: target,
                                            bodySHA256: SHA256.hash(body), party: sender.party, key: sender.key, time: time)
            return HTTPRequestHead(method: method, target: target, headers: [("Authorization", auth)], remoteAddress: "127.0.0.1")
        }
        func respond(_ head: HTTPRequestHead, body: [UInt8] = []) throws -> HTTPResponse {
            switch try server.handle(head) {
            case .respond(let r):
                return r
            case .readBody(_, let open):
                let sink = try open()
                do {
                    try body.withUnsafeBytes { try sink.write($0) }
                    return try sink.finish()
                } catch let e as HTTPError {
                    return HTTPResponse(status: e.status, body: .bytes(Array(e.publicMessage.utf8)))
                }
            }
        }
        func text(_ r: HTTPResponse) -> String {
            if case .bytes(let b) = r.body { return String(decoding: b, as: UTF8.self) }
            return ""
        }

        for skew in [-window, -window + 1, 0, window - 1, window] {
            let r = try respond(try signed("GET", "/v1/envelopes", time: now + skew))
            #expect(r.status == 200, "GET signed \(skew) s off: \(r.status) \(text(r))")
        }
        for skew in [-window - 1, window + 1, -10 * window, 10 * window] {
            let r = try respond(try signed("GET", "/v1/envelopes", time: now + skew))
            #expect(r.status == 401, "GET signed \(skew) s off: \(r.status)")
            #expect(text(r) == HTTPError.unauthenticated(.staleTime).publicMessage + "\n", "\(text(r))")
        }
        // Uploads are authenticated after the body, against the relay's clock when the head arrived.
        for (i, (skew, status)) in [(-window, 201), (window, 201), (-window - 1, 401), (window + 1, 401)].enumerated() {
            let e = try sender.seal(i)
            let r = try respond(try signed("POST", "/v1/envelopes", body: e.body, time: now + skew), body: e.body)
            #expect(r.status == status, "upload signed \(skew) s off: \(r.status) \(text(r))")
        }
        // The clock moves while an upload streams in: the request time is judged against when
        // its head arrived (FORMATS §7.2.3), so a long upload is not stale at its end...
        let late = try sender.seal(10)
        let head = try signed("POST", "/v1/envelopes", body: late.body, time: now)
        guard case .readBody(_, let open) = try server.handle(head) else {
            Issue.record("an upload did not ask for its body")
            return
        }
        let sink = try open()
        try late.body.withUnsafeBytes { try sink.write($0) }
        clock.set(now + 10 * window)
        #expect(try sink.finish().status == 201)
        // ...while one whose head arrives too late is refused.
        let stale = try sender.seal(11)
        let staleHead = try signed("POST", "/v1/envelopes", body: stale.body, time: now)
        guard case .readBody(_, let openStale) = try server.handle(staleHead) else {
            Issue.record("an upload did not ask for its body")
            return
        }
        let staleSink = try openStale()
        try stale.body.withUnsafeBytes { try staleSink.write($0) }
        #expect(throws: HTTPError.unauthenticated(.staleTime)) { _ = try staleSink.finish() }
        // A request signed before the relay started is stale, even within the window.
        clock.set(started + 10)
        let before = try respond(try signed("GET", "/v1/envelopes", time: started - 1))
        #expect(before.status == 401)
        let after = try respond(try signed("GET", "/v1/envelopes", time: started))
        #expect(after.status == 200)
    }
}
