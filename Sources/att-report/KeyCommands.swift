import Crypto
import Foundation
import Vault

/// Options shared by commands that use the keystore.
enum KeystoreOptions {
    static let home = Option(["--home"], value: "DIR", help: "keystore directory (default $ATT_REPORT_HOME, else ~/.att-report)")
    static func keystore(_ args: ParsedArguments) -> Keystore {
        Keystore(home: args.value("--home").map { URL(fileURLWithPath: $0) } ?? Keystore.defaultHome())
    }
    static func party(_ args: ParsedArguments, required: Bool = true) throws -> PartyCode? {
        guard let p = args.value("--party") else {
            if required { throw UsageError("--party CODE is required") }
            return nil
        }
        guard let code = try? PartyCode(p) else { throw UsageError("--party: \"\(p)\" is not a three-letter party code") }
        return code
    }
    /// `--party`, or the only party whose keys are in the keystore.
    static func partyOrOnly(_ args: ParsedArguments) throws -> PartyCode {
        if let p = try party(args, required: false) { return p }
        let parties = keystore(args).parties()
        guard parties.count == 1 else {
            throw UsageError(parties.isEmpty ? "--party CODE is required (the keystore holds no keys)"
                                             : "--party CODE is required (the keystore holds keys of \(parties.map(\.rawValue).joined(separator: ", ")))")
        }
        return parties[0]
    }

    static func time(_ text: String?, flag: String) throws -> UTCTime? {
        guard let text else { return nil }
        guard let t = try? UTCTime(parsing: text) else { throw UsageError("\(flag): \"\(text)\" is not a time like 2026-12-04T10:00:00Z") }
        return t
    }
}

struct Keygen: Command {
    static let name = "keygen"
    static let summary = "generate a party key (signing + encryption) in the keystore; prints its fingerprint"
    static let usage = "--party CODE [--label LABEL] [--expires TIME] [--unencrypted] [--home DIR]"
    static let options: [Option] = [
        Option(["--party"], value: "CODE", help: "the party the key speaks for (e.g. FRA)"),
        Option(["--label"], value: "LABEL", help: "a name for this key, e.g. officer-1 (default: key-<date>)"),
        Option(["--expires"], value: "TIME", help: "expiry, e.g. 2028-12-31T23:59:59Z"),
        Option(["--unencrypted"], help: "store the secret halves without a passphrase (examples and tests only)"),
        KeystoreOptions.home,
        Passphrase.fileOption,
    ]

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let party = try KeystoreOptions.party(args)!
        let now = UTCTime(seconds: Int64(Date().timeIntervalSince1970))
        let label = args.value("--label") ?? "key-" + String(now.description.prefix(10))
        guard PartyKey.isValidLabel(label) else { throw UsageError("--label: use a-z, 0-9 and '-', up to 32 characters") }
        let expires = try KeystoreOptions.time(args.value("--expires"), flag: "--expires")
        if let expires, expires <= now { throw UsageError("--expires is in the past") }
        let passphrase = args.has("--unencrypted") ? nil : try Passphrase.new(args, prompt: "Passphrase to protect the new key: ")
        let store = KeystoreOptions.keystore(args)
        let key = try store.generate(party: party, label: label, passphrase: passphrase, created: now, expires: expires)
        let out = """
            Party:       \(party)
            Label:       \(label)
            Key id:      \(key.keyID)
            Signing key: \(key.signingKey.base64)
            Recipient:   \(key.recipient.encoded)
            Fingerprint: \(key.fingerprint)
            Stored in:   \(store.home.path)/keys/\(party)/\(label).*

            Send the fingerprint to the Secretariat out of band (Note Verbale) before enrolling.

            """
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
