import Foundation
import Testing
import TestSupport

/// Identities shared by the interop tests, generated once per test run by three different
/// implementations: #0 by `att-report age keygen --unencrypted`, #1…#114 by pyrage,
/// #115 by `age-keygen`.
actor AgeKeyPool {
    static let shared = AgeKeyPool()
    static let count = 116

    private var generation: Task<[AgeKey], Error>?

    func keys() async throws -> [AgeKey] {
        if let generation { return try await generation.value }
        let task = Task { try await Self.generate() }
        generation = task
        return try await task.value
    }

    private static func generate() async throws -> [AgeKey] {
        let dir = try TempDirectory("keys")
        let first = try await attOK(["age", "keygen", "--unencrypted"])
        let firstRecipient = try #require(publicKeyNote(first), "att-report keygen printed no public key: \(first)")

        let tool = try dir.script(InteropScripts.pyrageTool, as: "pyrage_tool.py")
        let py = try await runOK(try Tools.python3(), [tool, "keygen", String(count - 2)])
        let middle = try py.stdoutLines.map { line -> AgeKey in
            let parts = line.split(separator: " ").map(String.init)
            try #require(parts.count == 2 && parts[0].hasPrefix("AGE-SECRET-KEY-1") && parts[1].hasPrefix("age1"), "pyrage keygen line: \(line)")
            return AgeKey(identityFile: parts[0] + "\n", recipient: parts[1])
        }
        try #require(middle.count == count - 2)

        let last = try await runOK(try Tools.ageKeygen(), [])
        let lastRecipient = try #require(last.stderrText.split(separator: "\n").first { $0.hasPrefix("Public key: ") }
            .map { String($0.dropFirst("Public key: ".count)) }, "age-keygen printed no public key: \(last)")

        let keys = [AgeKey(identityFile: first.stdoutText, recipient: firstRecipient)] + middle
            + [AgeKey(identityFile: last.stdoutText, recipient: lastRecipient)]
        try #require(Set(keys.map(\.recipient)).count == count, "recipients are not distinct")
        return keys
    }
}

/// Live interoperability with the real `age` CLI (1.1) and pyrage, in both directions.
@Suite("age interop (age CLI, pyrage)")
struct AgeInteropTests {

    struct Case: Sendable, CustomTestStringConvertible {
        let size: Int
        let recipients: Int
        let armor: Bool
        var testDescription: String { "\(size) bytes, \(recipients) recipient(s), \(armor ? "armored" : "binary")" }
    }

    static let sizes = [0, 1, 65535, 65536, 65537, (1 << 20) + 1]
    static let cases: [Case] = sizes.flatMap { size in
        [1, AgeKeyPool.count].flatMap { n in [false, true].map { Case(size: size, recipients: n, armor: $0) } }
    }

    /// A prepared case: plaintext, the recipients file and the identity files that should
    /// decrypt (the first key, and for many recipients also the last).
    struct Setup {
        let dir: TempDirectory
        let plaintext: [UInt8]
        let keys: [AgeKey]
        let identityFiles: [String]
        let recipientsFile: String

        /// `-r R` for one recipient, `-R FILE` for many (the same flags for age and att-report).
        var recipientArgs: [String] { keys.count == 1 ? ["-r", keys[0].recipient] : ["-R", recipientsFile] }
        var plainPath: String { dir.path("plain.bin") }
        var cipherPath: String { dir.path("cipher.age") }

        init(_ c: Case) async throws {
            dir = try TempDirectory("interop")
            let pool = try await AgeKeyPool.shared.keys()
            keys = Array(pool.prefix(c.recipients))
            plaintext = randomBytes(c.size)
            try dir.write("plain.bin", plaintext)
            recipientsFile = try dir.write("recipients.txt", "# \(keys.count) recipients\n" + keys.map { $0.recipient + "\n" }.joined())
            var files = [try dir.write("id-first.txt", keys[0].identityFile)]
            if keys.count > 1 { files.append(try dir.write("id-last.txt", keys[keys.count - 1].identityFile)) }
            identityFiles = files
        }

