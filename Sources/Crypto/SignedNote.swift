#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// C2SP signed notes (c2sp.org/signed-note), read strictly from bytes:
///
///     text (one or more lines, each ending in LF)
///     LF                                  (the blank line: the LAST "\n\n" in the note)
///     — <key name> <base64(key id (4, big-endian) || signature)> LF    (one or more)
///
/// `—` is U+2014 EM DASH, followed by one space. The whole note must be valid UTF-8 with no
/// ASCII control character except LF. Limits, checked before any other work: at most
/// `maxSize` bytes and at most `maxSignatures` signature lines.
///
/// Verification follows golang.org/x/mod/sumdb/note: signatures from unknown keys (name and
/// key id not both matching a configured key) are ignored; a signature from a known key that
/// fails to verify rejects the whole note; a note with no verified known signature is
/// rejected; a second signature line from an already verified key is skipped.
public struct SignedNote: Sendable, Hashable {
    /// Largest note read or written (1 MiB).
    public static let maxSize = 1 << 20
    /// Most signature lines read or written (as Go's sumdb/note).
    public static let maxSignatures = 100

    /// The note text (with its final LF, without the blank line). Not to be acted on
    /// before `verify` has succeeded.
    public let unverifiedText: [UInt8]
    /// The signature lines in note order, verified or not.
    public let signatures: [NoteSignature]

    /// A note from its parts, checked as `init(parsing:)` would check the encoding.
    public init(text: [UInt8], signatures: [NoteSignature]) throws(NoteError) {
        try Self.checkText(text)
        guard !signatures.isEmpty else { throw .malformedNote("no signature lines") }
        guard signatures.count <= Self.maxSignatures else { throw .tooManySignatures(limit: Self.maxSignatures) }
        let size = text.count + 1 + signatures.reduce(0) { $0 + $1.line.count }
        guard size <= Self.maxSize else { throw .noteTooLarge(size: size, limit: Self.maxSize) }
        unverifiedText = text
        self.signatures = signatures
    }

    /// Parses the structure of a signed note, without verifying any signature.
    public init(parsing note: [UInt8]) throws(NoteError) {
        guard note.count <= Self.maxSize else { throw .noteTooLarge(size: note.count, limit: Self.maxSize) }
        if let problem = NoteKeyText.firstInvalidCharacter(note[...], allowControl: false) {
            throw .invalidCharacters(problem)
        }
        // The text is separated from the signatures by the last blank line.
        var split = -1
        var i = note.count - 2
        while i >= 0 {
            if note[i] == 0x0A && note[i + 1] == 0x0A { split = i; break }
            i -= 1
        }
        guard split >= 0 else { throw .malformedNote("no blank line between text and signatures") }
        let text = Array(note[0...split])
        let block = note[(split + 2)...]
        guard !block.isEmpty else { throw .malformedNote("no signature lines") }
        guard block.last == 0x0A else { throw .malformedNote("the last signature line does not end with a newline") }
        var lineCount = 0
        for b in block where b == 0x0A { lineCount += 1 }
        guard lineCount <= Self.maxSignatures else { throw .tooManySignatures(limit: Self.maxSignatures) }

        var sigs: [NoteSignature] = []
        sigs.reserveCapacity(lineCount)
        var start = block.startIndex
        var number = 0
        while start < block.endIndex {
            let end = block[start...].firstIndex(of: 0x0A)!
            number += 1
            sigs.append(try NoteSignature(line: block[start..<end], number: number))
            start = end + 1
        }
        unverifiedText = text
        signatures = sigs
    }

    /// The note's bytes: text, blank line, signature lines.
    public var encoded: [UInt8] {
        var out = unverifiedText
        out.append(0x0A)
        for s in signatures { out += s.line }
        return out
    }

    /// Verifies the note against the configured keys (see the type's documentation).
    public func verify(_ verifiers: [NoteVerifierKey]) throws(NoteError) -> VerifiedNote {
        var verified: [VerifiedNoteSignature] = []
        var seen: [(String, UInt32)] = []
        var unknown = 0
        for sig in signatures {
            let matches = verifiers.filter { $0.name == sig.name && $0.keyID == sig.keyID }
            guard let key = matches.first else { unknown += 1; continue }
            if matches.contains(where: { $0 != key }) {
                throw .ambiguousVerifierKey(name: sig.name, keyID: sig.keyID)
            }
            if seen.contains(where: { $0.0 == sig.name && $0.1 == sig.keyID }) { continue }
            seen.append((sig.name, sig.keyID))
            guard let timestamp = Self.check(sig.signature, text: unverifiedText, key: key) else {
                throw .invalidSignature(name: sig.name, keyID: sig.keyID)
            }
            verified.append(VerifiedNoteSignature(key: key, timestamp: key.type == .cosignatureV1 ? timestamp : nil))
        }
        guard !verified.isEmpty else { throw .noVerifiedSignature(unknownSignatures: unknown) }
        return VerifiedNote(text: unverifiedText, signatures: verified, unknownSignatures: unknown)
    }

