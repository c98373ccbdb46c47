/// age's passphrase recipients and identities: the `scrypt` stanza.
public enum AgeScrypt {
    static let stanzaType = "scrypt"
    static let saltLabel = Array("age-encryption.org/v1/scrypt".utf8)
    /// What we write: 2^18, about a second, as age does.
    public static let defaultWorkFactor = 18
    /// What we accept: above 2^22 a hostile file could make us spin for minutes.
    public static let maxWorkFactor = 22

    static func wrapKey(passphrase: SecureBytes, salt: [UInt8], logN: Int) throws -> SecureBytes {
        let key = SecureBytes(count: 32)
        let fullSalt = saltLabel + salt
        try passphrase.withUnsafeBytes { p in
            try fullSalt.withUnsafeBytes { s in
                try key.withUnsafeMutableBytes { try Sodium.scrypt(password: p, salt: s, n: 1 << UInt64(logN), r: 8, p: 1, into: $0) }
            }
        }
        return key
    }
}

public struct AgeScryptRecipient: AgeRecipient {
    private let passphrase: SecureBytes
    private let workFactor: Int

    public init(passphrase: SecureBytes, workFactor: Int = AgeScrypt.defaultWorkFactor) {
        precondition(workFactor >= 1 && workFactor <= 30)
        self.passphrase = passphrase; self.workFactor = workFactor
    }

    public var label: String { "scrypt passphrase" }
    public var mustBeAlone: Bool { true }

    public func wrap(fileKey: SecureBytes) throws -> [AgeStanza] {
        let salt = randomBytes(16)
        let key = try AgeScrypt.wrapKey(passphrase: passphrase, salt: salt, logN: workFactor)
        let body = try AgeFileKey.wrap(fileKey, wrapKey: key)
        return [AgeStanza(type: AgeScrypt.stanzaType, arguments: [Base64.encode(salt, padded: false), String(workFactor)], body: body)]
    }
}

public struct AgeScryptIdentity: AgeIdentity {
    /// Called only when the header holds a well-formed scrypt stanza, so a CLI can ask for
    /// the passphrase lazily.
    private let passphrase: () throws -> SecureBytes
    private let maxWorkFactor: Int

    public init(maxWorkFactor: Int = AgeScrypt.maxWorkFactor, passphrase: @escaping () throws -> SecureBytes) {
        self.passphrase = passphrase; self.maxWorkFactor = maxWorkFactor
    }

    public var label: String { "passphrase" }
    public var stanzaType: String { AgeScrypt.stanzaType }

    public func unwrap(stanzas: [AgeStanza]) throws -> SecureBytes? {
        for stanza in stanzas where stanza.type == AgeScrypt.stanzaType {
            guard stanzas.count == 1 else { throw AgeError.header("an scrypt stanza must be the only stanza") }
            let (salt, logN) = try AgeScryptIdentity.validate(stanza, maxWorkFactor: maxWorkFactor)
            let key = try AgeScrypt.wrapKey(passphrase: try passphrase(), salt: salt, logN: logN)
            if let fileKey = try AgeFileKey.unwrap(stanza.body, wrapKey: key) { return fileKey }
        }
        return nil
    }

    /// Checks an scrypt stanza's structure; returns its salt and work factor.
    static func validate(_ stanza: AgeStanza, maxWorkFactor: Int = AgeScrypt.maxWorkFactor) throws -> (salt: [UInt8], logN: Int) {
        guard stanza.arguments.count == 2 else { throw AgeError.header("scrypt stanza must have exactly two arguments") }
        guard let salt = Base64.decode(stanza.arguments[0], padded: false), salt.count == 16 else {
            throw AgeError.header("scrypt salt must be canonical base64 of 16 bytes")
        }
        let logN = try parseWorkFactor(stanza.arguments[1])
        guard logN <= maxWorkFactor else {
            throw AgeError.header("scrypt work factor 2^\(logN) is over the limit of 2^\(maxWorkFactor)")
        }
        guard stanza.body.count == AgeFileKey.length + 16 else {
            throw AgeError.header("scrypt stanza body is \(stanza.body.count) bytes, not 32")
        }
        return (salt, logN)
    }

    /// `^[1-9][0-9]*$`, and small enough to be a real exponent.
    static func parseWorkFactor(_ s: String) throws -> Int {
        let b = Array(s.utf8)
        guard let first = b.first, first >= 0x31, first <= 0x39, b.count <= 2,
              b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(s) else {
            throw AgeError.header("scrypt work factor \"\(AgeHeader.printable(b))\" is not a decimal number from 1 to 99")
        }
        return v
    }
}
