import Dispatch

/// Writes buffers to a sink on a background thread while the caller fills the next one:
/// double buffering for STREAM. The sink is only ever touched by the writer's serial queue,
/// in submission order. The first write error is kept and thrown at the next `acquire` or
/// at `finish`.
final class PipelinedWriter: @unchecked Sendable {
    // @unchecked: `sink` is used only on `queue`; `firstError` only under `lock`; the buffers
    // are handed over by the semaphores, so a buffer is never filled and written at once.
    private let sink: ByteSink
    private let queue = DispatchQueue(label: "att-report.stream-writer")
    private let free: [DispatchSemaphore]
    // Semaphores start at 0 and are signalled once: libdispatch traps if one is freed with a
    // value below its initial value, which an error path between acquire and submit could do.
    private let lock = PipelinedWriter.semaphore(1)
    private var firstError: Error?
    let buffers: [UnsafeMutableRawBufferPointer]

    init(sink: ByteSink, bufferSize: Int, count: Int = 2) {
        self.sink = sink
        buffers = (0..<count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64) }
        free = (0..<count).map { _ in PipelinedWriter.semaphore(1) }
    }

    static func semaphore(_ value: Int) -> DispatchSemaphore {
        let s = DispatchSemaphore(value: 0)
        for _ in 0..<value { s.signal() }
        return s
    }

    deinit {
        // finish() has drained the queue; zero plaintext buffers before freeing.
        for b in buffers { Sodium.memzero(b); b.deallocate() }
    }

    private func check() throws {
        lock.wait()
        let e = firstError
        lock.signal()
        if let e { throw e }
    }

    /// Waits until buffer `i` is no longer being written, and returns it.
    func acquire(_ i: Int) throws -> UnsafeMutableRawBufferPointer {
        free[i].wait()
        do { try check() } catch { free[i].signal(); throw error }
        return buffers[i]
    }

    /// Queues the first `count` bytes of buffer `i` for writing; the buffer is released
    /// when written.
    func submit(_ i: Int, count: Int) {
        queue.async { [self] in
            let buffer = buffers[i]
            lock.wait()
            let failed = firstError != nil
            lock.signal()
            if !failed, count > 0 {
                do { try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) } catch {
                    lock.wait(); firstError = firstError ?? error; lock.signal()
                }
            }
            free[i].signal()
        }
    }

    /// Waits for every queued write; throws the first write error.
    func finish() throws {
        queue.sync {}
        try check()
    }
}
