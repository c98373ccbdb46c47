import Dispatch
import Foundation
import Relay
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// How the server keeps its polling threads free: keep-alive for requests without a body,
/// uploads finished on other threads while their connection is suspended, and immutable
/// files sent again from kept responses. Real sockets on 127.0.0.1.
@Suite("HTTP server: keep-alive, suspended uploads, kept responses", .serialized)
struct HTTPServerConcurrencyTests {
    typealias Raw = HTTPServerTests.RawConnection

    /// A sink whose `finish` waits until the test opens the gate.
    final class GatedSink: HTTPBodySink {
        let gate: DispatchSemaphore
        let recorder: HTTPServerTests.Recorder
        var count = 0
        init(gate: DispatchSemaphore, recorder: HTTPServerTests.Recorder) { self.gate = gate; self.recorder = recorder }
        func write(_ chunk: UnsafeRawBufferPointer) throws { count += chunk.count }
        func finish() throws -> HTTPResponse {
            recorder.add("finishing")
            let opened = gate.wait(timeout: .now() + 20) == .success
            recorder.add(opened ? "finished" : "gate timed out")
            return .text(201, "stored \(count)")
        }
        func abort() { recorder.add("abort") }
    }

    struct Handler: HTTPHandler {
        let gate: DispatchSemaphore
        let recorder: HTTPServerTests.Recorder
        let file: String

