import Crypto
import Foundation

struct MinisignKeygen: Command {
    static let name = "keygen"
    static let summary = "generate a minisign key pair (secret key passphrase-protected unless -W)"
    static let usage = "-p PUB -s SEC [-W] [-f]"
    static let options: [Option] = [
        Option(["-p", "--public-key"], value: "PUB", help: "public key file to write"),
        Option(["-s", "--secret-key"], value: "SEC", help: "secret key file to write (mode 0600)"),
        Option(["-W", "--unencrypted"], help: "do not encrypt the secret key with a passphrase"),
        Option(["-f", "--force"], help: "overwrite existing key files"),
        Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        guard let pub = args.value("-p"), let sec = args.value("-s") else { throw UsageError("both -p PUB and -s SEC are required") }
        guard pub != sec else { throw UsageError("-p and -s name the same file") }
        let force = args.has("-f")
        if !force {
            for p in [pub, sec] where FileManager.default.fileExists(atPath: p) {
                throw Failure("\(p) already exists; use -f to overwrite it")
            }
        }
        let passphrase = args.has("-W") ? nil : try Passphrase.new(args, prompt: "Passphrase to protect the secret key: ")
        let key = try MinisignSecretKey.generate()
        var secretText = Array(try key.encodeFile(passphrase: passphrase).utf8)
        defer { secureZero(&secretText) }
        // Both files are written to temporary files first, so a bad path fails before
        // anything appears; if the public key cannot be put in place, the secret key goes too.
        let secretFile = try AtomicFileSink(path: sec, mode: 0o600, overwrite: force)
        let publicFile = try AtomicFileSink(path: pub, mode: 0o644, overwrite: force)
        try secretFile.write(secretText)
        try publicFile.write(Array(key.publicKey.encodeFile().utf8))
        try secretFile.commit()
        do { try publicFile.commit() } catch { unlink(sec); throw error }
        CLI.note("Key id \(key.publicKey.keyIDString). The public key is in \(pub); files signed with it verify with:")
        CLI.note("  att-report minisign verify -p \(pub) FILE    or    minisign -Vm FILE -P \(key.publicKey.base64)")
    }
}

struct MinisignSign: Command {
    static let name = "sign"
    static let summary = "sign a file (prehashed ED signature with a trusted comment)"
    static let usage = "-s SEC [-t COMMENT] [-c UNTRUSTED] [-x SIG] FILE"
    static let options: [Option] = [
        Option(["-s", "--secret-key"], value: "SEC", help: "secret key file"),
        Option(["-t", "--trusted-comment"], value: "COMMENT", help: "trusted (signed) comment; default: timestamp, file name"),
        Option(["-c", "--untrusted-comment"], value: "TEXT", help: "untrusted comment"),
        Option(["-x", "--signature"], value: "SIG", help: "signature file to write; default FILE.minisig"),
        Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        let files = try args.positionals(max: 1)
        guard let file = files.first else { throw UsageError("name the FILE to sign") }
        guard let sec = args.value("-s") else { throw UsageError("-s SEC is required") }
        let keyBytes = try readSmallFile(sec, limit: 4096)
        let key = try MinisignSecretKey.load(keyBytes) {
            try Passphrase.read(args, prompt: "Passphrase for secret key \(sec): ")
        }
        for (flag, text) in [("-t", args.value("-t")), ("-c", args.value("-c"))] {
            if let text, text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                throw UsageError("\(flag): a comment cannot contain line breaks or NUL")
            }
        }
        let name = (file as NSString).lastPathComponent
        let trusted = args.value("-t") ?? MinisignSignature.defaultTrustedComment(fileName: name, timestamp: Int(Date().timeIntervalSince1970))
        let untrusted = args.value("-c") ?? "signature from minisign secret key"
        let signature = try MinisignSignature.sign(try FileSource(path: file), with: key, trustedComment: trusted, untrustedComment: untrusted)
        try AtomicFileSink.write(Array(signature.encodeFile().utf8), to: args.value("-x") ?? file + ".minisig")
    }
}

struct MinisignVerify: Command {
    static let name = "verify"
    static let summary = "verify a file's minisign signature and print its trusted comment"
    static let usage = "(-p PUB | -P KEY) [-x SIG] [--allow-legacy] [-q] FILE"
    static let options: [Option] = [
        Option(["-p", "--public-key"], value: "PUB", help: "public key file"),
        Option(["-P", "--public-key-string"], value: "KEY", help: "public key as its base64 line"),
        Option(["-x", "--signature"], value: "SIG", help: "signature file; default FILE.minisig"),
        Option(["--allow-legacy"], help: "also accept legacy (non-prehashed Ed) signatures"),
        Option(["-q", "--quiet"], help: "print nothing on success"),
    ]

    static func run(_ args: ParsedArguments) throws {
        let files = try args.positionals(max: 1)
        guard let file = files.first else { throw UsageError("name the FILE to verify") }
        let key: MinisignPublicKey
        switch (args.value("-p"), args.value("-P")) {
        case let (path?, nil): key = try MinisignPublicKey(parsing: try readSmallFile(path, limit: 4096))
        case let (nil, text?): key = try MinisignPublicKey(base64: text)
        default: throw UsageError("give exactly one of -p PUB or -P KEY")
        }
        let signature = try MinisignSignature(parsing: try readSmallFile(args.value("-x") ?? file + ".minisig", limit: 16 * 1024))
        let trusted = try signature.verify(try FileSource(path: file), with: key, allowLegacy: args.has("--allow-legacy"))
        if !args.has("-q") {
            FileHandle.standardOutput.write(Data("Signature and comment signature verified\nTrusted comment: \(trusted)\n".utf8))
        }
    }
}