        /// Checks the ciphertext's framing and that it grew by at least the tag overhead.
        func checkCiphertext(armor: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let c = try dir.read("cipher.age")
            let prefix = armor ? "-----BEGIN AGE ENCRYPTED FILE-----\n" : "age-encryption.org/v1\n"
            #expect(c.starts(with: Array(prefix.utf8)), "unexpected ciphertext start", sourceLocation: sourceLocation)
            #expect(c.count >= plaintext.count + 16 + 16, "ciphertext too short", sourceLocation: sourceLocation)
            if !armor {
                let stanzas = c.split(separator: 0x0A).prefix(while: { !$0.starts(with: Array("---".utf8)) })
                    .filter { $0.starts(with: Array("-> X25519 ".utf8)) }.count
                #expect(stanzas == keys.count, "expected one X25519 stanza per recipient", sourceLocation: sourceLocation)
            }
        }

        func checkDecrypted(_ name: String, by who: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let out = try dir.read(name)
            #expect(out == plaintext, "\(who): plaintext differs: \(describeMismatch(out, plaintext))", sourceLocation: sourceLocation)
        }
    }

    // MARK: - X25519 recipients, both directions, both tools

    @Test("att-report encrypt → age -d", arguments: cases)
    func attToAge(_ c: Case) async throws {
        let s = try await Setup(c)
        try await attOK(["age", "encrypt"] + s.recipientArgs + (c.armor ? ["-a"] : []) + ["-o", s.cipherPath, s.plainPath])
        try s.checkCiphertext(armor: c.armor)
        for id in s.identityFiles {
            // To standard output: age 1.1.1's -o creates no file at all for an empty plaintext.
            let d = try await runOK(try Tools.age(), ["-d", "-i", id, s.cipherPath])
            #expect(d.stdout == s.plaintext, "age -d with \(id): \(describeMismatch(d.stdout, s.plaintext))")
        }
    }

    @Test("age -e → att-report decrypt", arguments: cases)
    func ageToAtt(_ c: Case) async throws {
        let s = try await Setup(c)
        try await runOK(try Tools.age(), ["-e"] + s.recipientArgs + (c.armor ? ["-a"] : []) + ["-o", s.cipherPath, s.plainPath])
        try s.checkCiphertext(armor: c.armor)
        for (n, id) in s.identityFiles.enumerated() {
            try await attOK(["age", "decrypt", "-i", id, "-o", s.dir.path("out\(n)"), s.cipherPath])
            try s.checkDecrypted("out\(n)", by: "att-report decrypt with \(id)")
        }
    }

    @Test("att-report encrypt → pyrage.decrypt", arguments: cases)
    func attToPyrage(_ c: Case) async throws {
        let s = try await Setup(c)
        let tool = try s.dir.script(InteropScripts.pyrageTool, as: "pyrage_tool.py")
        try await attOK(["age", "encrypt"] + s.recipientArgs + (c.armor ? ["-a"] : []) + ["-o", s.cipherPath, s.plainPath])
        try s.checkCiphertext(armor: c.armor)
        for (n, id) in s.identityFiles.enumerated() {
            try await runOK(try Tools.python3(), [tool, "decrypt", id, s.cipherPath, s.dir.path("out\(n)")])
            try s.checkDecrypted("out\(n)", by: "pyrage.decrypt with \(id)")
        }
    }

    /// pyrage 1.4 has `encrypt(plaintext, recipients, armored=False)`, so armor is covered
    /// with pyrage as well as with age; `decrypt` detects armor by itself.
    @Test("pyrage.encrypt → att-report decrypt", arguments: cases)
    func pyrageToAtt(_ c: Case) async throws {
        let s = try await Setup(c)
        let tool = try s.dir.script(InteropScripts.pyrageTool, as: "pyrage_tool.py")
        try await runOK(try Tools.python3(), [tool, "encrypt"] + (c.armor ? ["--armor"] : []) + [s.recipientsFile, s.plainPath, s.cipherPath])
        try s.checkCiphertext(armor: c.armor)
        for (n, id) in s.identityFiles.enumerated() {
            try await attOK(["age", "decrypt", "-i", id, "-o", s.dir.path("out\(n)"), s.cipherPath])
            try s.checkDecrypted("out\(n)", by: "att-report decrypt with \(id)")
        }
    }

    @Test("the pyrage version in use has armor support")
    func pyrageVersion() async throws {
        let dir = try TempDirectory("pyrage")
        let tool = try dir.script(InteropScripts.pyrageTool, as: "pyrage_tool.py")
        let v = try await runOK(try Tools.python3(), [tool, "version"])
        let parts = v.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").compactMap { Int($0) }
        // armored= arrived in pyrage 1.2; this suite relies on it.
        #expect(parts.count >= 2 && (parts[0], parts[1]) >= (1, 2), "pyrage \(v.stdoutText) lacks armored=")
    }