        func handle(_ head: HTTPRequestHead) throws -> HTTPRequestDisposition {
            switch (head.method, head.path) {
            case ("GET", "/hello"): return .respond(.text(200, "hello"))
            case ("GET", "/immutable"), ("HEAD", "/immutable"):
                return .respond(HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")],
                                             body: .immutableFile(path: file)))
            case ("POST", "/gated"): return .readBody(maxBytes: 1 << 20) { GatedSink(gate: gate, recorder: recorder) }
            default: return .respond(.text(404, "not found"))
            }
        }
    }

    static func start(threads: Int = 1, limits: HTTPServer.Limits = HTTPServer.Limits(), file: String = "/nonexistent")
        throws -> (HTTPServer, HTTPServerTests.Recorder, DispatchSemaphore) {
        let recorder = HTTPServerTests.Recorder()
        let gate = DispatchSemaphore(value: 0)
        let config = HTTPServer.Configuration(host: "127.0.0.1", port: 0, threads: threads, limits: limits)
        let server = try HTTPServer(configuration: config, handler: Handler(gate: gate, recorder: recorder, file: file))
        return (server, recorder, gate)
    }

    /// Reads one response whose body has a Content-Length: its head and body.
    static func readResponse(_ c: Raw) -> (head: String, body: [UInt8]) {
        let head = c.readHead()
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        var body: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while body.count < length {
            let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, min($0.count, length - body.count), 0) }
            guard n > 0 else { break }
            body += buffer[0..<n]
        }
        return (head, body)
    }

    static func get(_ path: String, host: String = "x") -> String { "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n" }

    @Test("a connection stays open across requests without a body; one that sends a body anyway is closed")
    func keepAlive() throws {
        let (server, _, _) = try Self.start(threads: 2)
        defer { server.stop() }
        let c = try #require(Raw(port: server.port))
        for _ in 0..<3 {
            c.send(Self.get("/hello"))
            let r = Self.readResponse(c)
            #expect(r.head.hasPrefix("HTTP/1.1 200"))
            #expect(!r.head.lowercased().contains("connection: close"), "\(r.head)")
            #expect(r.body == Array("hello\n".utf8))
        }
        // A GET with a body: answered without reading it, and the connection closed.
        let d = try #require(Raw(port: server.port))
        d.send("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
        let (bytes, closed) = d.readAll()
        #expect(HTTPServerTests.statusLine(bytes) == "HTTP/1.1 200 OK")
        #expect(closed)
    }

    @Test("an upload being finished does not hold its polling thread: with one thread, GETs are answered meanwhile")
    func suspendedUpload() throws {
        let (server, recorder, gate) = try Self.start(threads: 1)
        defer { server.stop() }
        let upload = try #require(Raw(port: server.port, timeout: 20))
        upload.send("POST /gated HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(recorder.wait(for: "finishing"))

        // The only polling thread is free: other connections are served while the upload waits.
        for _ in 0..<5 {
            let c = try #require(Raw(port: server.port, timeout: 5))
            c.send(Self.get("/hello"))
            #expect(Self.readResponse(c).head.hasPrefix("HTTP/1.1 200"))
        }
        #expect(!recorder.contains("finished"))
        gate.signal()
        let r = Self.readResponse(upload)
        #expect(r.head.hasPrefix("HTTP/1.1 201"))
        #expect(r.body == Array("stored 5\n".utf8))
        // The resumed connection is kept alive.
        upload.send(Self.get("/hello"))
        #expect(Self.readResponse(upload).head.hasPrefix("HTTP/1.1 200"))
    }

    @Test("stop() while an upload is being finished waits for it, then stops cleanly")
    func stopWhileFinishing() throws {
        let (server, recorder, gate) = try Self.start(threads: 1)
        let upload = try #require(Raw(port: server.port, timeout: 20))
        upload.send("POST /gated HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(recorder.wait(for: "finishing"))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { gate.signal() }
        let started = Date()
        server.stop()
        #expect(Date().timeIntervalSince(started) >= 0.2, "stop() waited for the upload being finished")
        #expect(recorder.contains("finished"))
        #expect(server.openRequests == 0)
        #expect(Raw(port: server.port) == nil, "the port is closed")
    }

    @Test("many uploads finishing at once, on a few polling threads, all get their answers")
    func manySuspendedUploads() async throws {
        let (server, recorder, gate) = try Self.start(threads: 2)
        defer { server.stop() }
        let connections = (0..<40).compactMap { _ in Raw(port: server.port, timeout: 20) }
        #expect(connections.count == 40)
        for c in connections { c.send("POST /gated HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok") }
        let deadline = Date().addingTimeInterval(10)
        while recorder.all.filter({ $0 == "finishing" }).count < 40, Date() < deadline { usleep(5000) }
        #expect(recorder.all.filter { $0 == "finishing" }.count == 40)
        for _ in 0..<40 { gate.signal() }
        for c in connections {
            let r = Self.readResponse(c)
            #expect(r.head.hasPrefix("HTTP/1.1 201"))
            #expect(r.body == Array("stored 2\n".utf8))
        }
    }

    @Test("an immutable file is sent again from a kept response, and read afresh once it changes on disk")
    func immutableFile() async throws {
        let dir = try HTTPServerTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("blob").path
        let first = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(first).write(to: URL(fileURLWithPath: path))
        let (server, _, _) = try Self.start(threads: 2, file: path)
        defer { server.stop() }
        let c = try #require(Raw(port: server.port))
        for _ in 0..<3 {
            c.send(Self.get("/immutable"))
            let r = Self.readResponse(c)
            #expect(r.head.hasPrefix("HTTP/1.1 200") && r.head.contains("Content-Type: application/octet-stream"))
            #expect(r.body == first)
        }
        // Rewritten in place, same size: the new bytes are sent.
        var second = first
        second[100] ^= 0xFF
        usleep(2000)
        let fd = open(path, O_WRONLY)
        #expect(second.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == second.count)
        close(fd)
        c.send(Self.get("/immutable"))
        #expect(Self.readResponse(c).body == second)
        // Another file renamed over it, another size.
        let third = Array("short".utf8)
        try Data(third).write(to: dir.appendingPathComponent("new"))
        #expect(rename(dir.appendingPathComponent("new").path, path) == 0)
        c.send(Self.get("/immutable"))
        #expect(Self.readResponse(c).body == third)
        // HEAD: the head alone, with the length.
        let head = try await HTTPServerTests.curl(["-I", "http://127.0.0.1:\(server.port)/immutable"])
        #expect(head.stdoutText.contains("Content-Length: 5"))
        // Gone: a bare 500.
        unlink(path)
        c.send(Self.get("/immutable"))
        let gone = Self.readResponse(c)
        #expect(gone.head.hasPrefix("HTTP/1.1 500"))
    }

    @Test("a file over the kept-response budget is sent from its descriptor every time")
    func immutableFileOverBudget() throws {
        let dir = try HTTPServerTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big").path
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var limits = HTTPServer.Limits()
        limits.reusableResponseBytes = 100_000
        let (server, _, _) = try Self.start(threads: 2, limits: limits, file: path)
        defer { server.stop() }
        let c = try #require(Raw(port: server.port))
        for _ in 0..<2 {
            c.send(Self.get("/immutable"))
            #expect(Self.readResponse(c).body == bytes)
        }
        var none = HTTPServer.Limits()
        none.reusableResponses = 0
        let (plain, _, _) = try Self.start(threads: 1, limits: none, file: path)
        defer { plain.stop() }
        let d = try #require(Raw(port: plain.port))
        d.send(Self.get("/immutable"))
        #expect(Self.readResponse(d).body == bytes)
    }
}

extension HTTPServerConcurrencyTests {
    @Test("a polling thread at its connection limit serves the keep-alive connections it holds; one more waits for a free slot")
    func atConnectionLimit() throws {
        var limits = HTTPServer.Limits()
        limits.maxConnections = 4
        limits.maxConnectionsPerIP = 4
        let (server, _, _) = try Self.start(threads: 1, limits: limits)
        defer { server.stop() }
        // Four connections, each sending at once, fill the limit.
        var connections = (0..<4).compactMap { _ -> Raw? in
            let c = Raw(port: server.port, timeout: 5)
            c?.send(Self.get("/hello"))
            return c
        }
        #expect(connections.count == 4)
        // A fifth is not taken while the limit is reached.
        let fifth = try #require(Raw(port: server.port, timeout: 1))
        fifth.send(Self.get("/hello"))
        for c in connections { #expect(Self.readResponse(c).head.hasPrefix("HTTP/1.1 200")) }
        #expect(fifth.readHead().isEmpty, "not answered while four are open")
        // The four are served again and again on their kept-alive connections.
        for round in 0..<3 {
            for c in connections { c.send(Self.get("/hello")) }
            for c in connections {
                let r = Self.readResponse(c)
                #expect(r.head.hasPrefix("HTTP/1.1 200"), "round \(round): \(r.head)")
            }
        }
        // One closes: the fifth is taken and answered.
        connections.removeFirst()
        var answered = ""
        for _ in 0..<10 where answered.isEmpty { answered = fifth.readHead() }
        #expect(answered.hasPrefix("HTTP/1.1 200"), "\(answered)")
    }
}
