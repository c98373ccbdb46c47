import Foundation
import Testing
import TestSupport

/// The att-report command line as a user sees it: help, exit codes, error lines, files.
@Suite("att-report CLI black box")
struct CLIBlackBoxTests {

    // MARK: - Helpers

    /// A fresh unencrypted age identity file `name` in `dir`; returns its recipient.
    static func makeIdentity(_ dir: TempDirectory, _ name: String) async throws -> String {
        let r = try await attOK(["age", "keygen", "--unencrypted", "-o", dir.path(name)])
        return try #require(publicKeyNote(r), "keygen printed no public key: \(r)")
    }

    /// A minisign key pair without a passphrase.
    static func makeMinisignKey(_ dir: TempDirectory, pub: String = "key.pub", sec: String = "key.sec") async throws {
        try await attOK(["minisign", "keygen", "-W", "-p", dir.path(pub), "-s", dir.path(sec)])
    }

    // MARK: - Help

    struct HelpCase: Sendable, CustomTestStringConvertible {
        let command: [String]
        let options: [String]
        var testDescription: String { command.joined(separator: " ") }
    }

    static let helpCases: [HelpCase] = [
        HelpCase(command: ["age", "keygen"], options: ["-o", "--output", "--unencrypted", "-y", "--passphrase-file"]),
        HelpCase(command: ["age", "encrypt"], options: ["-r", "--recipient", "-R", "--recipients-file", "-p", "--passphrase",
                                                        "-a", "--armor", "-o", "--output", "--passphrase-file"]),
        HelpCase(command: ["age", "decrypt"], options: ["-i", "--identity", "-o", "--output", "--passphrase-file"]),
        HelpCase(command: ["minisign", "keygen"], options: ["-p", "-s", "-W", "-f", "--passphrase-file"]),
        HelpCase(command: ["minisign", "sign"], options: ["-s", "-t", "-c", "-x", "--passphrase-file"]),
        HelpCase(command: ["minisign", "verify"], options: ["-p", "-P", "-x", "--allow-legacy", "-q"]),
    ]