    // MARK: - Passphrases (scrypt)

    /// Runs `age ARGS` under a pseudo-terminal that answers passphrase prompts with `passphrase`.
    static func ageOnTerminal(_ args: [String], passphrase: String, dir: TempDirectory) async throws -> (ProcessResult, prompts: Int) {
        let helper = try dir.script(InteropScripts.ptyRun, as: "ptyrun.py")
        let r = try await ProcessRunner.run(try Tools.python3(), [helper, "100", try Tools.age()] + args,
                                            environment: ["PTY_PASSPHRASE": passphrase])
        let line = r.stderrLines.last { $0.hasPrefix("ptyrun: prompts answered: ") }
        let prompts = line.flatMap { Int($0.dropFirst("ptyrun: prompts answered: ".count)) } ?? -1
        return (r, prompts)
    }

    @Test("att-report encrypt -p → age -d on a terminal; a wrong passphrase fails", arguments: [false, true])
    func attPassphraseToAge(armor: Bool) async throws {
        let dir = try TempDirectory("pass")
        let plain = randomBytes(70_000)
        try dir.write("plain.bin", plain)
        let pass = "att to age \(armor) ✓"
        try await attOK(["age", "encrypt", "-p"] + (armor ? ["-a"] : []) + ["-o", dir.path("c.age"), dir.path("plain.bin")], passphrase: pass)
        let text = String(decoding: try dir.read("c.age").prefix(200), as: UTF8.self)
        if !armor { #expect(text.contains("\n-> scrypt "), "\(text)") }

        let (ok, prompts) = try await Self.ageOnTerminal(["-d", "-o", dir.path("out.bin"), dir.path("c.age")], passphrase: pass, dir: dir)
        #expect(ok.status == 0, "\(ok)")
        #expect(prompts == 1, "age should ask once: \(ok)")
        #expect(try dir.read("out.bin") == plain)

        let (bad, _) = try await Self.ageOnTerminal(["-d", "-o", dir.path("bad.bin"), dir.path("c.age")], passphrase: pass + "x", dir: dir)
        #expect(bad.status != 0, "age accepted a wrong passphrase: \(bad)")
        #expect(bad.stderrText.contains("incorrect passphrase"), "\(bad)")
    }

    @Test("age -e -p on a terminal → att-report decrypt; a wrong passphrase fails", arguments: [false, true])
    func agePassphraseToAtt(armor: Bool) async throws {
        let dir = try TempDirectory("pass")
        let plain = randomBytes(65537)
        try dir.write("plain.bin", plain)
        let pass = "age to att \(armor)"
        let (enc, prompts) = try await Self.ageOnTerminal(["-e", "-p"] + (armor ? ["-a"] : []) + ["-o", dir.path("c.age"), dir.path("plain.bin")],
                                                          passphrase: pass, dir: dir)
        #expect(enc.status == 0, "\(enc)")
        #expect(prompts == 2, "age should ask and confirm: \(enc)")
        let head = String(decoding: try dir.read("c.age").prefix(40), as: UTF8.self)
        #expect(head.hasPrefix(armor ? "-----BEGIN AGE ENCRYPTED FILE-----" : "age-encryption.org/v1\n-> scrypt "), "\(head)")

        try await attOK(["age", "decrypt", "-o", dir.path("out.bin"), dir.path("c.age")], passphrase: pass)
        #expect(try dir.read("out.bin") == plain)
        let before = try dir.listing()
        expectCLIError(try await att(["age", "decrypt", "-o", dir.path("bad.bin"), dir.path("c.age")], passphrase: pass + " "), status: 1)
        #expect(try dir.listing() == before)
    }

    @Test("att-report encrypt -p -a → pyrage.passphrase.decrypt; pyrage.passphrase.encrypt → att-report decrypt")
    func pyragePassphrase() async throws {
        let dir = try TempDirectory("pass")
        let tool = try dir.script(InteropScripts.pyrageTool, as: "pyrage_tool.py")
        let plain = randomBytes(100_003)
        try dir.write("plain.bin", plain)
        let pass = "pyrage interop passphrase"

        try await attOK(["age", "encrypt", "-p", "-a", "-o", dir.path("a.age"), dir.path("plain.bin")], passphrase: pass)
        try await runOK(try Tools.python3(), [tool, "pdecrypt", dir.path("a.age"), dir.path("a.out")], environment: ["PYRAGE_PASSPHRASE": pass])
        #expect(try dir.read("a.out") == plain)

        try await runOK(try Tools.python3(), [tool, "pencrypt", dir.path("plain.bin"), dir.path("p.age")], environment: ["PYRAGE_PASSPHRASE": pass])
        let head = String(decoding: try dir.read("p.age").prefix(40), as: UTF8.self)
        #expect(head.hasPrefix("age-encryption.org/v1\n-> scrypt "), "\(head)")
        try await attOK(["age", "decrypt", "-o", dir.path("p.out"), dir.path("p.age")], passphrase: pass)
        #expect(try dir.read("p.out") == plain)
        expectCLIError(try await att(["age", "decrypt", dir.path("p.age")], passphrase: "not " + pass), status: 1)
    }

    // MARK: - Identity files

    @Test("age-keygen -y reads att-report's unencrypted identity and agrees with att-report keygen -y")
    func unencryptedIdentityWithAgeKeygen() async throws {
        let dir = try TempDirectory("keys")
        let k = try await attOK(["age", "keygen", "--unencrypted", "-o", dir.path("att.txt")])
        let noted = try #require(publicKeyNote(k))
        let viaAge = try await runOK(try Tools.ageKeygen(), ["-y", dir.path("att.txt")])
        let viaAtt = try await attOK(["age", "keygen", "-y", dir.path("att.txt")])
        #expect(viaAge.stdoutText == noted + "\n")
        #expect(viaAtt.stdoutText == viaAge.stdoutText)

        // And the other way: att-report reads age-keygen's file.
        try await runOK(try Tools.ageKeygen(), ["-o", dir.path("age.txt")])
        let a = try await runOK(try Tools.ageKeygen(), ["-y", dir.path("age.txt")])
        let b = try await attOK(["age", "keygen", "-y", dir.path("age.txt")])
        #expect(a.stdoutText.hasPrefix("age1"))
        #expect(b.stdoutText == a.stdoutText)
        #expect(a.stdoutText != viaAge.stdoutText)
    }

    @Test("age -d -i reads att-report's passphrase-protected identity file (on a terminal)")
    func protectedIdentityWithAge() async throws {
        let dir = try TempDirectory("keys")
        let pass = "protects the identity"
        let k = try await attOK(["age", "keygen", "-o", dir.path("id.age")], passphrase: pass)
        let recipient = try #require(publicKeyNote(k))
        let plain = randomBytes(65536)
        try dir.write("plain.bin", plain)
        try await attOK(["age", "encrypt", "-r", recipient, "-o", dir.path("c.age"), dir.path("plain.bin")])

        let (ok, prompts) = try await Self.ageOnTerminal(["-d", "-i", dir.path("id.age"), "-o", dir.path("out.bin"), dir.path("c.age")],
                                                         passphrase: pass, dir: dir)
        #expect(ok.status == 0, "\(ok)")
        #expect(prompts == 1, "\(ok)")
        #expect(ok.stderrText.contains("identity file"), "age should ask for the identity file's passphrase: \(ok)")
        #expect(try dir.read("out.bin") == plain)

        let (bad, _) = try await Self.ageOnTerminal(["-d", "-i", dir.path("id.age"), "-o", dir.path("bad.bin"), dir.path("c.age")],
                                                    passphrase: "wrong", dir: dir)
        #expect(bad.status != 0, "age accepted a wrong identity passphrase: \(bad)")
    }

    // MARK: - Output files

    /// Runs `executable args` with umask 077 (through /bin/sh, as Process cannot set it).
    static func withUmask077(_ executable: String, _ args: [String], passphrase: String = defaultPassphrase) async throws -> ProcessResult {
        try await ProcessRunner.run("/bin/sh", ["-c", "umask 077 && exec \"$0\" \"$@\"", executable] + args,
                                    environment: ["ATT_REPORT_PASSPHRASE": passphrase])
    }

    @Test("decrypt -o respects the umask as age does (a private plaintext stays private)")
    func outputModeFollowsUmask() async throws {
        let dir = try TempDirectory("umask")
        let keys = try await AgeKeyPool.shared.keys()
        let id = try dir.write("id.txt", keys[0].identityFile)
        try dir.write("plain.bin", randomBytes(100))
        try await attOK(["age", "encrypt", "-r", keys[0].recipient, "-o", dir.path("c.age"), dir.path("plain.bin")])

        let g = try await Self.withUmask077(try Tools.age(), ["-d", "-i", id, "-o", dir.path("by-age.out"), dir.path("c.age")])
        #expect(g.status == 0, "\(g)")
        let a = try await Self.withUmask077(try Tools.attReport(), ["age", "decrypt", "-i", id, "-o", dir.path("by-att.out"), dir.path("c.age")])
        #expect(a.status == 0, "\(a)")
        let ageMode = try dir.mode("by-age.out")
        #expect(ageMode & 0o077 == 0, "age itself should honour umask 077 (mode \(String(ageMode, radix: 8)))")
        #expect(try dir.read("by-att.out") == (try dir.read("plain.bin")))
        // Known bug: AtomicFileSink fchmods every -o file to 0644 (Files.output's default), ignoring the
        // umask, so under umask 077 a decrypted report becomes world-readable where age's is 0600.
        let attMode = try dir.mode("by-att.out")
        #expect(attMode == ageMode, "att-report wrote mode \(String(attMode, radix: 8)), age \(String(ageMode, radix: 8))")
    }

    // MARK: - Tampering

    enum Producer: String, CaseIterable, Sendable { case attReport, age }
    enum Damage: String, CaseIterable, Sendable { case payloadByte, lastPayloadByte, headerMAC, truncatedChunk }

    @Test("damaged ciphertext is rejected by att-report, age and pyrage", arguments: Producer.allCases, Damage.allCases)
    func tamperedCiphertext(_ producer: Producer, _ damage: Damage) async throws {
        let dir = try TempDirectory("tamper")
        let keys = try await AgeKeyPool.shared.keys()
        let key = keys[keys.count - 1]
        let id = try dir.write("id.txt", key.identityFile)
        let plain = randomBytes(2 * 65536 + 7)
        try dir.write("plain.bin", plain)
        let c = dir.path("c.age")
        switch producer {
        case .attReport: try await attOK(["age", "encrypt", "-r", key.recipient, "-o", c, dir.path("plain.bin")])
        case .age: try await runOK(try Tools.age(), ["-e", "-r", key.recipient, "-o", c, dir.path("plain.bin")])
        }
        var bytes = try dir.read("c.age")
        let headerEnd = try #require(AgeFileLayout.headerEnd(bytes))
        switch damage {
        case .payloadByte: bytes[headerEnd + 16 + 100] ^= 0x40
        case .lastPayloadByte: bytes[bytes.count - 1] ^= 0x01
        case .headerMAC:
            let mac = try #require(AgeFileLayout.macStart(bytes))
            bytes[mac + 1] = bytes[mac + 1] == UInt8(ascii: "Q") ? UInt8(ascii: "R") : UInt8(ascii: "Q")
        case .truncatedChunk: bytes = Array(bytes[..<(headerEnd + 16 + 65536 + 16)])  // drop the last two chunks
        }
        try dir.write("bad.age", bytes)
        let tool = try dir.script(InteropScripts.pyrageTool, as: "pyrage_tool.py")

        // The undamaged file decrypts with every tool, so each rejection is caused by the damage.
        try await attOK(["age", "decrypt", "-i", id, "-o", dir.path("good.att"), c])
        try await runOK(try Tools.age(), ["-d", "-i", id, "-o", dir.path("good.age"), c])
        try await runOK(try Tools.python3(), [tool, "decrypt", id, c, dir.path("good.py")])
        for name in ["good.att", "good.age", "good.py"] { #expect(try dir.read(name) == plain, "\(name)") }

        let a = try await att(["age", "decrypt", "-i", id, "-o", dir.path("bad.att"), dir.path("bad.age")])
        expectCLIError(a, status: 1)
        #expect(!dir.exists("bad.att"))
        let g = try await ProcessRunner.run(try Tools.age(), ["-d", "-i", id, "-o", dir.path("bad.out"), dir.path("bad.age")])
        #expect(g.status != 0, "age accepted damaged ciphertext: \(g)")
        let p = try await ProcessRunner.run(try Tools.python3(), [tool, "decrypt", id, dir.path("bad.age"), dir.path("bad.py")])
        #expect(p.status != 0, "pyrage accepted damaged ciphertext: \(p)")
    }
}
