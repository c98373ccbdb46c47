import Dispatch

/// Reads the next block of a source on a background thread while the caller works on the
/// current one (double buffering), for single-threaded consumers such as hashing.
final class PrefetchingReader: @unchecked Sendable {
    // @unchecked: `source` is read only on `queue`; each buffer is handed back and forth by
    // its semaphore, so the reader and the consumer never touch the same buffer at once.
    private let source: ByteSource
    private let queue = DispatchQueue(label: "att-report.prefetch")
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var counts: [Int]
    private var errors: [Error?]
    private let ready: [DispatchSemaphore]
    private var next = 0

    init(source: ByteSource, blockSize: Int = 1 << 20) {
        self.source = source
        buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64) }
        counts = [0, 0]
        errors = [nil, nil]
        ready = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
        fill(0)
        fill(1)
    }

    deinit {
        queue.sync {}
        for b in buffers { b.deallocate() }
    }

    private func fill(_ i: Int) {
        queue.async { [self] in
            do { counts[i] = try source.readFull(into: buffers[i]) } catch { errors[i] = error; counts[i] = 0 }
            ready[i].signal()
        }
    }

    /// Calls `body` with each block in order until the source ends.
    func forEachBlock(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while true {
            let i = next
            ready[i].wait()
            if let e = errors[i] { throw e }
            let n = counts[i]
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffers[i][0..<n]))
            if n < buffers[i].count { return }
            fill(i)
            next ^= 1
        }
    }
}
