/// Keys for C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-cosignature), in the
/// text encodings of golang.org/x/mod/sumdb/note:
///
///     verifier key:  <name>+<key id, 8 lowercase hex>+base64(type || public key)
///     signer key:    PRIVATE+KEY+<name>+<key id, 8 lowercase hex>+base64(type || seed)
///
/// where key id = SHA-256(name || 0x0A || type || public key)[:4], big-endian, and base64
/// is RFC 4648 §4 with padding. Two signature types are implemented: 0x01 (Ed25519 over
/// the note text) and 0x04 (timestamped Ed25519 cosignature/v1 over a checkpoint).

/// The signature types att-report implements. Others (0x02 ECDSA, 0x05 RFC 6962 STH,
/// 0x06 ML-DSA-44, …) are refused in keys; their signatures in notes are simply unknown.
public enum NoteSignatureType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Ed25519 (RFC 8032) over the note text.
    case ed25519 = 0x01
    /// c2sp.org/tlog-cosignature Ed25519 cosignature/v1: a big-endian u64 timestamp and an
    /// Ed25519 signature over `cosignature/v1\ntime <t>\n` || checkpoint text.
    case cosignatureV1 = 0x04

    public var description: String {
        switch self {
        case .ed25519: return "Ed25519"
        case .cosignatureV1: return "cosignature/v1 Ed25519"
        }
    }
}

/// Why a note key, a signed note or a signing request was refused. Closed: every function
/// in NoteKeys.swift and SignedNote.swift throws only this.
public enum NoteError: Error, Equatable, Sendable, CustomStringConvertible {
    // Keys
    /// A key name that is empty or contains whitespace, `+` or a control character.
    case invalidKeyName(String)
    /// A verifier or signer key that is not `[PRIVATE+KEY+]name+hex8+base64`.
    case malformedKey(String)
    /// A key whose type byte is not 0x01 or 0x04.
    case unsupportedKeyType(UInt8)
    /// Key material of the wrong length (after the type byte).
    case wrongKeyLength(expected: Int, got: Int)
    /// The key id written in the key is not the one computed from name, type and key.
    case keyIDMismatch(stated: UInt32, computed: UInt32)

    // Notes
    /// The note (or the note being built) is larger than `SignedNote.maxSize`.
    case noteTooLarge(size: Int, limit: Int)
    /// Not valid UTF-8, or an ASCII control character other than LF.
    case invalidCharacters(String)
    /// The note does not have the text / blank line / signature lines structure.
    case malformedNote(String)
    /// Signature line `line` (1-based, among the signature lines) is not
    /// `— <name> <base64(key id || signature)>`.
    case malformedSignatureLine(line: Int, reason: String)
    /// More than `SignedNote.maxSignatures` signature lines.
    case tooManySignatures(limit: Int)
    /// Two different verifier keys share this name and key id.
    case ambiguousVerifierKey(name: String, keyID: UInt32)
    /// A signature from a known key that does not verify: the whole note is refused.
    case invalidSignature(name: String, keyID: UInt32)
    /// No signature from a known key (the count of signatures from unknown keys is given).
    case noVerifiedSignature(unknownSignatures: Int)

    // Signing
    /// The text to sign is not a note text (empty, no final LF, …).
    case invalidText(String)
    /// Two signers with the same name and key id in one signing request.
    case duplicateSigner(name: String, keyID: UInt32)
    /// A cosignature/v1 signer was asked to sign a text that is not a checkpoint.
    case cosignatureRequiresCheckpoint
    /// A cosignature timestamp above 2^63 - 1.
    case timestampOutOfRange(UInt64)
    /// libsodium failed (should not happen).
    case cryptoFailure(String)

    public var description: String {
        switch self {
        case let .invalidKeyName(w): return "invalid note key name: \(w)"
        case let .malformedKey(w): return "malformed note key: \(w)"
        case let .unsupportedKeyType(t): return "unsupported note key type 0x\(NoteKeyText.hex2(t))"
        case let .wrongKeyLength(e, g): return "note key: expected \(e) bytes of key material, got \(g)"
        case let .keyIDMismatch(s, c):
            return "note key id \(NoteKeyText.hex8(s)) does not match the key (computed \(NoteKeyText.hex8(c)))"
        case let .noteTooLarge(s, l): return "signed note of \(s) bytes exceeds the limit of \(l) bytes"
        case let .invalidCharacters(w): return "signed note: \(w)"
        case let .malformedNote(w): return "malformed signed note: \(w)"
        case let .malformedSignatureLine(n, w): return "malformed signed note: signature line \(n): \(w)"
        case let .tooManySignatures(l): return "signed note has more than \(l) signatures"
        case let .ambiguousVerifierKey(n, k): return "ambiguous verifier keys: more than one key \(n)+\(NoteKeyText.hex8(k))"
        case let .invalidSignature(n, k): return "invalid signature from known key \(n)+\(NoteKeyText.hex8(k))"
        case let .noVerifiedSignature(u):
            return "signed note has no signature from a known key (\(u) signature\(u == 1 ? "" : "s") from unknown keys)"
        case let .invalidText(w): return "cannot sign: \(w)"
        case let .duplicateSigner(n, k): return "cannot sign: signer \(n)+\(NoteKeyText.hex8(k)) given twice"
        case .cosignatureRequiresCheckpoint: return "cannot cosign: the text is not a checkpoint"
        case let .timestampOutOfRange(t): return "cosignature timestamp \(t) exceeds 2^63 - 1"
        case let .cryptoFailure(w): return "libsodium: \(w)"
        }
    }
}

