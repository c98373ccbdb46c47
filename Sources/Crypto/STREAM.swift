/// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte big-endian
/// chunk counter || last-chunk flag. Work goes in batches of chunks so each read(2) and
/// write(2) moves about a mebibyte, and memory stays constant whatever the file size.
public struct STREAM {
    public static let chunkSize = 64 * 1024
    public static let tagSize = 16
    public static let sealedChunkSize = chunkSize + tagSize
    /// Chunks per batch by default: each read and write moves about a mebibyte.
    public static let defaultBatch = 16
    private let batch: Int

    private let key: SecureBytes
    private var counter: UInt64 = 0
    private var nonce = [UInt8](repeating: 0, count: 12)

    /// `key` is the 32-byte payload key, HKDF(file key, nonce, "payload").
    /// `chunksPerBatch` chunks are read, processed and written at a time. Decryption writes
    /// nothing of a batch unless every chunk in it authenticates.
    public init(key: SecureBytes, chunksPerBatch: Int = STREAM.defaultBatch) {
        precondition(key.count == 32 && chunksPerBatch >= 1)
        self.key = key
        batch = chunksPerBatch
    }

    public static func payloadKey(fileKey: SecureBytes, nonce: [UInt8]) throws -> SecureBytes {
        try HKDF.deriveKey(ikm: fileKey, salt: nonce, info: "payload")
    }

    private mutating func setNonce(index: UInt64, last: Bool) {
        var c = index.bigEndian
        withUnsafeBytes(of: &c) { b in for i in 0..<8 { nonce[3 + i] = b[i] } }
        nonce[11] = last ? 1 : 0
    }

    private mutating func nextNonce(last: Bool) throws {
        // The counter is 88 bits; 2^64 chunks is 2^80 bytes, so 64 bits cannot wrap in practice,
        // but refuse rather than reuse a nonce.
        guard counter < UInt64.max else { throw AgeError.payload("STREAM counter overflow") }
        setNonce(index: counter, last: last)
        counter += 1
    }

    /// Seals `count` plaintext bytes at `input` to `output` (count + 16 bytes).
    mutating func seal(_ input: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer, last: Bool) throws {
        precondition(count <= STREAM.chunkSize)
        try nextNonce(last: last)
        if input != UnsafeRawPointer(output) { output.copyMemory(from: input, byteCount: count) }
        try nonce.withUnsafeBytes { n in
            try key.withUnsafeBytes { k in try Sodium.chachaSealInPlace(output, count: count, nonce: n, key: k) }
        }
    }

    /// Opens the next sealed chunk in place; true when it authenticates.
    mutating func open(_ chunk: UnsafeMutableRawPointer, count: Int, last: Bool) throws -> Bool {
        precondition(count <= STREAM.sealedChunkSize)
        try nextNonce(last: last)
        return try openWithCurrentNonce(chunk, count: count)
    }

    /// Retries the chunk just tried with the other last-chunk flag, to tell a truncated
    /// stream or trailing data from a forgery.
    mutating func reopenWithOtherFlag(_ chunk: UnsafeMutableRawPointer, count: Int) throws -> Bool {
        setNonce(index: counter - 1, last: nonce[11] == 0)
        return try openWithCurrentNonce(chunk, count: count)
    }

    private func openWithCurrentNonce(_ chunk: UnsafeMutableRawPointer, count: Int) throws -> Bool {
        try nonce.withUnsafeBytes { n in
            try key.withUnsafeBytes { k in try Sodium.chachaOpenInPlace(chunk, count: count, nonce: n, key: k) }
        }
    }