    @Test("--help and -h print the command's usage and options to stdout, exit 0", arguments: helpCases, ["--help", "-h"])
    func commandHelp(_ c: HelpCase, flag: String) async throws {
        let r = try await att(c.command + [flag])
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "help must not write to stderr: \(r)")
        let text = r.stdoutText
        #expect(text.contains("Usage: att-report \(c.command.joined(separator: " "))"), "\(r)")
        // Every option appears as a word in the options list.
        let words = Set(text.split(whereSeparator: { " ,\n\t".contains($0) }).map(String.init))
        for option in c.options + ["--help"] {
            #expect(words.contains(option), "help for \(c.testDescription) does not mention \(option): \(text)")
        }
    }

    @Test("--help wins over other arguments and creates nothing")
    func helpWithOtherArguments() async throws {
        let dir = try TempDirectory()
        let r = try await att(["age", "encrypt", "-p", "-o", dir.path("out.age"), "--help", dir.path("missing")])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdoutText.hasPrefix("Usage: att-report age encrypt"), "\(r)")
        #expect(try dir.listing().isEmpty)
    }

    @Test("top-level help lists every group and command", arguments: [["--help"], ["-h"], ["help"]])
    func topLevelHelp(_ args: [String]) async throws {
        let r = try await att(args)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        for command in ["age keygen", "age encrypt", "age decrypt", "minisign keygen", "minisign sign", "minisign verify"] {
            #expect(r.stdoutText.contains(command), "top-level help lacks \(command): \(r)")
        }
    }

    @Test("group help lists the group's commands only", arguments: [["age", "--help"], ["minisign", "-h"]])
    func groupHelp(_ args: [String]) async throws {
        let r = try await att(args)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(r.stdoutText.hasPrefix("Usage: att-report \(args[0]) <command>"), "\(r)")
        let other = args[0] == "age" ? "minisign" : "age"
        for command in ["keygen", "encrypt", "decrypt", "sign", "verify"] {
            let inGroup = (args[0] == "age") == ["keygen", "encrypt", "decrypt"].contains(command) || command == "keygen"
            #expect(r.stdoutText.contains("\(args[0]) \(command)") == inGroup, "\(command): \(r)")
        }
        #expect(!r.stdoutText.contains("\(other) keygen"), "\(r)")
    }

    // MARK: - Usage errors (exit 64)

    /// `$R` is replaced by a real recipient, `$P` by a real minisign public key (base64);
    /// relative names are files in the test's directory, where `in.txt` exists.
    static let usageErrors: [[String]] = [
        [],
        ["frobnicate"],
        ["age"],
        ["minisign"],
        ["age", "frobnicate"],
        ["minisign", "encrypt", "in.txt"],
        ["age", "encrypt", "--bogus", "-r", "$R", "in.txt"],
        ["age", "decrypt", "-Z", "in.txt"],
        ["age", "keygen", "--nope"],
        ["age", "encrypt", "in.txt"],
        ["age", "encrypt", "-a", "-o", "out.age", "in.txt"],
        ["age", "encrypt", "-p", "-r", "$R", "-o", "out.age", "in.txt"],
        ["age", "encrypt", "-r", "$R", "-p", "-o", "out.age", "in.txt"],
        ["age", "encrypt", "-p", "-R", "recipients.txt", "-o", "out.age", "in.txt"],
        ["age", "encrypt", "-r"],
        ["age", "encrypt", "-r", "not-a-recipient", "-o", "out.age", "in.txt"],
        ["age", "encrypt", "-r", "$R", "in.txt", "second.txt"],
        ["age", "encrypt", "--armor=yes", "-r", "$R", "in.txt"],
        ["age", "decrypt", "-o", "a.out", "-o", "b.out", "in.txt"],
        ["age", "decrypt", "-i"],
        ["age", "keygen", "--unencrypted", "-o", "k1.txt", "extra-argument"],
        ["minisign", "sign", "-s", "key.sec"],
        ["minisign", "sign", "in.txt"],
        ["minisign", "verify", "-p", "key.pub"],
        ["minisign", "verify", "in.txt"],
        ["minisign", "verify", "-p", "key.pub", "-P", "$P", "in.txt"],
        ["minisign", "keygen", "-p", "new.pub"],
        ["minisign", "keygen", "-W", "-s", "new.sec"],
        ["minisign", "keygen", "-W", "-p", "new.pub", "-s", "new.sec", "extra-argument"],
    ]

    @Test("usage errors exit 64 with one error line and create no files", arguments: usageErrors)
    func usageError(_ template: [String]) async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        try await Self.makeMinisignKey(dir)
        let pubBase64 = try #require(try dir.readText("key.pub").split(separator: "\n").last).trimmingCharacters(in: .whitespaces)
        try dir.write("in.txt", "some plaintext\n")
        try dir.write("recipients.txt", recipient + "\n")
        let before = try dir.listing()
        let args = template.map { $0 == "$R" ? recipient : $0 == "$P" ? pubBase64 : $0 }
        let r = try await att(args, in: dir.url)
        expectCLIError(r, status: 64)
        let after = try dir.listing()
        #expect(after == before, "a usage error must not create files: \(after)")
    }

    // MARK: - Failures (exit 1)

    @Test("decrypting with the wrong identity fails with exit 1")
    func wrongIdentity() async throws {
        let dir = try TempDirectory()
        let right = try await Self.makeIdentity(dir, "right.txt")
        _ = try await Self.makeIdentity(dir, "wrong.txt")
        try dir.write("in.bin", randomBytes(1000))
        try await attOK(["age", "encrypt", "-r", right, "-o", dir.path("c.age"), dir.path("in.bin")])
        let r = try await att(["age", "decrypt", "-i", dir.path("wrong.txt"), dir.path("c.age")])
        expectCLIError(r, status: 1)
        // The right identity still works, so the failure was about the identity.
        let ok = try await attOK(["age", "decrypt", "-i", dir.path("right.txt"), dir.path("c.age")])
        #expect(ok.stdout == (try dir.read("in.bin")))
    }

    @Test("decrypting an X25519 file without -i fails with exit 1")
    func noIdentityForRecipientFile() async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        try dir.write("in.txt", "x")
        try await attOK(["age", "encrypt", "-r", recipient, "-o", dir.path("c.age"), dir.path("in.txt")])
        expectCLIError(try await att(["age", "decrypt", dir.path("c.age")]), status: 1)
    }

    enum Tamper: String, CaseIterable, Sendable {
        case flipFirstPayloadByte, flipLastByte, flipHeaderMAC, flipStanzaBody, truncateLastByte, appendByte, truncateInHeader
        case truncateArmorEnd
    }

    /// Applies `kind` to a binary age file (armored for truncateArmorEnd).
    static func tamper(_ file: [UInt8], _ kind: Tamper) throws -> [UInt8] {
        var b = file
        if kind == .truncateArmorEnd {
            #expect(b.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)))
            return Array(b[..<(b.count - 20)])
        }
        let headerEnd = try #require(AgeFileLayout.headerEnd(b), "no header end in file")
        switch kind {
        case .flipFirstPayloadByte: b[headerEnd + 16] ^= 0x01  // after the 16-byte nonce
        case .flipLastByte: b[b.count - 1] ^= 0x80
        case .flipHeaderMAC:
            let macStart = try #require(AgeFileLayout.macStart(b))
            b[macStart] = b[macStart] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        case .flipStanzaBody:
            let bodyStart = try #require(AgeFileLayout.firstStanzaBodyStart(b))
            b[bodyStart] = b[bodyStart] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        case .truncateLastByte: b.removeLast()
        case .appendByte: b.append(0)
        case .truncateInHeader: b = Array(b[..<(headerEnd / 2)])
        case .truncateArmorEnd: break  // handled above
        }
        return b
    }

    @Test("tampered or truncated ciphertext fails with exit 1 and one error line", arguments: Tamper.allCases)
    func tamperedCiphertext(_ kind: Tamper) async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        try dir.write("in.bin", randomBytes(500))
        let armor = kind == .truncateArmorEnd
        try await attOK(["age", "encrypt", "-r", recipient] + (armor ? ["-a"] : []) + ["-o", dir.path("c.age"), dir.path("in.bin")])
        // The untampered file decrypts, so the failure below is caused by the change.
        try await attOK(["age", "decrypt", "-i", dir.path("id.txt"), dir.path("c.age")])
        let bad = try Self.tamper(try dir.read("c.age"), kind)
        try dir.write("bad.age", bad)
        let r = try await att(["age", "decrypt", "-i", dir.path("id.txt"), dir.path("bad.age")])
        expectCLIError(r, status: 1)
    }

    @Test("decrypt -o of a damaged file leaves no output and no temporary file", arguments: [
        Tamper.flipFirstPayloadByte, .flipLastByte, .flipHeaderMAC, .truncateLastByte, .appendByte, .truncateInHeader, .truncateArmorEnd,
    ])
    func decryptOutputIsAtomic(_ kind: Tamper) async throws {
        let dir = try TempDirectory()
        let work = try TempDirectory("out")
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        // Several 64 KiB chunks, so a damaged last chunk comes after data was already written.
        try dir.write("in.bin", randomBytes(3 * 65536 + 100))
        let armor = kind == .truncateArmorEnd
        try await attOK(["age", "encrypt", "-r", recipient] + (armor ? ["-a"] : []) + ["-o", dir.path("c.age"), dir.path("in.bin")])
        try work.write("bad.age", try Self.tamper(try dir.read("c.age"), kind))
        let before = try work.listing()
        let r = try await att(["age", "decrypt", "-i", dir.path("id.txt"), "-o", work.path("plain.out"), work.path("bad.age")])
        expectCLIError(r, status: 1)
        #expect(!work.exists("plain.out"), "a failed decryption left its output file")
        let after1 = try work.listing()
        #expect(after1 == before, "a failed decryption left files behind: \(after1)")
        // Also with a relative -o in the working directory.
        let r2 = try await att(["age", "decrypt", "-i", dir.path("id.txt"), "-o", "plain.out", "bad.age"], in: work.url)
        expectCLIError(r2, status: 1)
        let after2 = try work.listing()
        #expect(after2 == before, "a failed decryption left files behind: \(after2)")
    }

    @Test("decrypt -o with the wrong identity leaves nothing; the right one writes the plaintext")
    func decryptOutputWrongIdentity() async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "right.txt")
        _ = try await Self.makeIdentity(dir, "wrong.txt")
        let plain = randomBytes(70000)
        try dir.write("in.bin", plain)
        try await attOK(["age", "encrypt", "-r", recipient, "-o", dir.path("c.age"), dir.path("in.bin")])
        let before = try dir.listing()
        expectCLIError(try await att(["age", "decrypt", "-i", dir.path("wrong.txt"), "-o", dir.path("p.out"), dir.path("c.age")]), status: 1)
        #expect(try dir.listing() == before)
        try await attOK(["age", "decrypt", "-i", dir.path("right.txt"), "-o", dir.path("p.out"), dir.path("c.age")])
        #expect(try dir.read("p.out") == plain)
        #expect(try dir.listing() == (before + ["p.out"]).sorted())
    }

    @Test("a corrupted signature fails verification with exit 1")
    func corruptedSignature() async throws {
        let dir = try TempDirectory()
        try await Self.makeMinisignKey(dir)
        try dir.write("doc.txt", "report body\n")
        try await attOK(["minisign", "sign", "-s", dir.path("key.sec"), dir.path("doc.txt")])
        try await attOK(["minisign", "verify", "-p", dir.path("key.pub"), dir.path("doc.txt")])
        var lines = try dir.readText("doc.txt.minisig").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var sig = Array(lines[1].utf8)
        sig[20] = sig[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        lines[1] = String(decoding: sig, as: UTF8.self)
        try dir.write("doc.txt.minisig", lines.joined(separator: "\n"))
        expectCLIError(try await att(["minisign", "verify", "-p", dir.path("key.pub"), dir.path("doc.txt")]), status: 1)
        // A signature file that is not a signature at all.
        try dir.write("doc.txt.minisig", "this is not a signature\n")
        expectCLIError(try await att(["minisign", "verify", "-p", dir.path("key.pub"), dir.path("doc.txt")]), status: 1)
    }

    @Test("a file changed after signing fails verification; verifying with another key fails")
    func modifiedFileAndWrongKey() async throws {
        let dir = try TempDirectory()
        try await Self.makeMinisignKey(dir)
        try await Self.makeMinisignKey(dir, pub: "other.pub", sec: "other.sec")
        try dir.write("doc.txt", "report body\n")
        try await attOK(["minisign", "sign", "-s", dir.path("key.sec"), dir.path("doc.txt")])
        expectCLIError(try await att(["minisign", "verify", "-p", dir.path("other.pub"), dir.path("doc.txt")]), status: 1)
        try dir.write("doc.txt", "report body!\n")
        expectCLIError(try await att(["minisign", "verify", "-p", dir.path("key.pub"), dir.path("doc.txt")]), status: 1)
    }

    /// Commands whose input, key or signature file does not exist. Relative names live in
    /// the test's directory; `id.txt`, `key.pub`, `key.sec` and `in.txt` exist.
    static let missingFileCases: [[String]] = [
        ["age", "encrypt", "-r", "$R", "missing.txt"],
        ["age", "encrypt", "-r", "$R", "-o", "out.age", "missing.txt"],
        ["age", "encrypt", "-R", "missing-recipients.txt", "in.txt"],
        ["age", "decrypt", "-i", "id.txt", "missing.age"],
        ["age", "decrypt", "-i", "missing-id.txt", "in.txt"],
        ["age", "keygen", "-y", "missing-id.txt"],
        ["minisign", "sign", "-s", "missing.sec", "in.txt"],
        ["minisign", "sign", "-s", "key.sec", "missing.txt"],
        ["minisign", "verify", "-p", "key.pub", "in.txt"],  // in.txt.minisig is missing
        ["minisign", "verify", "-p", "missing.pub", "in.txt"],
        ["minisign", "verify", "-p", "key.pub", "-x", "missing.minisig", "in.txt"],
        ["age", "decrypt", "-i", "id.txt", "-o", "out.txt", "-"],  // empty standard input: not an age file
        ["age", "decrypt", "-i", "in.txt", "in.txt"],  // not an identity file
        ["age", "encrypt", "-R", "in.txt", "in.txt"],  // not a recipients file
        ["age", "keygen", "-y", "in.txt"],
        ["minisign", "verify", "-p", "in.txt", "-x", "in.txt", "in.txt"],
        ["minisign", "sign", "-s", "in.txt", "in.txt"],
    ]

    @Test("missing or malformed files fail with exit 1 and one error line", arguments: missingFileCases)
    func missingOrMalformedFile(_ template: [String]) async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        try await Self.makeMinisignKey(dir)
        try dir.write("in.txt", "not a key, not an age file\n")
        let before = try dir.listing()
        let r = try await att(template.map { $0 == "$R" ? recipient : $0 }, in: dir.url)
        expectCLIError(r, status: 1)
        let after = try dir.listing()
        #expect(after == before, "a failed command created files: \(after)")
    }

    @Test("an empty ATT_REPORT_PASSPHRASE is refused, not used")
    func emptyPassphrase() async throws {
        let dir = try TempDirectory()
        try dir.write("in.txt", "x")
        let r = try await att(["age", "encrypt", "-p", "-o", dir.path("c.age"), dir.path("in.txt")], passphrase: "")
        expectCLIError(r, status: 1)
        #expect(!dir.exists("c.age"))
        try dir.write("empty-pass", "\n")
        let r2 = try await att(["age", "encrypt", "-p", "--passphrase-file", dir.path("empty-pass"), "-o", dir.path("c.age"), dir.path("in.txt")])
        expectCLIError(r2, status: 1)
        #expect(!dir.exists("c.age"))
    }

    // MARK: - Key files

    @Test("key files are created with mode 0600 (minisign public keys 0644)")
    func keyFileModes() async throws {
        let dir = try TempDirectory()
        try await attOK(["age", "keygen", "--unencrypted", "-o", dir.path("plain.txt")])
        try await attOK(["age", "keygen", "-o", dir.path("protected.age")], passphrase: "modes-pass")
        try await Self.makeMinisignKey(dir)
        #expect(try dir.mode("plain.txt") == 0o600)
        #expect(try dir.mode("protected.age") == 0o600)
        #expect(try dir.mode("key.sec") == 0o600)
        #expect(try dir.mode("key.pub") == 0o644)
        // No temporary files were left next to them.
        #expect(try dir.listing() == ["key.pub", "key.sec", "plain.txt", "protected.age"])
    }

    @Test("age keygen never overwrites an existing file", arguments: [true, false])
    func ageKeygenRefusesOverwrite(unencrypted: Bool) async throws {
        let dir = try TempDirectory()
        let original = "precious existing content\n"
        try dir.write("id.txt", original)
        let r = try await att(["age", "keygen"] + (unencrypted ? ["--unencrypted"] : []) + ["-o", dir.path("id.txt")])
        expectCLIError(r, status: 1)
        #expect(try dir.readText("id.txt") == original)
        #expect(try dir.listing() == ["id.txt"])
    }

    @Test("minisign keygen refuses to overwrite without -f and overwrites with -f")
    func minisignKeygenOverwrite() async throws {
        let dir = try TempDirectory()
        try await Self.makeMinisignKey(dir)
        let pub = try dir.read("key.pub"), sec = try dir.read("key.sec")
        // Either existing file blocks a new key pair.
        for (p, s) in [("key.pub", "fresh.sec"), ("fresh.pub", "key.sec"), ("key.pub", "key.sec")] {
            let r = try await att(["minisign", "keygen", "-W", "-p", dir.path(p), "-s", dir.path(s)])
            expectCLIError(r, status: 1)
            #expect(try dir.read("key.pub") == pub)
            #expect(try dir.read("key.sec") == sec)
            #expect(try dir.listing() == ["key.pub", "key.sec"])
        }
        try await attOK(["minisign", "keygen", "-W", "-f", "-p", dir.path("key.pub"), "-s", dir.path("key.sec")])
        #expect(try dir.read("key.pub") != pub)
        #expect(try dir.read("key.sec") != sec)
        #expect(try dir.mode("key.sec") == 0o600)
    }

    @Test("age keygen --unencrypted writes an age-keygen style file whose recipient keygen -y prints")
    func unencryptedIdentityFormat() async throws {
        let dir = try TempDirectory()
        let r = try await attOK(["age", "keygen", "--unencrypted", "-o", dir.path("id.txt")])
        let recipient = try #require(publicKeyNote(r))
        #expect(recipient.hasPrefix("age1") && recipient.count == 62, "\(recipient)")
        let text = try dir.readText("id.txt")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("# public key: \(recipient)"), "\(text)")
        #expect(lines.contains { $0.hasPrefix("# created: ") }, "\(text)")
        #expect(lines.filter { $0.hasPrefix("AGE-SECRET-KEY-1") }.count == 1, "\(text)")
        let y = try await attOK(["age", "keygen", "-y", dir.path("id.txt")])
        #expect(y.stdoutText == recipient + "\n")
        // -y also reads standard input.
        let y2 = try await attOK(["age", "keygen", "-y"], stdin: .bytes(try dir.read("id.txt")))
        #expect(y2.stdoutText == recipient + "\n")
        // Without -o the identity goes to standard output, the note to standard error.
        let s = try await attOK(["age", "keygen", "--unencrypted"])
        let note = try #require(publicKeyNote(s))
        #expect(s.stdoutText.contains("# public key: \(note)"))
        #expect(note != recipient)
    }

    // MARK: - Passphrase-protected identities

    @Test("protected identity: keygen, keygen -y, encrypt to it, decrypt with -i; wrong passphrase fails")
    func protectedIdentityRoundTrip() async throws {
        let dir = try TempDirectory()
        let pass = "correct horse battery staple"
        let k = try await attOK(["age", "keygen", "-o", dir.path("id.age")], passphrase: pass)
        let noted = try #require(publicKeyNote(k))
        let fileText = try dir.readText("id.age")
        #expect(fileText.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"), "\(fileText)")
        #expect(!fileText.contains("AGE-SECRET-KEY"))

        let y = try await attOK(["age", "keygen", "-y", dir.path("id.age")], passphrase: pass)
        let recipient = y.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient == noted)

        let plain = randomBytes(100_000)
        try dir.write("in.bin", plain)
        try await attOK(["age", "encrypt", "-r", recipient, "-o", dir.path("c.age"), dir.path("in.bin")])
        try await attOK(["age", "decrypt", "-i", dir.path("id.age"), "-o", dir.path("out.bin"), dir.path("c.age")], passphrase: pass)
        #expect(try dir.read("out.bin") == plain)

        // The identity file is an age file to that passphrase; its plaintext is an identity.
        let inner = try await attOK(["age", "decrypt", dir.path("id.age")], passphrase: pass)
        #expect(inner.stdoutText.contains("# public key: \(recipient)"))
        #expect(inner.stdoutText.contains("AGE-SECRET-KEY-1"))

        // Wrong passphrase: -y and decrypt fail with exit 1, and -o leaves nothing.
        let before = try dir.listing()
        expectCLIError(try await att(["age", "keygen", "-y", dir.path("id.age")], passphrase: pass + "!"), status: 1)
        expectCLIError(try await att(["age", "decrypt", "-i", dir.path("id.age"), "-o", dir.path("out2.bin"), dir.path("c.age")],
                                     passphrase: "wrong"), status: 1)
        #expect(try dir.listing() == before)
    }

    @Test("--passphrase-file takes precedence over the environment; CRLF is trimmed")
    func passphraseFile() async throws {
        let dir = try TempDirectory()
        try dir.write("pass.txt", "file passphrase\r\nsecond line ignored\n")
        let plain = randomBytes(1234)
        try dir.write("in.bin", plain)
        try await attOK(["age", "encrypt", "-p", "--passphrase-file", dir.path("pass.txt"), "-o", dir.path("c.age"), dir.path("in.bin")],
                        passphrase: "environment passphrase")
        let d = try await attOK(["age", "decrypt", dir.path("c.age")], passphrase: "file passphrase")
        #expect(d.stdout == plain)
        expectCLIError(try await att(["age", "decrypt", dir.path("c.age")], passphrase: "environment passphrase"), status: 1)
        let d2 = try await attOK(["age", "decrypt", "--passphrase-file", dir.path("pass.txt"), dir.path("c.age")], passphrase: "wrong")
        #expect(d2.stdout == plain)
    }

    // MARK: - Streams and armor

    @Test("encrypt and decrypt stream through standard input and output", arguments: [false, true])
    func streams(armor: Bool) async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        let plain = randomBytes(200_001)
        let e = try await attOK(["age", "encrypt", "-r", recipient] + (armor ? ["-a"] : []), stdin: .bytes(plain))
        let header = String(decoding: e.stdout.prefix(40), as: UTF8.self)
        #expect(header.hasPrefix(armor ? "-----BEGIN AGE ENCRYPTED FILE-----\n" : "age-encryption.org/v1\n"), "\(header)")
        #expect(e.stdout.count > plain.count)
        let d = try await attOK(["age", "decrypt", "-i", dir.path("id.txt"), "-"], stdin: .bytes(e.stdout))
        #expect(d.stdout == plain, "\(describeMismatch(d.stdout, plain))")
        if armor {
            let text = e.stdoutText
            #expect(text.hasSuffix("-----END AGE ENCRYPTED FILE-----\n"))
            #expect(text.split(separator: "\n").allSatisfy { $0.count <= 64 }, "armor lines must be at most 64 columns")
        }
    }

    @Test("encrypting to several -r and -R recipients lets each identity decrypt")
    func multipleRecipients() async throws {
        let dir = try TempDirectory()
        let a = try await Self.makeIdentity(dir, "a.txt")
        let b = try await Self.makeIdentity(dir, "b.txt")
        let c = try await Self.makeIdentity(dir, "c.txt")
        _ = try await Self.makeIdentity(dir, "outsider.txt")
        try dir.write("recipients.txt", "# comment line\n\(b)\n\n\(c)\n")
        let plain = randomBytes(4096)
        try dir.write("in.bin", plain)
        try await attOK(["age", "encrypt", "-r", a, "-R", dir.path("recipients.txt"), "-o", dir.path("c.age"), dir.path("in.bin")])
        for id in ["a.txt", "b.txt", "c.txt"] {
            let d = try await attOK(["age", "decrypt", "-i", dir.path(id), dir.path("c.age")])
            #expect(d.stdout == plain, "identity \(id)")
        }
        // Several -i: one matching identity among others is enough.
        let d = try await attOK(["age", "decrypt", "-i", dir.path("outsider.txt"), "-i", dir.path("c.txt"), dir.path("c.age")])
        #expect(d.stdout == plain)
        expectCLIError(try await att(["age", "decrypt", "-i", dir.path("outsider.txt"), dir.path("c.age")]), status: 1)
    }

    @Test("encryption is randomized: the same input gives different ciphertexts")
    func randomizedEncryption() async throws {
        let dir = try TempDirectory()
        let recipient = try await Self.makeIdentity(dir, "id.txt")
        let e1 = try await attOK(["age", "encrypt", "-r", recipient], stdin: .bytes(Array("same".utf8)))
        let e2 = try await attOK(["age", "encrypt", "-r", recipient], stdin: .bytes(Array("same".utf8)))
        #expect(e1.stdout != e2.stdout)
        #expect(e1.stdout.count == e2.stdout.count)
    }

    // MARK: - minisign commands

    @Test("minisign sign and verify: output text, -q, -P, -x, -c")
    func minisignSignVerify() async throws {
        let dir = try TempDirectory()
        try await Self.makeMinisignKey(dir)
        try dir.write("doc.bin", randomBytes(70_000))
        let comment = "report 2024 — Q3 (final)"
        try await attOK(["minisign", "sign", "-s", dir.path("key.sec"), "-t", comment, "-c", "my untrusted note",
                         "-x", dir.path("doc.sig"), dir.path("doc.bin")])
        #expect(!dir.exists("doc.bin.minisig"))
        let sig = try dir.readText("doc.sig")
        #expect(sig.hasPrefix("untrusted comment: my untrusted note\n"), "\(sig)")
        #expect(sig.contains("\ntrusted comment: \(comment)\n"), "\(sig)")

        let v = try await attOK(["minisign", "verify", "-p", dir.path("key.pub"), "-x", dir.path("doc.sig"), dir.path("doc.bin")])
        #expect(v.stdoutText == "Signature and comment signature verified\nTrusted comment: \(comment)\n")
        let q = try await attOK(["minisign", "verify", "-q", "-p", dir.path("key.pub"), "-x", dir.path("doc.sig"), dir.path("doc.bin")])
        #expect(q.stdout.isEmpty)
        let base64 = try #require(try dir.readText("key.pub").split(separator: "\n").last).trimmingCharacters(in: .whitespaces)
        let p = try await attOK(["minisign", "verify", "-P", base64, "-x", dir.path("doc.sig"), dir.path("doc.bin")])
        #expect(p.stdoutText == v.stdoutText)
    }

    @Test("comments with line breaks are refused and no signature is written", arguments: [
        ["-t", "first line\nsecond line"], ["-c", "note\ntrusted comment: forged"], ["-t", "carriage\rreturn"],
    ])
    func commentsWithLineBreaks(_ comment: [String]) async throws {
        let dir = try TempDirectory()
        try await Self.makeMinisignKey(dir)
        try dir.write("doc.txt", "content\n")
        let before = try dir.listing()
        let r = try await att(["minisign", "sign", "-s", dir.path("key.sec")] + comment + [dir.path("doc.txt")])
        #expect(r.status != 0, "a comment with a line break was accepted: \(r)")
        expectCLIError(r, status: r.status == 64 ? 64 : 1)
        let after = try dir.listing()
        #expect(after == before, "a signature file was written: \(after)")
    }

    @Test("minisign sign's default trusted comment names the file and a timestamp")
    func minisignDefaultComment() async throws {
        let dir = try TempDirectory()
        try await Self.makeMinisignKey(dir)
        try dir.write("annual-report.txt", "content\n")
        let start = Int(Date().timeIntervalSince1970)
        try await attOK(["minisign", "sign", "-s", dir.path("key.sec"), dir.path("annual-report.txt")])
        let v = try await attOK(["minisign", "verify", "-p", dir.path("key.pub"), dir.path("annual-report.txt")])
        let line = try #require(v.stdoutLines.last)
        #expect(line.hasPrefix("Trusted comment: timestamp:"), "\(line)")
        #expect(line.contains("file:annual-report.txt"), "\(line)")
        let stamp = line.dropFirst("Trusted comment: timestamp:".count).prefix { $0.isNumber }
        let value = try #require(Int(stamp))
        #expect(abs(value - start) < 300, "timestamp \(value) is not now (\(start))")
    }
}

/// Byte offsets in a binary age file, found by scanning its text header.
enum AgeFileLayout {
    /// Offset just past the "--- MAC\n" line, where the payload nonce starts.
    static func headerEnd(_ b: [UInt8]) -> Int? {
        guard let mac = macStart(b) else { return nil }
        guard let nl = b[mac...].firstIndex(of: 0x0A) else { return nil }
        return nl + 1
    }

    /// Offset of the first base64 character of the header MAC.
    static func macStart(_ b: [UInt8]) -> Int? {
        let marker = Array("\n--- ".utf8)
        guard let r = b.firstRange(of: marker) else { return nil }
        return r.upperBound
    }

    /// Offset of the first character of the first stanza's body line.
    static func firstStanzaBodyStart(_ b: [UInt8]) -> Int? {
        guard let r = b.firstRange(of: Array("\n-> ".utf8)) else { return nil }
        guard let nl = b[r.upperBound...].firstIndex(of: 0x0A) else { return nil }
        return nl + 1
    }
}
