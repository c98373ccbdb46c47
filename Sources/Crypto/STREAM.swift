#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte big-endian
/// chunk counter || last-chunk flag.
///
/// Chunks are independent given their index, so work goes in batches: a batch is read, its
/// chunks are sealed or opened on all cores, and it is handed to a writer thread while the
/// next batch is read. Memory stays constant whatever the file size (three batch buffers).
public struct STREAM {
    public static let chunkSize = 64 * 1024
    public static let tagSize = 16
    public static let sealedChunkSize = chunkSize + tagSize
    /// Chunks per batch by default: 2 MiB per read and write.
    public static let defaultBatch = 32

    private let key: SecureBytes
    private let batch: Int
    private var counter: UInt64 = 0

    /// `key` is the 32-byte payload key, HKDF(file key, nonce, "payload"). `chunksPerBatch`
    /// chunks are read, processed and written at a time; decryption writes exactly the
    /// chunks that authenticated, in order, whatever the batch size.
    public init(key: SecureBytes, chunksPerBatch: Int = STREAM.defaultBatch) {
        precondition(key.count == 32 && chunksPerBatch >= 1)
        self.key = key
        batch = chunksPerBatch
    }

    public static func payloadKey(fileKey: SecureBytes, nonce: [UInt8]) throws -> SecureBytes {
        try HKDF.deriveKey(ikm: fileKey, salt: nonce, info: "payload")
    }

