/// minisign signature files: 4 lines.
///   untrusted comment: <text>
///   base64(alg (2) || key id (8) || Ed25519 signature (64))     alg "ED" = prehashed, "Ed" = legacy
///   trusted comment: <text>
///   base64(Ed25519(signature (64) || trusted comment bytes))
public struct MinisignSignature: Equatable, Sendable {
    public let prehashed: Bool
    public let keyID: [UInt8]
    public let signature: [UInt8]
    public let untrustedComment: String
    public let trustedComment: String
    public let globalSignature: [UInt8]

    public var keyIDString: String { Minisign.keyIDString(keyID) }

    public func encodeFile() -> String {
        let alg = prehashed ? Minisign.prehashedAlg : Minisign.sigAlg
        return "\(Minisign.commentPrefix)\(untrustedComment)\n\(Base64.encode(alg + keyID + signature, padded: true))\n"
            + "\(Minisign.trustedPrefix)\(trustedComment)\n\(Base64.encode(globalSignature, padded: true))\n"
    }

    public init(parsing bytes: [UInt8]) throws {
        let lines = Minisign.lines(bytes)
        guard lines.count == 4 else { throw MinisignError.malformedSignature("expected 4 lines, found \(lines.count)") }
        guard lines[0].starts(with: Minisign.commentPrefix.utf8),
              lines[0].count <= Minisign.commentPrefix.utf8.count + Minisign.maxCommentBytes else {
            throw MinisignError.malformedSignature("line 1 is not an untrusted comment")
        }
        guard let sig = Base64.decode(lines[1], padded: true), sig.count == 74 else {
            throw MinisignError.malformedSignature("line 2 is not base64 of 74 bytes")
        }
        let alg = Array(sig[0..<2])
        guard alg == Minisign.prehashedAlg || alg == Minisign.sigAlg else {
            throw MinisignError.unsupportedAlgorithm("signature algorithm is neither ED nor Ed")
        }
        guard lines[2].starts(with: Minisign.trustedPrefix.utf8),
              lines[2].count <= Minisign.trustedPrefix.utf8.count + Minisign.maxTrustedCommentBytes else {
            throw MinisignError.malformedSignature("line 3 is not a trusted comment")
        }
        guard let global = Base64.decode(lines[3], padded: true), global.count == 64 else {
            throw MinisignError.malformedSignature("line 4 is not base64 of 64 bytes")
        }
        // The global signature covers the trusted comment's bytes; decoding other bytes
        // than UTF-8 would replace them, and verify the replacement instead (found by
        // fuzzing: fuzz/regressions/minisign-sig).
        guard let trusted = String(validating: lines[2].dropFirst(Minisign.trustedPrefix.utf8.count), as: UTF8.self) else {
            throw MinisignError.malformedSignature("the trusted comment (line 3) is not UTF-8")
        }
        prehashed = alg == Minisign.prehashedAlg
        keyID = Array(sig[2..<10]); signature = Array(sig[10..<74])
        untrustedComment = String(decoding: lines[0].dropFirst(Minisign.commentPrefix.utf8.count), as: UTF8.self)
        trustedComment = trusted
        globalSignature = global
    }

    init(prehashed: Bool, keyID: [UInt8], signature: [UInt8], untrustedComment: String, trustedComment: String, globalSignature: [UInt8]) {
        self.prehashed = prehashed; self.keyID = keyID; self.signature = signature
        self.untrustedComment = untrustedComment; self.trustedComment = trustedComment; self.globalSignature = globalSignature
    }

    /// The default trusted comment minisign 0.11 writes.
    public static func defaultTrustedComment(fileName: String, timestamp: Int) -> String {
        "timestamp:\(timestamp)\tfile:\(fileName)\thashed"
    }

    /// Signs a stream (prehashed with BLAKE2b-512).
    public static func sign(_ source: ByteSource, with key: MinisignSecretKey, trustedComment: String,
                            untrustedComment: String = "signature from minisign secret key") throws -> MinisignSignature {
        try Minisign.checkComment(trustedComment, max: Minisign.maxTrustedCommentBytes)
        try Minisign.checkComment(untrustedComment, max: Minisign.maxCommentBytes)
        let digest = try prehash(source)
        return try sign(digest: digest, with: key, trustedComment: trustedComment, untrustedComment: untrustedComment)
    }

    /// Signs a BLAKE2b-512 digest computed elsewhere.
    public static func sign(digest: [UInt8], with key: MinisignSecretKey, trustedComment: String,
                            untrustedComment: String) throws -> MinisignSignature {
        precondition(digest.count == 64)
        let sig = try key.secretKey.withUnsafeBytes { sk in try digest.withUnsafeBytes { try Sodium.ed25519Sign($0, secretKey: sk) } }
        let globalInput = sig + Array(trustedComment.utf8)
        let global = try key.secretKey.withUnsafeBytes { sk in try globalInput.withUnsafeBytes { try Sodium.ed25519Sign($0, secretKey: sk) } }
        return MinisignSignature(prehashed: true, keyID: key.keyID, signature: sig, untrustedComment: untrustedComment,
                                 trustedComment: trustedComment, globalSignature: global)
    }

    /// BLAKE2b-512 of everything in `source`, read in 1 MiB blocks on a second thread while
    /// the previous block is hashed.
    public static func prehash(_ source: ByteSource) throws -> [UInt8] {
        let h = BLAKE2b(outputLength: 64)
        try PrefetchingReader(source: source).forEachBlock { h.update($0) }
        return h.finalize()
    }

    /// Verifies a prehashed signature against a BLAKE2b-512 digest computed elsewhere (while
    /// streaming). Returns the trusted comment.
    public func verify(digest: [UInt8], with key: MinisignPublicKey) throws -> String {
        guard keyID == key.keyID else {
            throw MinisignError.keyIDMismatch(signature: keyIDString, publicKey: key.keyIDString)
        }
        guard prehashed else { throw MinisignError.legacySignatureRefused }
        precondition(digest.count == 64)
        try checkSignatures(message: digest, key: key)
        return trustedComment
    }

    private func checkSignatures(message: [UInt8], key: MinisignPublicKey) throws {
        let ok = signature.withUnsafeBytes { s in message.withUnsafeBytes { m in key.publicKey.withUnsafeBytes { Sodium.ed25519Verify(s, message: m, publicKey: $0) } } }
        guard ok else { throw MinisignError.invalidSignature }
        let globalInput = signature + Array(trustedComment.utf8)
        let gok = globalSignature.withUnsafeBytes { s in globalInput.withUnsafeBytes { m in key.publicKey.withUnsafeBytes { Sodium.ed25519Verify(s, message: m, publicKey: $0) } } }
        guard gok else { throw MinisignError.invalidGlobalSignature }
    }

    /// Legacy signatures sign the whole file, which must then fit in memory.
    public static let maxLegacyMessage = 64 << 20

    /// Verifies `source` against this signature and `key`. Returns the trusted comment,
    /// which is only meaningful once this returns.
    public func verify(_ source: ByteSource, with key: MinisignPublicKey, allowLegacy: Bool = false) throws -> String {
        guard keyID == key.keyID else {
            throw MinisignError.keyIDMismatch(signature: keyIDString, publicKey: key.keyIDString)
        }
        let message: [UInt8]
        if prehashed {
            message = try MinisignSignature.prehash(source)
        } else {
            guard allowLegacy else { throw MinisignError.legacySignatureRefused }
            message = try source.readAll(limit: MinisignSignature.maxLegacyMessage)
        }
        try checkSignatures(message: message, key: key)
        return trustedComment
    }
}
