/// minisign public and secret keys, byte-compatible with minisign 0.11.
///
/// Public key: `untrusted comment: …` then base64("Ed" || key id (8) || Ed25519 pk (32)).
/// Secret key: `untrusted comment: …` then base64 of 158 bytes:
/// "Ed" || kdf ("Sc" or 00 00) || "B2" || salt (32) || opslimit (u64 LE) || memlimit (u64 LE)
/// || [key id (8) || Ed25519 sk (64) || BLAKE2b-256("Ed" || key id || sk) (32)], the
/// bracket XORed with scrypt(passphrase, salt, opslimit, memlimit) when encrypted.
public enum Minisign {
    static let sigAlg: [UInt8] = Array("Ed".utf8)
    static let prehashedAlg: [UInt8] = Array("ED".utf8)
    static let kdfScrypt: [UInt8] = Array("Sc".utf8)
    static let kdfNone: [UInt8] = [0, 0]
    static let chkAlg: [UInt8] = Array("B2".utf8)
    public static let opslimit: UInt64 = 33_554_432       // libsodium's scryptsalsa208sha256 SENSITIVE
    public static let memlimit: UInt64 = 1_073_741_824    // 1 GiB, as minisign
    /// Refuse key files asking for more than this (a hostile file could exhaust memory).
    static let maxMemlimit: UInt64 = 2 << 30
    static let maxOpslimit: UInt64 = 4_294_967_295
    public static let commentPrefix = "untrusted comment: "
    public static let trustedPrefix = "trusted comment: "
    /// Longest comment texts minisign 0.11 reads: its COMMENTMAXBYTES (1024) and
    /// TRUSTEDCOMMENTMAXBYTES (8192) line buffers, less prefix, newline and NUL.
    public static let maxCommentBytes = 1003
    public static let maxTrustedCommentBytes = 8173

    /// The key id as minisign prints it: the 8 bytes as a little-endian u64, upper-case hex.
    public static func keyIDString(_ id: [UInt8]) -> String {
        id.reversed().map { b in let s = String(b, radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }.joined()
    }

    /// Splits a small text file into lines, accepting LF or CRLF, ignoring a final newline.
    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var out = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> [UInt8] in
            var l = Array(line)
            if l.last == 0x0D { l.removeLast() }
            return l
        }
        if out.last?.isEmpty == true { out.removeLast() }  // the final newline; blank lines after it are refused
        return out
    }

    static func checkComment(_ s: String, max: Int) throws {
        let b = Array(s.utf8)
        guard b.count <= max else { throw MinisignError.invalidComment("longer than \(max) bytes") }
        guard !b.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
            throw MinisignError.invalidComment("contains a line break or NUL")
        }
    }
}

public struct MinisignPublicKey: Equatable, Sendable {
    public let keyID: [UInt8]
    public let publicKey: [UInt8]

    public init(keyID: [UInt8], publicKey: [UInt8]) {
        precondition(keyID.count == 8 && publicKey.count == 32)
        self.keyID = keyID; self.publicKey = publicKey
    }

    public var keyIDString: String { Minisign.keyIDString(keyID) }

    /// The base64 line alone (what `minisign -P` takes).
    public var base64: String { Base64.encode(Minisign.sigAlg + keyID + publicKey, padded: true) }

    public func encodeFile() -> String {
        "\(Minisign.commentPrefix)minisign public key \(keyIDString)\n\(base64)\n"
    }

    /// Parses a public key file: an untrusted comment line and the key line.
    public init(parsing bytes: [UInt8]) throws {
        let lines = Minisign.lines(bytes)
        guard lines.count == 2 else { throw MinisignError.malformedPublicKey("expected a comment line and a key line") }
        guard lines[0].starts(with: Minisign.commentPrefix.utf8) else {
            throw MinisignError.malformedPublicKey("first line is not an untrusted comment")
        }
        guard lines[0].count <= Minisign.commentPrefix.utf8.count + Minisign.maxCommentBytes else {
            throw MinisignError.malformedPublicKey("comment is too long")
        }
        try self.init(keyLine: lines[1])
    }

    /// Parses the key line alone (what `minisign -P` takes).
    public init(base64 text: String) throws { try self.init(keyLine: Array(text.utf8)) }