    /// Parses and verifies a signed note: `SignedNote(parsing:)` then `verify`.
    public static func open(_ note: [UInt8], verifiers: [NoteVerifierKey]) throws(NoteError) -> VerifiedNote {
        try SignedNote(parsing: note).verify(verifiers)
    }

    /// Signs `text` (one or more lines, each ending in LF) with each signer, in the given
    /// order. `timestamp` (POSIX seconds) is used by cosignature/v1 signers; nil means now.
    /// Ed25519 signatures are deterministic (RFC 8032), so the result is reproducible.
    public static func sign(_ text: [UInt8], signers: [NoteSignerKey], timestamp: UInt64? = nil) throws(NoteError) -> [UInt8] {
        try checkText(text)
        let sigs = try makeSignatures(text, signers: signers, timestamp: timestamp)
        return try SignedNote(text: text, signatures: sigs).encoded
    }

    /// Adds signatures (typically witness cosignatures) to an existing signed note. The
    /// existing signature lines are kept in order and not verified, except that a line with
    /// the same name and key id as one of the new signers is replaced; new lines go last.
    public static func addSignatures(to note: [UInt8], signers: [NoteSignerKey], timestamp: UInt64? = nil) throws(NoteError) -> [UInt8] {
        let parsed = try SignedNote(parsing: note)
        let new = try makeSignatures(parsed.unverifiedText, signers: signers, timestamp: timestamp)
        let kept = parsed.signatures.filter { old in !new.contains { $0.name == old.name && $0.keyID == old.keyID } }
        return try SignedNote(text: parsed.unverifiedText, signatures: kept + new).encoded
    }

    /// The current time in POSIX seconds (for cosignature timestamps).
    public static func currentTimestamp() -> UInt64 { UInt64(max(0, time(nil))) }

    /// The message a cosignature/v1 signs: `cosignature/v1\ntime <t>\n` || checkpoint text.
    public static func cosignatureMessage(text: [UInt8], timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + text
    }

    // MARK: Internals

    static func checkText(_ text: [UInt8]) throws(NoteError) {
        guard !text.isEmpty else { throw .invalidText("the text is empty") }
        guard text.last == 0x0A else { throw .invalidText("the text does not end with a newline") }
        guard text.count < maxSize else { throw .noteTooLarge(size: text.count, limit: maxSize) }
        if let problem = NoteKeyText.firstInvalidCharacter(text[...], allowControl: false) {
            throw .invalidText(problem)
        }
    }

    static func makeSignatures(_ text: [UInt8], signers: [NoteSignerKey], timestamp: UInt64?) throws(NoteError) -> [NoteSignature] {
        guard !signers.isEmpty else { throw .invalidText("no signer given") }
        guard signers.count <= maxSignatures else { throw .tooManySignatures(limit: maxSignatures) }
        var out: [NoteSignature] = []
        for s in signers {
            if out.contains(where: { $0.name == s.name && $0.keyID == s.keyID }) {
                throw .duplicateSigner(name: s.name, keyID: s.keyID)
            }
            let sig: [UInt8]
            switch s.type {
            case .ed25519:
                sig = try s.ed25519Sign(text)
            case .cosignatureV1:
                guard Checkpoint.isCheckpointText(text) else { throw .cosignatureRequiresCheckpoint }
                let t = timestamp ?? currentTimestamp()
                guard t <= UInt64(Int64.max) else { throw .timestampOutOfRange(t) }
                sig = bigEndian8(t) + (try s.ed25519Sign(cosignatureMessage(text: text, timestamp: t)))
            }
            out.append(NoteSignature(validName: s.name, keyID: s.keyID, signature: sig))
        }
        return out
    }

