import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Relay

#if canImport(Glibc)
import Glibc
#endif

/// The server's small cores without sockets: the response cache's bookkeeping, the worker
/// pool, the staging directory's files and group commit. State shared between threads is
/// `Locked` (an NSLock), which ThreadSanitizer sees, unlike `Mutex`.
@Suite("Server cores")
struct ServerCoresTests {
    static func identity(_ n: Int64, size: Int64 = 10) -> FileIdentity {
        FileIdentity(device: 1, inode: UInt64(n), size: size, modified: Int128(n), changed: Int128(n))
    }

    @Test("the response cache: lookups, the oldest out first, the byte budget, stale files, each handle released once")
    func responseCache() {
        let released = Locked<[Int]>([])
        do {
            var c = ResponseCache<Int>(maxEntries: 3, maxBytes: 100) { h in released.withLock { $0.append(h) } }
            // (#expect cannot call a mutating method itself.)
            func put(_ key: String, _ handle: Int, _ id: Int64, bytes: Int = 10) -> Bool {
                c.insert(key, handle, identity: Self.identity(id), bytes: bytes)
            }
            func get(_ key: String, _ id: FileIdentity) -> Int? { c.lookup(key, identity: id) }
            #expect(put("a", 1, 1, bytes: 10))
            #expect(put("b", 2, 2, bytes: 10))
            #expect(put("c", 3, 3, bytes: 10))
            #expect(get("a", Self.identity(1)) == 1)
            #expect(get("zz", Self.identity(1)) == nil)
            // A fourth entry pushes out the oldest kept ("a"), whatever was looked up since.
            #expect(put("d", 4, 4, bytes: 10))
            #expect(get("a", Self.identity(1)) == nil)
            #expect(released.withLock { $0 } == [1])
            #expect(c.entries.count == 3 && c.totalBytes == 30)

            // A file whose identity changed is dropped on lookup.
            #expect(get("b", Self.identity(2, size: 11)) == nil)
            #expect(released.withLock { $0 } == [1, 2])
            #expect(c.entries.count == 2 && c.totalBytes == 20)

            // Replacing a key releases the old handle.
            #expect(put("c", 5, 5, bytes: 10))
            #expect(released.withLock { $0 } == [1, 2, 3])
            #expect(get("c", Self.identity(5)) == 5)

            // The byte budget: an 85-byte entry pushes out the oldest ("d") until 100 holds.
            #expect(put("e", 6, 6, bytes: 85))
            #expect(released.withLock { $0 } == [1, 2, 3, 4])
            #expect(c.totalBytes == 95 && c.entries.keys.sorted() == ["c", "e"])

            // An entry over the whole budget is refused, and the caller keeps its handle.
            #expect(!c.admits(bytes: 101))
            #expect(!put("f", 7, 7, bytes: 101))
            #expect(c.entries.keys.sorted() == ["c", "e"])

            c.removeAll()
            #expect(c.entries.isEmpty && c.totalBytes == 0)
            #expect(released.withLock { $0 }.sorted() == [1, 2, 3, 4, 5, 6])
        }
        var none = ResponseCache<Int>(maxEntries: 0, maxBytes: 100) { _ in Issue.record("nothing was kept") }
        #expect(!none.admits(bytes: 1))
        let kept = none.insert("a", 1, identity: Self.identity(1), bytes: 1)
        #expect(!kept)
    }

    @Test("the response cache under churn: order stays bounded and every handle leaves exactly once")
    func responseCacheChurn() {
        let released = Locked<[Int: Int]>([:])
        var c = ResponseCache<Int>(maxEntries: 8, maxBytes: 1 << 20) { h in released.withLock { $0[h, default: 0] += 1 } }
        var inserted = 0
        for i in 0..<5000 {
            let key = "k\(i % 13)"
            if i % 3 == 0, c.lookup(key, identity: Self.identity(Int64(i))) != nil { continue }
            let kept = c.insert(key, i, identity: Self.identity(Int64(i)), bytes: 100)
            #expect(kept)
            inserted += 1
            #expect(c.entries.count <= 8)
        }
        c.removeAll()
        let counts = released.withLock { $0 }
        #expect(counts.count == inserted)
        #expect(counts.values.allSatisfy { $0 == 1 })
    }