    private init(keyLine: [UInt8]) throws {
        guard let raw = Base64.decode(keyLine, padded: true), raw.count == 42 else {
            throw MinisignError.malformedPublicKey("key line is not base64 of 42 bytes")
        }
        guard Array(raw[0..<2]) == Minisign.sigAlg else { throw MinisignError.unsupportedAlgorithm("public key type is not Ed") }
        keyID = Array(raw[2..<10]); publicKey = Array(raw[10..<42])
    }

    public init(parsing text: String) throws { try self.init(parsing: Array(text.utf8)) }
}

/// A decrypted minisign secret key. The Ed25519 secret lives in `SecureBytes`.
public final class MinisignSecretKey: @unchecked Sendable {
    // @unchecked: immutable after init.
    public let keyID: [UInt8]
    let secretKey: SecureBytes
    public let publicKey: MinisignPublicKey

    init(keyID: [UInt8], secretKey: SecureBytes) throws {
        self.keyID = keyID
        self.secretKey = secretKey
        let pk = try secretKey.withUnsafeBytes { try Sodium.ed25519PublicKey(fromSecret: $0) }
        publicKey = MinisignPublicKey(keyID: keyID, publicKey: pk)
    }

    /// A new random key pair with a random key id.
    public static func generate() throws -> MinisignSecretKey {
        var pk = [UInt8](repeating: 0, count: 32)
        let sk = SecureBytes(count: 64)
        try pk.withUnsafeMutableBytes { p in try sk.withUnsafeMutableBytes { try Sodium.ed25519Keypair(publicKey: p, secretKey: $0) } }
        return try MinisignSecretKey(keyID: randomBytes(8), secretKey: sk)
    }

    /// A key pair from a 32-byte seed (deterministic; for tests and derived keys).
    public static func fromSeed(_ seed: SecureBytes, keyID: [UInt8]) throws -> MinisignSecretKey {
        var pk = [UInt8](repeating: 0, count: 32)
        let sk = SecureBytes(count: 64)
        try seed.withUnsafeBytes { s in
            try pk.withUnsafeMutableBytes { p in try sk.withUnsafeMutableBytes { try Sodium.ed25519SeedKeypair(seed: s, publicKey: p, secretKey: $0) } }
        }
        return try MinisignSecretKey(keyID: keyID, secretKey: sk)
    }