    /// Encrypts all of `source` to `sink`. A payload that is a multiple of 64 KiB ends with
    /// a full last chunk; an empty payload is one empty last chunk.
    public mutating func encrypt(from source: ByteSource, to sink: ByteSink) throws {
        let plainCapacity = batch * STREAM.chunkSize + 1  // +1: look-ahead byte
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: plainCapacity, alignment: 64)
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: batch * STREAM.sealedChunkSize, alignment: 64)
        defer {
            Sodium.memzero(plain); plain.deallocate()
            sealed.deallocate()
        }
        var carried = 0
        while true {
            let n = carried + (try source.readFull(into: UnsafeMutableRawBufferPointer(rebasing: plain[carried...])))
            let atEnd = n < plainCapacity
            let available = atEnd ? n : n - 1
            var offset = 0, out = 0
            repeat {
                let count = min(STREAM.chunkSize, available - offset)
                let last = atEnd && offset + count == available
                try seal(plain.baseAddress! + offset, count: count, into: sealed.baseAddress! + out, last: last)
                offset += count
                out += count + STREAM.tagSize
            } while offset < available
            try sink.write(UnsafeRawBufferPointer(rebasing: sealed[0..<out]))
            if atEnd { return }
            plain[0] = plain[n - 1]
            carried = 1
        }
    }

    /// Decrypts all of `source` to `sink`, checking every last-chunk rule. Each chunk is
    /// written only after it is authenticated; the caller must treat the output as final
    /// only when this returns (a truncated stream throws at its end).
    public mutating func decrypt(from source: ByteSource, to sink: ByteSink) throws {
        let sealedCapacity = batch * STREAM.sealedChunkSize + 1
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: sealedCapacity, alignment: 64)
        defer { Sodium.memzero(sealed); sealed.deallocate() }
        var carried = 0
        while true {
            let n = carried + (try source.readFull(into: UnsafeMutableRawBufferPointer(rebasing: sealed[carried...])))
            let atEnd = n < sealedCapacity
            let available = atEnd ? n : n - 1
            if atEnd && available == 0 { throw AgeError.payload("the payload has no chunks") }
            var offset = 0, out = 0
            while offset < available {
                let count = min(STREAM.sealedChunkSize, available - offset)
                let last = atEnd && offset + count == available
                let chunkIndex = counter
                let p = sealed.baseAddress! + offset
                let plainCount = max(count - STREAM.tagSize, 0)
                // Authenticated plaintext so far is written out before any error, so the
                // output is the same whatever the batch size: every chunk that authenticates.
                func fail(_ why: String, including: Bool) throws -> Never {
                    if including, out != offset { (sealed.baseAddress! + out).copyMemory(from: p, byteCount: plainCount) }
                    let total = out + (including ? plainCount : 0)
                    if total > 0 { try sink.write(UnsafeRawBufferPointer(rebasing: sealed[0..<total])) }
                    throw AgeError.payload(why)
                }
                guard count >= STREAM.tagSize else { try fail("chunk \(chunkIndex) is shorter than its tag", including: false) }
                if try !open(p, count: count, last: last) {
                    // A full-size chunk may be a last chunk followed by more data, or a
                    // non-last chunk where the file was cut; say which, after writing it.
                    if count == STREAM.sealedChunkSize, try reopenWithOtherFlag(p, count: count) {
                        try fail(last ? "the file is truncated (chunk \(chunkIndex) is not marked last)"
                                      : "data follows the last chunk (\(chunkIndex))", including: true)
                    }
                    try fail("chunk \(chunkIndex) failed authentication: the file is damaged or forged", including: false)
                }
                if last && plainCount == 0 && chunkIndex != 0 {
                    try fail("the last chunk is empty but the payload is not", including: false)
                }
                // Compact plaintext to the front of the buffer, so one write covers the batch.
                if out != offset { (sealed.baseAddress! + out).copyMemory(from: p, byteCount: plainCount) }
                out += plainCount
                offset += count
            }
            if out > 0 { try sink.write(UnsafeRawBufferPointer(rebasing: sealed[0..<out])) }
            if atEnd { return }
            sealed[0] = sealed[n - 1]
            carried = 1
        }
    }
}