/// Shared helpers for the key text encodings.
enum NoteKeyText {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex2(_ b: UInt8) -> String {
        String(decoding: [hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]], as: UTF8.self)
    }

    static func hex8(_ v: UInt32) -> String {
        String(decoding: (0..<8).map { hexDigits[Int((v >> UInt32(28 - 4 * $0)) & 15)] }, as: UTF8.self)
    }

    /// Exactly 8 lowercase hex digits (what every encoder writes), or nil.
    static func parseHex8<C: Collection>(_ s: C) -> UInt32? where C.Element == UInt8 {
        guard s.count == 8 else { return nil }
        var v: UInt32 = 0
        for c in s {
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Key names: non-empty, valid UTF-8, no Unicode whitespace (the White_Space property,
    /// which is what Go's unicode.IsSpace tests), no `+`, no ASCII control character.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        for s in name.unicodeScalars {
            if s == "+" { return "contains '+'" }
            if s.properties.isWhitespace { return "contains whitespace" }
            if s.value < 0x20 || s.value == 0x7F { return "contains a control character" }
        }
        return nil
    }

    static func checkName(_ name: String) throws(NoteError) {
        if let p = nameProblem(name) { throw .invalidKeyName(p) }
    }

    /// Splits `name+hex8+base64` (the first two `+` are separators; base64 may contain more).
    static func splitKey(_ b: ArraySlice<UInt8>) throws(NoteError) -> (name: String, id: UInt32, key: ArraySlice<UInt8>) {
        let plus = UInt8(ascii: "+")
        guard let p1 = b.firstIndex(of: plus) else { throw .malformedKey("expected name+keyid+key") }
        let rest = b[(p1 + 1)...]
        guard let p2 = rest.firstIndex(of: plus) else { throw .malformedKey("expected name+keyid+key") }
        guard let name = validUTF8String(b[b.startIndex..<p1]) else { throw .invalidKeyName("not valid UTF-8") }
        try checkName(name)
        guard let id = parseHex8(rest[rest.startIndex..<p2]) else {
            throw .malformedKey("key id is not 8 lowercase hex digits")
        }
        let key = rest[(p2 + 1)...]
        guard !key.isEmpty else { throw .malformedKey("no key material") }
        return (name, id, key)
    }

    /// Strict padded base64 (RFC 4648 §4, canonical). The alphabet is checked here first:
    /// libsodium 1.0.18's decoder reads every byte 0x80...0xFF as '/' (it classifies a
    /// signed `char`), so `Base64.decode` alone would accept such bytes.
    static func decodeBase64(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        for c in s {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                continue
            default:
                return nil
            }
        }
        return Base64.decode(s, padded: true)
    }

    /// Decodes `base64(type || 32 bytes)`; the caller zeroes the result if it is secret.
    static func decodeTypedKey(_ b64: ArraySlice<UInt8>) throws(NoteError) -> (NoteSignatureType, [UInt8]) {
        guard var raw = decodeBase64(b64) else { throw .malformedKey("key is not canonical padded base64") }
        guard let first = raw.first else { throw .malformedKey("no key material") }
        guard let type = NoteSignatureType(rawValue: first) else {
            Sodium.memzero(&raw)
            throw .unsupportedKeyType(first)
        }
        guard raw.count == 33 else {
            let n = raw.count - 1
            Sodium.memzero(&raw)
            throw .wrongKeyLength(expected: 32, got: n)
        }
        let key = Array(raw[1...])
        Sodium.memzero(&raw)
        return (type, key)
    }

    /// UTF-8 validation without Foundation: shortest forms only, no surrogates, ≤ U+10FFFF.
    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        firstInvalidCharacter(bytes, allowControl: true) == nil
    }

    static func validUTF8String(_ bytes: ArraySlice<UInt8>) -> String? {
        isValidUTF8(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// The problem with the first bad byte: invalid UTF-8, or (unless allowed) an ASCII
    /// control character other than LF. nil when all is well.
    static func firstInvalidCharacter(_ bytes: ArraySlice<UInt8>, allowControl: Bool) -> String? {
        let start = bytes.startIndex, end = bytes.endIndex
        var i = start
        // Whether bytes[j] exists and lies in lo...hi.
        func cont(_ j: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            j < end && bytes[j] >= lo && bytes[j] <= hi
        }
        while i < end {
            let b = bytes[i]
            let n: Int
            switch b {
            case 0x00...0x7F:
                if !allowControl && b < 0x20 && b != 0x0A { return "control character 0x\(hex2(b)) at byte \(i - start)" }
                n = 1
            case 0xC2...0xDF:
                n = cont(i + 1) ? 2 : 0
            case 0xE0...0xEF:
                let lo: UInt8 = b == 0xE0 ? 0xA0 : 0x80, hi: UInt8 = b == 0xED ? 0x9F : 0xBF
                n = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0
            case 0xF0...0xF4:
                let lo: UInt8 = b == 0xF0 ? 0x90 : 0x80, hi: UInt8 = b == 0xF4 ? 0x8F : 0xBF
                n = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0
            default:
                n = 0
            }
            if n == 0 { return "invalid UTF-8 at byte \(i - start)" }
            i += n
        }
        return nil
    }

    static func keyID(name: String, type: NoteSignatureType, publicKey: [UInt8]) -> UInt32 {
        let h = SHA256.hash(Array(name.utf8) + [0x0A, type.rawValue] + publicKey)
        return UInt32(h[0]) << 24 | UInt32(h[1]) << 16 | UInt32(h[2]) << 8 | UInt32(h[3])
    }
}

/// A public note verifier key ("vkey"): a name, a signature type and a 32-byte Ed25519
/// public key. Value type; safe to share and to print.
public struct NoteVerifierKey: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let type: NoteSignatureType
    public let publicKey: [UInt8]
    /// SHA-256(name || 0x0A || type || publicKey)[:4] as a big-endian integer.
    public let keyID: UInt32

    /// A key from its parts; the key id is computed.
    public init(name: String, type: NoteSignatureType, publicKey: [UInt8]) throws(NoteError) {
        try NoteKeyText.checkName(name)
        guard publicKey.count == 32 else { throw .wrongKeyLength(expected: 32, got: publicKey.count) }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        keyID = NoteKeyText.keyID(name: name, type: type, publicKey: publicKey)
    }

    /// Parses `name+hex8+base64(type || key)` strictly: a valid name, exactly 8 lowercase
    /// hex digits, canonical padded base64, a supported type, a 32-byte key and the key id
    /// that name, type and key give. Nothing before or after (no newline).
    public init(parsing vkey: String) throws(NoteError) {
        let bytes = Array(vkey.utf8)
        let (name, id, b64) = try NoteKeyText.splitKey(bytes[...])
        let (type, key) = try NoteKeyText.decodeTypedKey(b64)
        try self.init(name: name, type: type, publicKey: key)
        guard keyID == id else { throw .keyIDMismatch(stated: id, computed: keyID) }
    }

    /// `name+hex8+base64(type || key)`.
    public var encoded: String {
        "\(name)+\(NoteKeyText.hex8(keyID))+\(Base64.encode([type.rawValue] + publicKey, padded: true))"
    }

    public var description: String { encoded }

    /// The key id as 8 lowercase hex digits.
    public var keyIDHex: String { NoteKeyText.hex8(keyID) }

    /// The same name and Ed25519 key under another signature type (so another key id), e.g.
    /// the cosignature/v1 (0x04) verifier of a witness published as a plain Ed25519 key.
    public func withType(_ newType: NoteSignatureType) -> NoteVerifierKey {
        // The name and key were valid already, so this cannot fail.
        try! NoteVerifierKey(name: name, type: newType, publicKey: publicKey)
    }

    /// The key id C2SP defines for a name, type and public key.
    public static func keyID(name: String, type: NoteSignatureType, publicKey: [UInt8]) -> UInt32 {
        NoteKeyText.keyID(name: name, type: type, publicKey: publicKey)
    }

    /// Whether `name` may be a key name: non-empty, no Unicode whitespace, no `+`, no
    /// control characters.
    public static func isValidName(_ name: String) -> Bool { NoteKeyText.nameProblem(name) == nil }
}