    private func checksum() -> [UInt8] {
        let h = BLAKE2b(outputLength: 32)
        h.update(Minisign.sigAlg)
        h.update(keyID)
        secretKey.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    /// The secret key file. With a passphrase, the key is scrypt-encrypted (minisign's
    /// default); without one it is stored in the clear as `minisign -W` does.
    public func encodeFile(passphrase: SecureBytes?, opslimit: UInt64 = Minisign.opslimit,
                           memlimit: UInt64 = Minisign.memlimit) throws -> String {
        let payload = SecureBytes(count: 104)
        let salt: [UInt8]
        payload.withUnsafeMutableBytes { p in
            keyID.withUnsafeBytes { p.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 8) }
            secretKey.withUnsafeBytes { (p.baseAddress! + 8).copyMemory(from: $0.baseAddress!, byteCount: 64) }
        }
        var header = Minisign.sigAlg
        if let passphrase {
            salt = randomBytes(32)
            let sum = checksum()
            payload.withUnsafeMutableBytes { p in sum.withUnsafeBytes { (p.baseAddress! + 72).copyMemory(from: $0.baseAddress!, byteCount: 32) } }
            try MinisignSecretKey.xorStream(payload, passphrase: passphrase, salt: salt, opslimit: opslimit, memlimit: memlimit)
            header += Minisign.kdfScrypt + Minisign.chkAlg + salt + le64(opslimit) + le64(memlimit)
        } else {
            // minisign -W writes zero salt, limits and checksum.
            header += Minisign.kdfNone + Minisign.chkAlg + [UInt8](repeating: 0, count: 48)
        }
        let all = SecureBytes(count: header.count + 104)
        all.withUnsafeMutableBytes { a in
            header.withUnsafeBytes { a.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            payload.withUnsafeBytes { (a.baseAddress! + header.count).copyMemory(from: $0.baseAddress!, byteCount: 104) }
        }
        let b64 = all.withUnsafeBytes { Sodium.base64Encode($0, .padded) }
        return "\(Minisign.commentPrefix)minisign encrypted secret key\n\(b64)\n"
    }

    /// True when the key file is scrypt-encrypted (so a passphrase is needed).
    public static func isEncrypted(_ bytes: [UInt8]) throws -> Bool {
        let raw = try decodeFile(bytes)
        return Array(raw.slice(2..<4).withUnsafeBytes { Array($0) }) == Minisign.kdfScrypt
    }

    static func decodeFile(_ bytes: [UInt8]) throws -> SecureBytes {
        let lines = Minisign.lines(bytes)
        guard lines.count == 2, lines[0].starts(with: Minisign.commentPrefix.utf8) else {
            throw MinisignError.malformedSecretKey("expected a comment line and a key line")
        }
        guard var raw = Base64.decode(lines[1], padded: true) else { throw MinisignError.malformedSecretKey("key line is not base64") }
        guard raw.count == 158 else { Sodium.memzero(&raw); throw MinisignError.malformedSecretKey("key is \(raw.count) bytes, not 158") }
        return SecureBytes(consuming: &raw)
    }

    /// Parses and, if needed, decrypts a secret key file. `passphrase` is called only when
    /// the key is encrypted.
    public static func load(_ bytes: [UInt8], passphrase: () throws -> SecureBytes) throws -> MinisignSecretKey {
        let raw = try decodeFile(bytes)
        let head = raw.withUnsafeBytes { Array($0[0..<54]) }
        guard Array(head[0..<2]) == Minisign.sigAlg else { throw MinisignError.unsupportedAlgorithm("secret key type is not Ed") }
        guard Array(head[4..<6]) == Minisign.chkAlg else { throw MinisignError.unsupportedAlgorithm("checksum is not BLAKE2b") }
        let kdf = Array(head[2..<4])
        let payload = raw.slice(54..<158)
        let encrypted: Bool
        if kdf == Minisign.kdfScrypt {
            let salt = Array(head[6..<38])
            let ops = readLE64(head[38..<46]), mem = readLE64(head[46..<54])
            guard ops <= Minisign.maxOpslimit, mem <= Minisign.maxMemlimit else {
                throw MinisignError.malformedSecretKey("scrypt limits are over what we accept")
            }
            try xorStream(payload, passphrase: try passphrase(), salt: salt, opslimit: ops, memlimit: mem)
            encrypted = true
        } else if kdf == Minisign.kdfNone {
            encrypted = false
        } else {
            throw MinisignError.unsupportedAlgorithm("key derivation is neither scrypt nor none")
        }
        let keyID = payload.withUnsafeBytes { Array($0[0..<8]) }
        let key = try MinisignSecretKey(keyID: keyID, secretKey: payload.slice(8..<72))
        let stored = payload.slice(72..<104)
        let storedIsZero = stored.withUnsafeBytes { Sodium.isZero($0) }
        // minisign leaves the checksum zero in unencrypted (-W) keys; check it when present.
        if encrypted || !storedIsZero {
            let expected = SecureBytes(copying: key.checksum())
            guard expected.constantTimeEquals(stored) else {
                throw encrypted ? MinisignError.wrongPassphrase : MinisignError.malformedSecretKey("checksum mismatch")
            }
        }
        // The Ed25519 secret key is seed || public key. If the halves disagree, every
        // signature is made with the wrong public key and verifies under no key (found by
        // fuzzing: fuzz/regressions/minisign-seckey).
        var derived = [UInt8](repeating: 0, count: 32)
        let scratch = SecureBytes(count: 64)
        try key.secretKey.withUnsafeBytes { sk in
            try derived.withUnsafeMutableBytes { p in
                try scratch.withUnsafeMutableBytes { try Sodium.ed25519SeedKeypair(seed: UnsafeRawBufferPointer(rebasing: sk[0..<32]), publicKey: p, secretKey: $0) }
            }
        }
        guard derived == key.publicKey.publicKey else {
            throw MinisignError.malformedSecretKey("the public key stored in the secret key does not match its seed")
        }
        return key
    }

    static func xorStream(_ payload: SecureBytes, passphrase: SecureBytes, salt: [UInt8], opslimit: UInt64, memlimit: UInt64) throws {
        let stream = SecureBytes(count: payload.count)
        try passphrase.withUnsafeBytes { p in
            try salt.withUnsafeBytes { s in
                try stream.withUnsafeMutableBytes { try Sodium.scryptLimits(password: p, salt: s, opslimit: opslimit, memlimit: memlimit, into: $0) }
            }
        }
        payload.withUnsafeMutableBytes { d in stream.withUnsafeBytes { s in for i in 0..<d.count { d[i] ^= s[i] } } }
    }
}

func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
func readLE64<C: Collection>(_ b: C) -> UInt64 where C.Element == UInt8 {
    b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
}
