/// A fixed-size heap buffer for secrets (file keys, identities, passphrases, signing keys).
///
/// It is zeroed with `sodium_memzero` when it is released, never grows (so no stale copy
/// is left behind by a reallocation), and has no `description` that could leak into logs.
public final class SecureBytes: @unchecked Sendable {
    // @unchecked: the buffer is written only during initialisation and by `withUnsafeMutableBytes`,
    // which callers use before sharing the value.
    private let storage: UnsafeMutableRawBufferPointer

    private let countOverride: Int
    public var count: Int { countOverride }

    /// `count` zero bytes.
    public init(count: Int) {
        precondition(count >= 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        storage = buffer
        countOverride = count
    }

    /// Copies `bytes`, and zeroes the caller's array.
    public convenience init(consuming bytes: inout [UInt8]) {
        self.init(count: bytes.count)
        bytes.withUnsafeBytes { src in
            if src.count > 0 { storage.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
        Sodium.memzero(&bytes)
    }

    /// Copies `bytes` (for values that are not secret in the caller, e.g. test vectors).
    public convenience init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        self.init(count: bytes.count)
        var i = 0
        for b in bytes { storage[i] = b; i += 1 }
    }

    /// Random bytes from libsodium's CSPRNG.
    public static func random(count: Int) -> SecureBytes {
        let s = SecureBytes(count: count)
        s.withUnsafeMutableBytes { Sodium.randomFill($0) }
        return s
    }

    deinit {
        Sodium.memzero(storage)
        storage.deallocate()
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<countOverride]))
    }

    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<countOverride]))
    }

    /// Constant-time comparison.
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in Sodium.constantTimeEqual(a, b) } }
    }

    /// A copy of a sub-range, itself a SecureBytes.
    public func slice(_ range: Range<Int>) -> SecureBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= countOverride)
        let s = SecureBytes(count: range.count)
        s.withUnsafeMutableBytes { dst in
            withUnsafeBytes { src in
                if range.count > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress! + range.lowerBound, byteCount: range.count) }
            }
        }
        return s
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
}

/// Constant-time comparison of two byte arrays whose lengths are public.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in Sodium.constantTimeEqual(x, y) } }
}

/// Zeroes an array in place with `sodium_memzero`.
public func secureZero(_ bytes: inout [UInt8]) { Sodium.memzero(&bytes) }

/// `count` bytes from libsodium's CSPRNG (for public randomness: nonces, salts, ids).
public func randomBytes(_ count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { Sodium.randomFill($0) }
    return out
}