/// A secret note signer key ("skey"): `PRIVATE+KEY+name+hex8+base64(type || seed)`, the
/// 32-byte Ed25519 seed held only in `SecureBytes`. Type 0x01 keys are the ones
/// golang.org/x/mod/sumdb/note generates; type 0x04 keys (cosigners) are the ones
/// transparency-dev/formats' NewSignerForCosignatureV1 also reads.
public struct NoteSignerKey: Sendable, CustomStringConvertible {
    /// libsodium's 64-byte Ed25519 secret key (seed || public key).
    private let secretKey: SecureBytes
    /// The matching public verifier key (same name, type and key id).
    public let verifierKey: NoteVerifierKey

    public var name: String { verifierKey.name }
    public var type: NoteSignatureType { verifierKey.type }
    public var keyID: UInt32 { verifierKey.keyID }

    /// A signer from a 32-byte seed.
    public init(name: String, type: NoteSignatureType = .ed25519, seed: SecureBytes) throws(NoteError) {
        try NoteKeyText.checkName(name)
        guard seed.count == 32 else { throw .wrongKeyLength(expected: 32, got: seed.count) }
        let sk = SecureBytes(count: Sodium.ed25519SecretKeyBytes)
        var pk = [UInt8](repeating: 0, count: Sodium.ed25519PublicKeyBytes)
        let ok: Bool = seed.withUnsafeBytes { s in
            sk.withUnsafeMutableBytes { skBuf in
                pk.withUnsafeMutableBytes { pkBuf in
                    (try? Sodium.ed25519SeedKeypair(seed: s, publicKey: pkBuf, secretKey: skBuf)) != nil
                }
            }
        }
        guard ok else { throw .cryptoFailure("Ed25519 key derivation") }
        secretKey = sk
        verifierKey = try NoteVerifierKey(name: name, type: type, publicKey: pk)
    }

