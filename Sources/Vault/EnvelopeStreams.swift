import Crypto
import Dispatch

// MARK: - Streaming helpers

/// BLAKE2b-512 computed on a serial background queue: `update` copies the bytes into one
/// of a few 1 MiB buffers and returns, so hashing overlaps the caller's next step
/// (encryption, decryption, I/O). `update` must be called from one thread at a time.
final class BackgroundHasher: @unchecked Sendable {
    // @unchecked: `hasher` is used only on `queue` (and by finalize after draining it);
    // each buffer is owned either by the producer or by the queue, handed over by `free`.
    private let queue = DispatchQueue(label: "att-report.envelope-hash")
    private let hasher = BLAKE2b(outputLength: 64)
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let free: [DispatchSemaphore]
    private var current = 0
    private var fill = 0
    private var result: [UInt8]?

    init(bufferSize: Int = 1 << 20, count: Int = 3) {
        buffers = (0..<count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64) }
        // Created at 0 and signalled once: libdispatch traps when a semaphore is freed with
        // a value below its initial one, which an abandoned hasher (an error while sealing)
        // would otherwise do.
        free = (0..<count).map { _ in let s = DispatchSemaphore(value: 0); s.signal(); return s }
    }

    deinit {
        queue.sync {}
        for b in buffers { b.deallocate() }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(result == nil, "update after finalize")
        var done = 0
        while done < bytes.count {
            if fill == 0 { free[current].wait() }
            let n = min(bytes.count - done, buffers[current].count - fill)
            (buffers[current].baseAddress! + fill).copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            fill += n
            done += n
            if fill == buffers[current].count { submit() }
        }
    }

    private func submit() {
        let i = current, n = fill
        queue.async { [self] in
            hasher.update(UnsafeRawBufferPointer(rebasing: buffers[i][0..<n]))
            free[i].signal()
        }
        current = (current + 1) % buffers.count
        fill = 0
    }

    /// The digest of everything given to `update`. Idempotent.
    func finalize() -> [UInt8] {
        if let result { return result }
        if fill > 0 { submit() }
        queue.sync {}
        let digest = hasher.finalize()
        result = digest
        return digest
    }
}

/// Passes bytes on to a sink, hashing and counting them.
final class HashingSink: ByteSink {
    private let inner: ByteSink
    private let hasher: BackgroundHasher
    private(set) var count: UInt64 = 0

    init(_ inner: ByteSink, hasher: BackgroundHasher) { self.inner = inner; self.hasher = hasher }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        count += UInt64(bytes.count)
        try inner.write(bytes)
    }
}

/// Reads from a source, hashing and counting what it reads.
final class HashingSource: ByteSource {
    private let inner: ByteSource
    private let hasher: BackgroundHasher
    private(set) var count: UInt64 = 0

    init(_ inner: ByteSource, hasher: BackgroundHasher) { self.inner = inner; self.hasher = hasher }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += UInt64(n)
        }
        return n
    }

    /// Reads (and hashes) the rest of the input.
    func drain() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while try read(into: buffer) > 0 {}
    }
}

/// Forwards to a sink until it throws; then keeps the error and drops the rest, so the
/// stream feeding it (age decryption) runs to its end and reports its own errors first.
final class FirstErrorSink: ByteSink {
    private let inner: ByteSink
    private(set) var error: Error?

    init(_ inner: ByteSink) { self.inner = inner }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard error == nil else { return }
        do { try inner.write(bytes) } catch { self.error = error }
    }
}
