/// Hash functions and HKDF, built on libsodium's primitives.
public enum SHA256 {
    public static func hash<D: BorrowableBytes>(_ data: D) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBytes { d in out.withUnsafeMutableBytes { Sodium.sha256(d, into: $0) } }
        return out
    }
}

/// Streaming SHA-256, for hashing uploads and files as they pass.
public final class SHA256Hasher {
    private let state = Sodium.SHA256Stream()
    public init() {}
    public func update(_ data: UnsafeRawBufferPointer) { state.update(data) }
    public func update<D: BorrowableBytes>(_ data: D) { data.withUnsafeBytes { state.update($0) } }
    public func finalize() -> [UInt8] { state.finalize() }
}

public enum HMACSHA256 {
    public static func authenticate(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { Sodium.hmacSHA256(key: key, parts: [message], into: $0) }
        return out
    }
}

/// Streaming BLAKE2b (minisign's prehash is BLAKE2b-512; its checksum BLAKE2b-256).
public final class BLAKE2b {
    private let state: Sodium.Blake2b
    public init(outputLength: Int = 64) { state = Sodium.Blake2b(outputLength: outputLength) }
    public func update(_ data: UnsafeRawBufferPointer) { state.update(data) }
    public func update<D: BorrowableBytes>(_ data: D) { data.withUnsafeBytes { state.update($0) } }
    public func finalize() -> [UInt8] { state.finalize() }

    public static func hash<D: BorrowableBytes>(_ data: D, outputLength: Int = 64) -> [UInt8] {
        let h = BLAKE2b(outputLength: outputLength)
        h.update(data)
        return h.finalize()
    }
}

/// HKDF-SHA-256 (RFC 5869). libsodium 1.0.18 has HMAC-SHA-256 but no HKDF.
public enum HKDF {
    public enum Error: Swift.Error, Equatable { case outputTooLong(Int) }

    /// Extract then expand. The output is a secret, so it comes back as `SecureBytes`.
    public static func deriveKey(ikm: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer,
                                 info: UnsafeRawBufferPointer, length: Int) throws -> SecureBytes {
        guard length > 0, length <= 255 * 32 else { throw Error.outputTooLong(length) }
        // Extract: PRK = HMAC(salt, IKM); an empty salt means 32 zero bytes (RFC 5869 §2.2),
        // which HMAC pads to the same block as an empty key anyway.
        let prk = SecureBytes(count: 32)
        prk.withUnsafeMutableBytes { p in Sodium.hmacSHA256(key: salt, parts: [ikm], into: p) }
        // Expand: T(i) = HMAC(PRK, T(i-1) || info || i)
        let okm = SecureBytes(count: length)
        let t = SecureBytes(count: 32)
        var produced = 0
        var counter: UInt8 = 1
        prk.withUnsafeBytes { prkBytes in
            t.withUnsafeMutableBytes { tBytes in
                okm.withUnsafeMutableBytes { out in
                    while produced < length {
                        let previous = UnsafeRawBufferPointer(rebasing: tBytes[0..<(counter == 1 ? 0 : 32)])
                        withUnsafeBytes(of: counter) { c in
                            var block = [UInt8](repeating: 0, count: 32)
                            block.withUnsafeMutableBytes { b in
                                Sodium.hmacSHA256(key: prkBytes, parts: [previous, info, c], into: b)
                                tBytes.copyMemory(from: UnsafeRawBufferPointer(b))
                            }
                            Sodium.memzero(&block)
                        }
                        let n = min(32, length - produced)
                        (out.baseAddress! + produced).copyMemory(from: tBytes.baseAddress!, byteCount: n)
                        produced += n
                        counter &+= 1
                    }
                }
            }
        }
        return okm
    }

    public static func deriveKey(ikm: SecureBytes, salt: [UInt8], info: String, length: Int = 32) throws -> SecureBytes {
        try ikm.withUnsafeBytes { k in
            try salt.withUnsafeBytes { s in
                try Array(info.utf8).withUnsafeBytes { i in try deriveKey(ikm: k, salt: s, info: i, length: length) }
            }
        }
    }
}

/// Anything whose bytes can be borrowed contiguously.
public protocol BorrowableBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
extension Array: BorrowableBytes where Element == UInt8 {}
extension ArraySlice: BorrowableBytes where Element == UInt8 {}

/// Lower-case hexadecimal, two digits a byte (for digests shown to people and in manifests).
public func hexString<D: BorrowableBytes>(_ bytes: D) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return bytes.withUnsafeBytes { b in
        var out = [UInt8]()
        out.reserveCapacity(b.count * 2)
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Decodes lower-case hexadecimal (the form `hexString` writes); nil for anything else.
public func decodeLowerHex(_ text: String) -> [UInt8]? {
    let b = Array(text.utf8)
    guard b.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(b.count / 2)
    for i in stride(from: 0, to: b.count, by: 2) {
        guard let hi = nibble(b[i]), let lo = nibble(b[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
    }
    return out
}