    /// A new random signer.
    public static func generate(name: String, type: NoteSignatureType = .ed25519) throws(NoteError) -> NoteSignerKey {
        try NoteSignerKey(name: name, type: type, seed: .random(count: 32))
    }

    /// Parses `PRIVATE+KEY+name+hex8+base64(type || seed)` strictly (as for verifier keys;
    /// the key id must match the public key derived from the seed).
    public init(parsing skey: String) throws(NoteError) {
        var bytes = Array(skey.utf8)
        defer { Sodium.memzero(&bytes) }
        try self.init(parsingBytes: bytes)
    }

    /// Parses a signer key from bytes the caller can zero afterwards.
    public init(parsingBytes skey: [UInt8]) throws(NoteError) {
        let prefix = Array("PRIVATE+KEY+".utf8)
        guard skey.count > prefix.count, Array(skey[0..<prefix.count]) == prefix else {
            throw .malformedKey("a signer key starts with PRIVATE+KEY+")
        }
        let (name, id, b64) = try NoteKeyText.splitKey(skey[prefix.count...])
        var (type, seedBytes) = try NoteKeyText.decodeTypedKey(b64)
        let seed = SecureBytes(consuming: &seedBytes)
        try self.init(name: name, type: type, seed: seed)
        guard keyID == id else { throw .keyIDMismatch(stated: id, computed: keyID) }
    }

    /// The key in its text form, as bytes the caller should zero.
    public func encodedBytes() -> [UInt8] {
        var raw = [type.rawValue] + secretKey.withUnsafeBytes { Array($0[0..<32]) }
        defer { Sodium.memzero(&raw) }
        var b64 = Array(Base64.encode(raw, padded: true).utf8)
        defer { Sodium.memzero(&b64) }
        return Array("PRIVATE+KEY+\(name)+\(NoteKeyText.hex8(keyID))+".utf8) + b64
    }

    /// The key as a String (which cannot be zeroed; prefer `encodedBytes`).
    public func encoded() -> String { String(decoding: encodedBytes(), as: UTF8.self) }

    /// The same seed and name under another signature type (and so another key id), e.g. a
    /// cosignature/v1 signer from a plain Ed25519 key, as transparency-dev/formats allows.
    public func withType(_ newType: NoteSignatureType) -> NoteSignerKey {
        let seed = secretKey.slice(0..<32)
        return try! NoteSignerKey(name: name, type: newType, seed: seed)
    }

    public var description: String { "NoteSignerKey(\(name)+\(NoteKeyText.hex8(keyID)), secret redacted)" }

    /// A raw Ed25519 signature over `message`.
    func ed25519Sign(_ message: [UInt8]) throws(NoteError) -> [UInt8] {
        let sig: [UInt8]? = message.withUnsafeBytes { m in
            secretKey.withUnsafeBytes { sk in try? Sodium.ed25519Sign(m, secretKey: sk) }
        }
        guard let sig else { throw .cryptoFailure("Ed25519 signing") }
        return sig
    }
}
