import Crypto
import Foundation

struct AgeKeygen: Command {
    static let name = "keygen"
    static let summary = "generate an X25519 identity (passphrase-protected unless --unencrypted)"
    static let usage = "[-o FILE] [--unencrypted] | -y [FILE]"
    static let options: [Option] = [
        Option(["-o", "--output"], value: "FILE", help: "write the identity to FILE (mode 0600, never overwritten)"),
        Option(["--unencrypted"], help: "write the identity in the clear, as age-keygen does"),
        Option(["-y"], help: "print the recipients of the identity file FILE (or standard input)"),
        Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        if args.has("-y") {
            let input = try args.positionals(max: 1).first
            let bytes = try Files.input(input).readAll(limit: AgeKeyFiles.maxFileSize)
            let identities = try loadIdentities(bytes, name: input ?? "standard input", args: args)
            let out = identities.map { $0.recipient.encoded + "\n" }.joined()
            FileHandle.standardOutput.write(Data(out.utf8))
            return
        }
        _ = try args.positionals(max: 0)
        let identity = try AgeX25519Identity.generate()
        var text = AgeKeyFiles.encodeIdentity(identity, created: Files.timestamp())
        defer { secureZero(&text) }
        let path = args.value("-o")
        let output = try Files.output(path, mode: 0o600, overwrite: false)
        if args.has("--unencrypted") {
            try output.sink.write(text)
        } else {
            // A passphrase-protected identity is an armored age file to an scrypt recipient;
            // `age -d -i FILE` reads it too.
            let passphrase = try Passphrase.new(args, prompt: "Passphrase to protect the new identity: ")
            try Age.encrypt(from: MemorySource(text), to: output.sink,
                            recipients: [AgeScryptRecipient(passphrase: passphrase)], armor: true)
        }
        try output.commit()
        if path != nil || !Files.stdoutIsTerminal() {
            CLI.note("Public key: \(identity.recipient.encoded)")
        }
    }

    /// Reads identities from a plain or passphrase-protected identity file.
    static func loadIdentities(_ bytes: [UInt8], name: String, args: ParsedArguments) throws -> [AgeX25519Identity] {
        guard AgeKeyFiles.isEncrypted(bytes) else { return try AgeKeyFiles.parseIdentities(bytes, name: name) }
        let plain = MemorySink()
        let unlock = AgeScryptIdentity { try Passphrase.read(args, prompt: "Passphrase for identity file \(name): ") }
        do {
            try Age.decrypt(from: MemorySource(bytes), to: plain, identities: [unlock])
        } catch AgeError.noMatchingIdentity {
            throw Failure("\(name): wrong passphrase, or the identity file is not passphrase-protected")
        }
        var text = plain.bytes
        defer { secureZero(&text) }
        return try AgeKeyFiles.parseIdentities(text, name: name)
    }
}

struct AgeEncrypt: Command {
    static let name = "encrypt"
    static let summary = "encrypt to age recipients or with a passphrase"
    static let usage = "(-r RECIPIENT | -R FILE)... | -p  [-a] [-o OUT] [IN]"
    static let options: [Option] = [
        Option(["-r", "--recipient"], value: "RECIPIENT", repeatable: true, help: "encrypt to an age1… recipient (repeatable)"),
        Option(["-R", "--recipients-file"], value: "FILE", repeatable: true, help: "encrypt to the recipients listed in FILE (repeatable)"),
        Option(["-p", "--passphrase"], help: "encrypt with a passphrase (alone)"),
        Option(["-a", "--armor"], help: "write PEM-style ASCII armor"),
        Option(["-o", "--output"], value: "OUT", help: "write to OUT (appears only when complete) instead of standard output"),
        Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        let input = try args.positionals(max: 1).first
        if args.has("-p"), !args.all("-r").isEmpty || !args.all("-R").isEmpty {
            throw UsageError("-p cannot be combined with -r or -R")
        }
        var recipients: [AgeRecipient] = []
        for r in args.all("-r") {
            guard let parsed = try? AgeX25519Recipient(parsing: r) else { throw UsageError("\"\(r)\" is not an age recipient (age1…)") }
            recipients.append(parsed)
        }
        for f in args.all("-R") {
            recipients += try AgeKeyFiles.parseRecipients(try readSmallFile(f, limit: AgeKeyFiles.maxFileSize), name: f)
        }
        if args.has("-p") {
            recipients.append(AgeScryptRecipient(passphrase: try Passphrase.new(args, prompt: "Passphrase: ")))
        }
        guard !recipients.isEmpty else { throw UsageError("give at least one -r, -R or -p") }
        let path = args.value("-o")
        if path == nil, !args.has("-a"), Files.stdoutIsTerminal() {
            throw UsageError("refusing to write binary ciphertext to a terminal; use -a or -o")
        }
        let source = try Files.input(input)
        let output = try Files.output(path)
        try Age.encrypt(from: source, to: output.sink, recipients: recipients, armor: args.has("-a"))
        try output.commit()
    }
}

struct AgeDecrypt: Command {
    static let name = "decrypt"
    static let summary = "decrypt an age file (armor is detected; a passphrase is asked for when needed)"
    static let usage = "[-i IDENTITY]... [-o OUT] [IN]"
    static let options: [Option] = [
        Option(["-i", "--identity"], value: "IDENTITY", repeatable: true, help: "an identity file, plain or passphrase-protected (repeatable)"),
        Option(["-o", "--output"], value: "OUT", help: "write to OUT, which appears only if decryption succeeds"),
        Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        let input = try args.positionals(max: 1).first
        var identities: [AgeIdentity] = []
        for path in args.all("-i") {
            let bytes = try readSmallFile(path, limit: AgeKeyFiles.maxFileSize)
            identities += try AgeKeygen.loadIdentities(bytes, name: path, args: args)
        }
        // Asked for only if the file has a (well-formed) scrypt stanza.
        identities.append(AgeScryptIdentity { try Passphrase.read(args, prompt: "Passphrase: ") })
        let source = try Files.input(input)
        let output = try Files.output(args.value("-o"))
        do {
            try Age.decrypt(from: source, to: output.sink, identities: identities)
        } catch AgeError.noMatchingIdentity where args.all("-i").isEmpty {
            throw Failure("the file is not passphrase-encrypted and no identity was given (-i)")
        }
        try output.commit()
    }
}