    @Test("file identity: a rewrite in place or a new file under the name changes it")
    func fileIdentity() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("f").path
        func current() -> FileIdentity {
            var s = stat()
            #expect(stat(path, &s) == 0)
            return FileIdentity(s)
        }
        try Data("aaaa".utf8).write(to: URL(fileURLWithPath: path))
        let first = current()
        #expect(current() == first)
        usleep(2000)
        let fd = open(path, O_WRONLY)
        #expect(pwrite(fd, "b", 1, 0) == 1)
        close(fd)
        let rewritten = current()
        #expect(rewritten != first, "same inode and size, new times")
        try Data("cccc".utf8).write(to: dir.appendingPathComponent("g"))
        #expect(rename(dir.appendingPathComponent("g").path, path) == 0)
        #expect(current() != rewritten, "another inode under the name")
    }

    @Test("the worker pool runs every job, on at most its thread count, and its threads leave after shutdown")
    func workerPool() {
        let pool = WorkerPool(maxThreads: 4, name: "test-pool")
        let running = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        for _ in 0..<200 {
            pool.submit {
                let now = running.add(1, ordering: .relaxed).newValue
                var seen = most.load(ordering: .relaxed)
                while now > seen, !most.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
                    seen = most.load(ordering: .relaxed)
                }
                usleep(200)
                running.subtract(1, ordering: .relaxed)
                done.add(1, ordering: .relaxed)
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while done.load(ordering: .relaxed) < 200, Date() < deadline { usleep(1000) }
        #expect(done.load(ordering: .relaxed) == 200)
        #expect(most.load(ordering: .relaxed) <= 4)
        #expect(most.load(ordering: .relaxed) >= 2, "jobs ran in parallel")
        #expect(pool.threadCount <= 4)

        pool.shutdown()
        while pool.threadCount > 0, Date() < deadline { usleep(1000) }
        #expect(pool.threadCount == 0)
        // After shutdown a job runs on the caller's thread, at once.
        let ranInline = Locked(false)
        pool.submit { ranInline.withLock { $0 = true } }
        #expect(ranInline.withLock { $0 })
    }

    @Test("staged files: linked into place never over an existing file, and nothing left in the staging folder")
    func stagingDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("staging-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A leftover named file is removed when the staging folder opens.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try Data("leftover".utf8).write(to: dir.appendingPathComponent("tmp/upload-old"))
        let staging = try StagingDirectory(path: dir.appendingPathComponent("tmp").path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging.path).isEmpty)

        func staged(_ text: String, named: Bool) throws -> StagedFile {
            let file = try staging.create(named: named)
            try Array(text.utf8).withUnsafeBytes { try file.write($0) }
            try file.sync()
            return file
        }
        for named in [false, true] {
            let target = dir.appendingPathComponent("file-\(named)").path
            let file = try staged("content \(named)", named: named)
            #expect((file.temporaryName != nil) == (named || !staging.unnamed))
            #expect(try file.link(at: target))
            // Never over an existing file: the second link says so and changes nothing.
            let other = try staged("other", named: named)
            #expect(try other.link(at: target) == false)
            other.discard()
            file.discard()
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data("content \(named)".utf8))
        }
        // A staged file discarded without a link leaves nothing.
        let abandoned = try staging.create()
        try Array("x".utf8).withUnsafeBytes { try abandoned.write($0) }
        abandoned.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging.path).isEmpty)
    }
}

extension ServerCoresTests {
    @Test("group commit: concurrent callers share batches, one commit at a time, each gets its own output or its batch's error")
    func groupCommit() {
        let active = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        let batches = Locked<[[Int]]>([])
        let group = GroupCommit<Int, Int>(maxBatch: 16) { items in
            if active.add(1, ordering: .relaxed).newValue > 1 { overlapped.store(true, ordering: .relaxed) }
            defer { active.subtract(1, ordering: .relaxed) }
            batches.withLock { $0.append(items) }
            usleep(3000)
            if items.contains(13) { throw GroupCommitError.outputCount }
            return items.map { $0 * 2 }
        }
        let results = Locked<[Int: Result<Int, any Error>]>([:])
        // 64 threads of their own (concurrentPerform would use one per core).
        let finished = DispatchSemaphore(value: 0)
        for i in 0..<64 {
            Thread {
                let r = Result { try group.submit(i) }
                results.withLock { $0[i] = r }
                finished.signal()
            }.start()
        }
        for _ in 0..<64 { finished.wait() }
        let overlaps = overlapped.load(ordering: .relaxed)
        #expect(!overlaps)
        let all = batches.withLock { $0 }
        #expect(all.flatMap { $0 }.sorted() == Array(0..<64), "every item committed exactly once")
        #expect(all.allSatisfy { $0.count <= 16 })
        #expect(all.count < 64, "some batches held several items")
        let failedBatch = Set(all.first { $0.contains(13) } ?? [])
        for (i, r) in results.withLock({ $0 }) {
            switch r {
            case .success(let v): #expect(v == i * 2 && !failedBatch.contains(i))
            case .failure: #expect(failedBatch.contains(i), "only the batch holding 13 fails")
            }
        }
        // A commit that returns the wrong number of outputs fails its callers.
        let short = GroupCommit<Int, Int>(maxBatch: 4) { _ in [] }
        #expect(throws: GroupCommitError.self) { try short.submit(1) }
    }
}