    /// Checks one signature; returns the cosignature timestamp (0 for plain Ed25519) or nil.
    static func check(_ sig: [UInt8], text: [UInt8], key: NoteVerifierKey) -> UInt64? {
        switch key.type {
        case .ed25519:
            guard sig.count == 64, ed25519Verify(sig[...], message: text, publicKey: key.publicKey) else { return nil }
            return 0
        case .cosignatureV1:
            guard sig.count == 72 else { return nil }
            let t = sig[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard t <= UInt64(Int64.max), Checkpoint.isCheckpointText(text) else { return nil }
            guard ed25519Verify(sig[8...], message: cosignatureMessage(text: text, timestamp: t),
                                publicKey: key.publicKey) else { return nil }
            return t
        }
    }

    static func ed25519Verify(_ sig: ArraySlice<UInt8>, message: [UInt8], publicKey: [UInt8]) -> Bool {
        sig.withUnsafeBytes { s in
            message.withUnsafeBytes { m in publicKey.withUnsafeBytes { Sodium.ed25519Verify(s, message: m, publicKey: $0) } }
        }
    }

    static func bigEndian8(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(56 - 8 * $0)) } }
}

/// One signature line of a note: `— <name> <base64(keyID || signature)>`.
public struct NoteSignature: Sendable, Hashable {
    public let name: String
    public let keyID: UInt32
    /// The bytes after the key id (for cosignature/v1: timestamp (8) || Ed25519 signature (64)).
    public let signature: [UInt8]

    public init(name: String, keyID: UInt32, signature: [UInt8]) throws(NoteError) {
        try NoteKeyText.checkName(name)
        guard !signature.isEmpty else { throw .malformedSignatureLine(line: 0, reason: "empty signature") }
        self.init(validName: name, keyID: keyID, signature: signature)
    }

    init(validName: String, keyID: UInt32, signature: [UInt8]) {
        name = validName
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses one line without its LF (already checked for UTF-8 and control characters).
    init(line: ArraySlice<UInt8>, number: Int) throws(NoteError) {
        let prefix: [UInt8] = [0xE2, 0x80, 0x94, 0x20]  // "— "
        guard line.starts(with: prefix) else {
            throw .malformedSignatureLine(line: number, reason: "does not start with an em dash (U+2014) and a space")
        }
        let rest = line.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: 0x20) else {
            throw .malformedSignatureLine(line: number, reason: "no space between key name and signature")
        }
        let name = String(decoding: rest[rest.startIndex..<space], as: UTF8.self)
        if let problem = NoteKeyText.nameProblem(name) {
            throw .malformedSignatureLine(line: number, reason: "key name \(problem)")
        }
        let b64 = rest[(space + 1)...]
        guard !b64.isEmpty, let raw = NoteKeyText.decodeBase64(b64) else {
            throw .malformedSignatureLine(line: number, reason: "signature is not canonical padded base64")
        }
        guard raw.count >= 5 else {
            throw .malformedSignatureLine(line: number, reason: "signature is shorter than a key id and one byte")
        }
        self.init(validName: name, keyID: UInt32(raw[0]) << 24 | UInt32(raw[1]) << 16 | UInt32(raw[2]) << 8 | UInt32(raw[3]),
                  signature: Array(raw[4...]))
    }

    /// `— name base64(keyID || signature)` and LF.
    public var line: [UInt8] {
        let id: [UInt8] = [UInt8(keyID >> 24), UInt8(truncatingIfNeeded: keyID >> 16),
                           UInt8(truncatingIfNeeded: keyID >> 8), UInt8(truncatingIfNeeded: keyID)]
        return Array("— \(name) \(Base64.encode(id + signature, padded: true))\n".utf8)
    }

    /// For cosignature/v1 signatures: the timestamp they carry (not verified by itself).
    public var cosignatureTimestamp: UInt64? {
        signature.count == 72 ? signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
    }
}

/// A signature that verified, and the key it verified with.
public struct VerifiedNoteSignature: Sendable, Hashable {
    public let key: NoteVerifierKey
    /// For cosignature/v1 signatures, the signed timestamp (POSIX seconds). Verifiers may
    /// refuse timestamps in the future; this type does not look at the clock.
    public let timestamp: UInt64?

    public var name: String { key.name }
    public var keyID: UInt32 { key.keyID }
    public var type: NoteSignatureType { key.type }
}

/// The result of verifying a note: its text and who signed it.
public struct VerifiedNote: Sendable, Hashable {
    /// The note text (with its final LF), now authenticated.
    public let text: [UInt8]
    /// Verified signatures in note order, one per key.
    public let signatures: [VerifiedNoteSignature]
    /// Number of signature lines from keys that were not configured (ignored).
    public let unknownSignatures: Int

    /// The names of the keys whose signatures verified, in note order.
    public var verifiedNames: [String] { signatures.map(\.name) }

    /// The text as a String (it is valid UTF-8).
    public var textString: String { String(decoding: text, as: UTF8.self) }

    /// Whether `key` is among the keys that verified.
    public func isSigned(by key: NoteVerifierKey) -> Bool { signatures.contains { $0.key == key } }
}
