import CSodium

/// The one file that talks to libsodium. Every pointer handed to C is owned here, every
/// return code is checked here, and failures come back as `SodiumError`.
///
/// The rest of the package works with `[UInt8]` for public values and `SecureBytes` for
/// secrets, and never imports CSodium.
public enum SodiumError: Error, Equatable, CustomStringConvertible {
    case initialisationFailed
    case invalidLength(what: String, expected: Int, got: Int)
    case operationFailed(String)

    public var description: String {
        switch self {
        case .initialisationFailed: return "libsodium could not be initialised"
        case let .invalidLength(what, expected, got): return "\(what): expected \(expected) bytes, got \(got)"
        case let .operationFailed(what): return "libsodium: \(what) failed"
        }
    }
}

enum Sodium {
    /// `sodium_init` is idempotent and thread-safe; a global `let` runs it once.
    private static let initialised: Bool = sodium_init() >= 0

    @inline(__always) static func ensureInitialised() {
        precondition(initialised, "libsodium could not be initialised")
    }

    // MARK: Memory

    static func memzero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }

    static func memzero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { memzero($0) }
    }

    /// Constant-time equality. Lengths are public; contents are not.
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    static func isZero(_ a: UnsafeRawBufferPointer) -> Bool {
        guard a.count > 0 else { return true }
        return sodium_is_zero(a.baseAddress!.assumingMemoryBound(to: UInt8.self), a.count) == 1
    }

    static func randomFill(_ buffer: UnsafeMutableRawBufferPointer) {
        ensureInitialised()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    // MARK: X25519

    static let x25519KeyBytes = 32

    static func x25519Base(_ scalar: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws {
        ensureInitialised()
        try expect(scalar.count, 32, "X25519 scalar")
        try expect(out.count, 32, "X25519 output")
        let rc = crypto_scalarmult_base(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                        scalar.baseAddress!.assumingMemoryBound(to: UInt8.self))
        guard rc == 0 else { throw SodiumError.operationFailed("crypto_scalarmult_base") }
    }

    /// Returns false when the shared secret is all zeros (a low-order point); libsodium
    /// checks that itself and reports it as -1.
    static func x25519(_ scalar: UnsafeRawBufferPointer, _ point: UnsafeRawBufferPointer,
                       into out: UnsafeMutableRawBufferPointer) throws -> Bool {
        ensureInitialised()
        try expect(scalar.count, 32, "X25519 scalar")
        try expect(point.count, 32, "X25519 point")
        try expect(out.count, 32, "X25519 output")
        let rc = crypto_scalarmult(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   scalar.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                   point.baseAddress!.assumingMemoryBound(to: UInt8.self))
        return rc == 0
    }

    // MARK: ChaCha20-Poly1305 (IETF, 96-bit nonce)

    static let aeadTagBytes = 16

    /// Encrypts `count` bytes at `buffer` in place and writes the 16-byte tag right after
    /// them, so `buffer` must hold `count + 16` bytes.
    static func chachaSealInPlace(_ buffer: UnsafeMutableRawPointer, count: Int,
                                  nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) throws {
        try expect(nonce.count, 12, "ChaCha20-Poly1305 nonce")
        try expect(key.count, 32, "ChaCha20-Poly1305 key")
        var written: UInt64 = 0
        let p = buffer.assumingMemoryBound(to: UInt8.self)
        let rc = crypto_aead_chacha20poly1305_ietf_encrypt(
            p, &written, p, UInt64(count), nil, 0, nil,
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
            key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        guard rc == 0, written == UInt64(count + aeadTagBytes) else {
            throw SodiumError.operationFailed("ChaCha20-Poly1305 encryption")
        }
    }

    /// Encrypts `count` bytes from `input` to `output` (which must hold `count + 16` bytes and
    /// may be the same memory): ciphertext, then the tag. Thread-safe.
    static func chachaSeal(_ input: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer,
                           nonce: UnsafeRawPointer, key: UnsafeRawPointer) {
        var written: UInt64 = 0
        _ = crypto_aead_chacha20poly1305_ietf_encrypt(
            output.assumingMemoryBound(to: UInt8.self), &written, input.assumingMemoryBound(to: UInt8.self),
            UInt64(count), nil, 0, nil, nonce.assumingMemoryBound(to: UInt8.self), key.assumingMemoryBound(to: UInt8.self))
    }

    /// Verifies `count` bytes (ciphertext and tag) at `input` and, only if they authenticate,
    /// writes the `count - 16` plaintext bytes to `output`. Thread-safe.
    static func chachaOpen(_ input: UnsafeRawPointer, count: Int, into output: UnsafeMutableRawPointer,
                           nonce: UnsafeRawPointer, key: UnsafeRawPointer) -> Bool {
        guard count >= aeadTagBytes else { return false }
        var written: UInt64 = 0
        return crypto_aead_chacha20poly1305_ietf_decrypt(
            output.assumingMemoryBound(to: UInt8.self), &written, nil, input.assumingMemoryBound(to: UInt8.self),
            UInt64(count), nil, 0, nonce.assumingMemoryBound(to: UInt8.self), key.assumingMemoryBound(to: UInt8.self)) == 0
    }

    /// Verifies and decrypts `count` bytes (ciphertext and tag) in place. On success the
    /// first `count - 16` bytes are plaintext. On failure nothing is written.
    static func chachaOpenInPlace(_ buffer: UnsafeMutableRawPointer, count: Int,
                                  nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) throws -> Bool {
        try expect(nonce.count, 12, "ChaCha20-Poly1305 nonce")
        try expect(key.count, 32, "ChaCha20-Poly1305 key")
        guard count >= aeadTagBytes else { return false }
        var written: UInt64 = 0
        let p = buffer.assumingMemoryBound(to: UInt8.self)
        let rc = crypto_aead_chacha20poly1305_ietf_decrypt(
            p, &written, nil, p, UInt64(count), nil, 0,
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
            key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        return rc == 0
    }

    // MARK: SHA-256 and HMAC-SHA-256

    static func sha256(_ data: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        ensureInitialised()
        precondition(out.count == 32)
        _ = crypto_hash_sha256(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                               data.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(data.count))
    }

    /// HMAC-SHA-256 over the concatenation of `parts`.
    static func hmacSHA256(key: UnsafeRawBufferPointer, parts: [UnsafeRawBufferPointer],
                           into out: UnsafeMutableRawBufferPointer) {
        ensureInitialised()
        precondition(out.count == 32)
        var state = crypto_auth_hmacsha256_state()
        _ = crypto_auth_hmacsha256_init(&state, key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyByte, key.count)
        for part in parts where part.count > 0 {
            _ = crypto_auth_hmacsha256_update(&state, part.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                              UInt64(part.count))
        }
        _ = crypto_auth_hmacsha256_final(&state, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        withUnsafeMutableBytes(of: &state) { memzero($0) }
    }

    /// Streaming SHA-256 (libsodium's state needs no special alignment).
    final class SHA256Stream {
        private var state = crypto_hash_sha256_state()
        init() { Sodium.ensureInitialised(); _ = crypto_hash_sha256_init(&state) }
        func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            _ = crypto_hash_sha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }
        func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBytes { _ = crypto_hash_sha256_final(&state, $0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
            return out
        }
    }

    // MARK: BLAKE2b

    /// Streaming BLAKE2b. libsodium wants the state 64-byte aligned, so it lives in its own
    /// aligned allocation, zeroed and freed by `deinit`.
    final class Blake2b {
        private let state: UnsafeMutableRawPointer
        private let stateSize: Int
        let outputLength: Int

        init(outputLength: Int) {
            Sodium.ensureInitialised()
            precondition(outputLength >= 16 && outputLength <= 64)
            self.outputLength = outputLength
            stateSize = crypto_generichash_statebytes()
            state = UnsafeMutableRawPointer.allocate(byteCount: stateSize, alignment: 64)
            _ = crypto_generichash_init(OpaquePointer(state), nil, 0, outputLength)
        }

        deinit {
            sodium_memzero(state, stateSize)
            state.deallocate()
        }

        func update(_ data: UnsafeRawBufferPointer) {
            guard let base = data.baseAddress, data.count > 0 else { return }
            _ = crypto_generichash_update(OpaquePointer(state), base.assumingMemoryBound(to: UInt8.self),
                                          UInt64(data.count))
        }

        func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: outputLength)
            out.withUnsafeMutableBufferPointer { o in
                _ = crypto_generichash_final(OpaquePointer(state), o.baseAddress!, outputLength)
            }
            return out
        }
    }

    // MARK: Ed25519

    static let ed25519PublicKeyBytes = 32
    static let ed25519SecretKeyBytes = 64
    static let ed25519SignatureBytes = 64

    static func ed25519Keypair(publicKey: UnsafeMutableRawBufferPointer, secretKey: UnsafeMutableRawBufferPointer) throws {
        ensureInitialised()
        try expect(publicKey.count, 32, "Ed25519 public key")
        try expect(secretKey.count, 64, "Ed25519 secret key")
        guard crypto_sign_keypair(publicKey.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                  secretKey.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0 else {
            throw SodiumError.operationFailed("Ed25519 key generation")
        }
    }

    static func ed25519SeedKeypair(seed: UnsafeRawBufferPointer, publicKey: UnsafeMutableRawBufferPointer,
                                   secretKey: UnsafeMutableRawBufferPointer) throws {
        ensureInitialised()
        try expect(seed.count, 32, "Ed25519 seed")
        try expect(publicKey.count, 32, "Ed25519 public key")
        try expect(secretKey.count, 64, "Ed25519 secret key")
        guard crypto_sign_seed_keypair(publicKey.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                       secretKey.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                       seed.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0 else {
            throw SodiumError.operationFailed("Ed25519 key derivation")
        }
    }

    static func ed25519PublicKey(fromSecret secretKey: UnsafeRawBufferPointer) throws -> [UInt8] {
        ensureInitialised()
        try expect(secretKey.count, 64, "Ed25519 secret key")
        var pk = [UInt8](repeating: 0, count: 32)
        let rc = pk.withUnsafeMutableBufferPointer {
            crypto_sign_ed25519_sk_to_pk($0.baseAddress!, secretKey.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw SodiumError.operationFailed("Ed25519 public key extraction") }
        return pk
    }

    static func ed25519Sign(_ message: UnsafeRawBufferPointer, secretKey: UnsafeRawBufferPointer) throws -> [UInt8] {
        ensureInitialised()
        try expect(secretKey.count, 64, "Ed25519 secret key")
        var sig = [UInt8](repeating: 0, count: 64)
        let rc = sig.withUnsafeMutableBufferPointer {
            crypto_sign_detached($0.baseAddress!, nil, message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                 UInt64(message.count), secretKey.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw SodiumError.operationFailed("Ed25519 signing") }
        return sig
    }

    static func ed25519Verify(_ signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer,
                              publicKey: UnsafeRawBufferPointer) -> Bool {
        ensureInitialised()
        guard signature.count == 64, publicKey.count == 32 else { return false }
        return crypto_sign_verify_detached(signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                           message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                           UInt64(message.count),
                                           publicKey.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
    }

    // MARK: scrypt

    /// Raw scrypt with explicit N, r, p (age).
    static func scrypt(password: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer, n: UInt64, r: UInt32,
                       p: UInt32, into out: UnsafeMutableRawBufferPointer) throws {
        ensureInitialised()
        let rc = crypto_pwhash_scryptsalsa208sha256_ll(
            password.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyByte, password.count,
            salt.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyByte, salt.count,
            n, r, p, out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count)
        guard rc == 0 else { throw SodiumError.operationFailed("scrypt (out of memory?)") }
    }

    /// scrypt from libsodium's opslimit/memlimit parameters (minisign).
    static func scryptLimits(password: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer, opslimit: UInt64,
                             memlimit: UInt64, into out: UnsafeMutableRawBufferPointer) throws {
        ensureInitialised()
        try expect(salt.count, Int(crypto_pwhash_scryptsalsa208sha256_saltbytes()), "scrypt salt")
        guard memlimit <= UInt64(Int.max) else { throw SodiumError.operationFailed("scrypt memlimit") }
        let rc = password.withMemoryRebound(to: CChar.self) { pw in
            crypto_pwhash_scryptsalsa208sha256(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(out.count),
                pw.baseAddress ?? emptyChar, UInt64(pw.count),
                salt.baseAddress!.assumingMemoryBound(to: UInt8.self), opslimit, Int(memlimit))
        }
        guard rc == 0 else { throw SodiumError.operationFailed("scrypt (out of memory?)") }
    }

    // MARK: Base64 (strict)

    enum Base64Variant { case padded, unpadded }

    private static func variant(_ v: Base64Variant) -> Int32 {
        switch v {
        case .padded: return att_base64_variant_original()
        case .unpadded: return att_base64_variant_original_no_padding()
        }
    }

    static func base64Encode(_ data: UnsafeRawBufferPointer, _ v: Base64Variant) -> String {
        let n = Int(sodium_base64_encoded_len(data.count, variant(v)))
        var out = [CChar](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { o in
            _ = sodium_bin2base64(o.baseAddress!, n, data.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                  data.count, variant(v))
        }
        return String(decoding: out.prefix(n - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Strict decoding: canonical only (no stray bits, padding exactly as the variant wants),
    /// no whitespace, nothing left over. Returns nil on any deviation.
    static func base64Decode(_ text: UnsafeRawBufferPointer, _ v: Base64Variant) -> [UInt8]? {
        // libsodium 1.0.18 reads the input as signed char and decodes every byte from 0x80
        // to 0xFF as '/', so check the alphabet here first. '=' is left to libsodium, which
        // accepts it only as final padding of the padded variant.
        for c in text {
            let ok = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || c == 0x2B || c == 0x2F || (c == 0x3D && v == .padded)
            guard ok else { return nil }
        }
        let capacity = text.count / 4 * 3 + 3
        var out = [UInt8](repeating: 0, count: capacity)
        var written = 0
        // A NULL end pointer makes libsodium fail on anything it does not consume (trailing
        // bytes, padding where the variant has none); with an end pointer it would stop early.
        let rc = text.withMemoryRebound(to: CChar.self) { t in
            out.withUnsafeMutableBufferPointer { o in
                sodium_base642bin(o.baseAddress!, capacity, t.baseAddress ?? emptyChar, t.count, nil,
                                  &written, nil, variant(v))
            }
        }
        guard rc == 0 else { return nil }
        out.removeLast(capacity - written)
        return out
    }

    // MARK: Helpers

    private static func expect(_ got: Int, _ expected: Int, _ what: String) throws {
        guard got == expected else { throw SodiumError.invalidLength(what: what, expected: expected, got: got) }
    }

    private nonisolated(unsafe) static let emptyByteStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private static var emptyByte: UnsafePointer<UInt8> { UnsafePointer(emptyByteStorage) }
    private static var emptyChar: UnsafePointer<CChar> { UnsafeRawPointer(emptyByteStorage).assumingMemoryBound(to: CChar.self) }
}
