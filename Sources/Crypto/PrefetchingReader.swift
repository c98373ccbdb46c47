import Dispatch

/// Reads the next block of a source on a background thread while the caller works on the
/// current one (double buffering), for single-threaded consumers such as hashing.
final class PrefetchingReader: @unchecked Sendable {
    // @unchecked: `source` is read only on `queue`; each buffer is handed back and forth by
    // its semaphore, so the reader and the consumer never touch the same buffer at once.
    private let source: ByteSource
    private let queue = DispatchQueue(label: "att-report.prefetch")
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var counts = [0, 0]
    private var errors: [Error?] = [nil, nil]
    private let ready = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
    private var inFlight = [false, false]

    init(source: ByteSource, blockSize: Int = 1 << 20) {
        self.source = source
        buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64) }
    }

    deinit {
        // forEachBlock waits for every read it started, so nothing is queued here.
        for b in buffers { b.deallocate() }
    }

    private func fill(_ i: Int) {
        inFlight[i] = true
        queue.async { [self] in
            do { counts[i] = try source.readFull(into: buffers[i]) } catch { errors[i] = error; counts[i] = 0 }
            ready[i].signal()
        }
    }

    private func wait(_ i: Int) {
        ready[i].wait()
        inFlight[i] = false
    }

    /// Calls `body` with each block in order until the source ends. Returns only when no
    /// background read is left running.
    func forEachBlock(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        defer { for i in 0..<2 where inFlight[i] { wait(i) } }
        fill(0)
        var current = 0
        while true {
            wait(current)
            if let e = errors[current] { throw e }
            let n = counts[current]
            if n == buffers[current].count { fill(current ^ 1) }  // more may follow: read ahead
            if n > 0 { try body(UnsafeRawBufferPointer(rebasing: buffers[current][0..<n])) }
            if n < buffers[current].count { return }
            current ^= 1
        }
    }
}
