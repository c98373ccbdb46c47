/// age identity files and recipient files, as age-keygen and age read and write them.
///
/// Identity file: `# created: <RFC 3339 time>`, `# public key: age1…`, then the
/// `AGE-SECRET-KEY-1…` line. Readers skip blank lines and lines starting with `#`; any
/// other line must be an identity. A passphrase-protected identity file is an age file
/// (binary or armored, scrypt recipient) whose plaintext is such an identity file.
public enum AgeKeyFiles {
    public static let maxFileSize = 1 << 20

    /// The identity file's bytes; the caller zeroes them after writing.
    public static func encodeIdentity(_ identity: AgeX25519Identity, created: String) -> [UInt8] {
        var secret = identity.encodedBytes()
        defer { Sodium.memzero(&secret) }
        return Array("# created: \(created)\n# public key: \(identity.recipient.encoded)\n".utf8) + secret + [0x0A]
    }

    /// True when `bytes` is an age file (an encrypted identity file), binary or armored.
    public static func isEncrypted(_ bytes: [UInt8]) -> Bool {
        let trimmed = bytes.drop(while: AgeArmor.isWhitespace)
        return bytes.starts(with: Array("age-encryption.org/".utf8)) || trimmed.starts(with: AgeArmor.beginLine)
    }

    /// Parses a plaintext identity file. Errors name the line, never its content.
    public static func parseIdentities(_ bytes: [UInt8], name: String) throws -> [AgeX25519Identity] {
        var out: [AgeX25519Identity] = []
        for (i, raw) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = Array(raw)
            defer { Sodium.memzero(&line) }
            if line.last == 0x0D { line.removeLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard let id = try? AgeX25519Identity(parsingBytes: line) else {
                throw AgeError.usage("\(name), line \(i + 1): not an age identity (AGE-SECRET-KEY-1…)")
            }
            out.append(id)
        }
        guard !out.isEmpty else { throw AgeError.usage("\(name): no identities found") }
        return out
    }

    /// Parses a recipients file: one `age1…` per line, blank lines and `#` comments skipped.
    public static func parseRecipients(_ bytes: [UInt8], name: String) throws -> [AgeX25519Recipient] {
        var out: [AgeX25519Recipient] = []
        for (i, raw) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard let r = try? AgeX25519Recipient(parsing: String(decoding: line, as: UTF8.self)) else {
                throw AgeError.usage("\(name), line \(i + 1): not an age recipient (age1…)")
            }
            out.append(r)
        }
        guard !out.isEmpty else { throw AgeError.usage("\(name): no recipients found") }
        return out
    }
}