    static let workers: Int = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    /// Runs `body` with the 12-byte nonce of chunk `index`: three zero bytes (the counter is
    /// 88 bits; ours never exceeds 64), the big-endian index, and the last-chunk flag.
    @inline(__always)
    static func withNonce<R>(_ index: UInt64, last: Bool, _ body: (UnsafeRawPointer) -> R) -> R {
        var n: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, UInt8(truncatingIfNeeded: index >> 56), UInt8(truncatingIfNeeded: index >> 48),
             UInt8(truncatingIfNeeded: index >> 40), UInt8(truncatingIfNeeded: index >> 32),
             UInt8(truncatingIfNeeded: index >> 24), UInt8(truncatingIfNeeded: index >> 16),
             UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index), last ? 1 : 0)
        return withUnsafeBytes(of: &n) { body($0.baseAddress!) }
    }

    /// Runs `body(i)` for i in 0..<count on all cores.
    static func parallel(_ count: Int, _ body: (Int) -> Void) {
        let w = min(workers, count)
        if w <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: w) { worker in
                var i = worker
                while i < count { box.value(i); i += w }
            }
        }
    }

    // MARK: Encryption

    /// Encrypts all of `source` to `sink`. A payload that is a multiple of 64 KiB ends with
    /// a full last chunk; an empty payload is one empty last chunk.
    public mutating func encrypt(from source: ByteSource, to sink: ByteSink) throws {
        let plainCapacity = batch * STREAM.chunkSize + 1  // +1: look-ahead byte
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: plainCapacity, alignment: 64)
        defer { Sodium.memzero(plain); plain.deallocate() }
        let writer = PipelinedWriter(sink: sink, bufferSize: batch * STREAM.sealedChunkSize)
        var carried = 0
        var which = 0
        do {
            while true {
                let n = carried + (try source.readFull(into: UnsafeMutableRawBufferPointer(rebasing: plain[carried...])))
                let atEnd = n < plainCapacity
                let available = atEnd ? n : n - 1
                let chunks = max(1, (available + STREAM.chunkSize - 1) / STREAM.chunkSize)
                guard counter <= UInt64.max - UInt64(chunks) else { throw AgeError.payload("STREAM counter overflow") }
                let sealed = try writer.acquire(which)
                let first = counter
                key.withUnsafeBytes { k in
                    let keyPointer = UncheckedSendable(k.baseAddress!)
                    let input = UncheckedSendable(UnsafeRawPointer(plain.baseAddress!))
                    let output = UncheckedSendable(sealed.baseAddress!)
                    STREAM.parallel(chunks) { c in
                        let offset = c * STREAM.chunkSize
                        let count = min(STREAM.chunkSize, available - offset)
                        let last = atEnd && c == chunks - 1
                        STREAM.withNonce(first + UInt64(c), last: last) { nonce in
                            Sodium.chachaSeal(input.value + offset, count: count, into: output.value + c * STREAM.sealedChunkSize,
                                              nonce: nonce, key: keyPointer.value)
                        }
                    }
                }
                counter += UInt64(chunks)
                writer.submit(which, count: available + chunks * STREAM.tagSize)
                which ^= 1
                if atEnd { break }
                plain[0] = plain[n - 1]
                carried = 1
            }
            try writer.finish()
        } catch {
            try? writer.finish()
            throw error
        }
    }

    // MARK: Decryption

    /// Decrypts all of `source` to `sink`, checking every last-chunk rule. Exactly the
    /// chunks that authenticate reach `sink`, in order; the output is final only when this
    /// returns (a truncated stream throws at its end).
    public mutating func decrypt(from source: ByteSource, to sink: ByteSink) throws {
        let sealedCapacity = batch * STREAM.sealedChunkSize + 1
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: sealedCapacity, alignment: 64)
        defer { sealed.deallocate() }
        let writer = PipelinedWriter(sink: sink, bufferSize: batch * STREAM.chunkSize)
        var carried = 0
        var which = 0
        let ok = UnsafeMutableBufferPointer<Bool>.allocate(capacity: batch)
        defer { ok.deallocate() }
        do {
            while true {
                let n = carried + (try source.readFull(into: UnsafeMutableRawBufferPointer(rebasing: sealed[carried...])))
                let atEnd = n < sealedCapacity
                let available = atEnd ? n : n - 1
                if atEnd && available == 0 { throw AgeError.payload("the payload has no chunks") }
                let chunks = (available + STREAM.sealedChunkSize - 1) / STREAM.sealedChunkSize
                guard counter <= UInt64.max - UInt64(chunks) else { throw AgeError.payload("STREAM counter overflow") }
                let plain = try writer.acquire(which)
                let first = counter
                key.withUnsafeBytes { k in
                    let keyPointer = UncheckedSendable(k.baseAddress!)
                    let input = UncheckedSendable(UnsafeRawPointer(sealed.baseAddress!))
                    let output = UncheckedSendable(plain.baseAddress!)
                    let results = UncheckedSendable(ok)
                    STREAM.parallel(chunks) { c in
                        let offset = c * STREAM.sealedChunkSize
                        let count = min(STREAM.sealedChunkSize, available - offset)
                        let last = atEnd && c == chunks - 1
                        results.value[c] = STREAM.withNonce(first + UInt64(c), last: last) { nonce in
                            Sodium.chachaOpen(input.value + offset, count: count, into: output.value + c * STREAM.chunkSize,
                                              nonce: nonce, key: keyPointer.value)
                        }
                    }
                }
                // In order: every rule is checked, and on a failure the authenticated
                // chunks before it are still written, then the error is thrown.
                var good = 0  // plaintext bytes that may be written
                for c in 0..<chunks {
                    let index = first + UInt64(c)
                    let offset = c * STREAM.sealedChunkSize
                    let count = min(STREAM.sealedChunkSize, available - offset)
                    let last = atEnd && c == chunks - 1
                    func fail(_ why: String) throws -> Never {
                        writer.submit(which, count: good)
                        try writer.finish()
                        throw AgeError.payload(why)
                    }
                    guard count >= STREAM.tagSize else { try fail("chunk \(index) is shorter than its tag") }
                    if !ok[c] {
                        // A full-size chunk may be a last chunk followed by more data, or a
                        // non-last chunk where the file was cut; say which, after writing it.
                        if count == STREAM.sealedChunkSize {
                            let reopened = key.withUnsafeBytes { k in
                                STREAM.withNonce(index, last: !last) { nonce in
                                    Sodium.chachaOpen(sealed.baseAddress! + offset, count: count, into: plain.baseAddress! + c * STREAM.chunkSize,
                                                      nonce: nonce, key: k.baseAddress!)
                                }
                            }
                            if reopened {
                                good += count - STREAM.tagSize
                                try fail(last ? "the file is truncated (chunk \(index) is not marked last)"
                                              : "data follows the last chunk (\(index))")
                            }
                        }
                        try fail("chunk \(index) failed authentication: the file is damaged or forged")
                    }
                    if last && count == STREAM.tagSize && index != 0 {
                        try fail("the last chunk is empty but the payload is not")
                    }
                    good += count - STREAM.tagSize
                }
                counter += UInt64(chunks)
                writer.submit(which, count: good)
                which ^= 1
                if atEnd { break }
                sealed[0] = sealed[n - 1]
                carried = 1
            }
            try writer.finish()
        } catch {
            try? writer.finish()
            throw error
        }
    }
}

/// Carries a non-Sendable value (a pointer into a buffer that one batch owns) into
/// `concurrentPerform`. Each worker touches disjoint chunks of it.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
