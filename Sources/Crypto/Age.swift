/// age v1 encryption and decryption, streaming from a source to a sink.
public enum Age {
    /// Encrypts `source` to `recipients`, writing the age file (armored if asked) to `sink`.
    public static func encrypt(from source: ByteSource, to sink: ByteSink, recipients: [AgeRecipient],
                               armor: Bool = false) throws {
        guard !recipients.isEmpty else { throw AgeError.usage("no recipients given") }
        if recipients.contains(where: \.mustBeAlone), recipients.count > 1 {
            throw AgeError.usage("a passphrase cannot be combined with other recipients")
        }
        let fileKey = AgeFileKey.generate()
        var stanzas: [AgeStanza] = []
        for r in recipients { stanzas += try r.wrap(fileKey: fileKey) }
        var header = AgeHeader(stanzas: stanzas)
        header.mac = try AgeHeader.computeMAC(fileKey: fileKey, macInput: header.encodeWithoutMAC())
        let armorer = armor ? ArmorEncoder(sink) : nil
        let out: ByteSink = armorer ?? sink
        try out.write(header.encode())
        try encryptPayload(from: source, to: out, fileKey: fileKey)
        try armorer?.finish()
    }

    /// Writes the payload nonce and the STREAM for a file key (used by encrypt, and by
    /// tests that re-encrypt with a vector's file key).
    public static func encryptPayload(from source: ByteSource, to sink: ByteSink, fileKey: SecureBytes,
                                      nonce: [UInt8]? = nil) throws {
        let nonce = nonce ?? randomBytes(16)
        precondition(nonce.count == 16)
        try sink.write(nonce)
        var stream = STREAM(key: try STREAM.payloadKey(fileKey: fileKey, nonce: nonce))
        try stream.encrypt(from: source, to: sink)
    }

    /// Reads and checks a header from `source`, returning the file key. The source is left
    /// positioned at the payload nonce.
    public static func decryptHeader(from source: BufferedSource, identities: [AgeIdentity]) throws -> SecureBytes {
        let bytes = try readHeaderBytes(source)
        let (header, macInput) = try AgeHeader.parse(bytes)
        // Every stanza of a type we implement is checked before any trial decryption, so
        // the verdict does not depend on the identities given or the order of stanzas.
        for stanza in header.stanzas {
            switch stanza.type {
            case AgeX25519Recipient.stanzaType: _ = try AgeX25519Identity.validate(stanza)
            case AgeScrypt.stanzaType:
                guard header.stanzas.count == 1 else { throw AgeError.header("an scrypt stanza must be the only stanza") }
                _ = try AgeScryptIdentity.validate(stanza)
            default: continue  // unknown types are skipped
            }
        }
        var fileKey: SecureBytes?
        for identity in identities {
            if let key = try identity.unwrap(stanzas: header.stanzas) { fileKey = key; break }
        }
        guard let fileKey else {
            // Name only the identities that had stanzas of their type to try.
            let types = Set(header.stanzas.map(\.type))
            throw AgeError.noMatchingIdentity(tried: identities.filter { types.contains($0.stanzaType) }.map(\.label))
        }
        let mac = try AgeHeader.computeMAC(fileKey: fileKey, macInput: macInput)
        guard constantTimeEqual(mac, header.mac) else { throw AgeError.headerMAC }
        return fileKey
    }

    /// Decrypts `source` (binary or, when `armored`, armor) to `sink`. Plaintext reaches
    /// `sink` chunk by chunk, each authenticated; the whole is final only when this returns.
    public static func decrypt(from source: ByteSource, to sink: ByteSink, identities: [AgeIdentity],
                               armored: Bool? = nil, chunksPerBatch: Int = STREAM.defaultBatch) throws {
        let raw = source as? BufferedSource ?? BufferedSource(source)
        let isArmored = try armored ?? AgeArmor.looksArmored(raw)
        let input = isArmored ? BufferedSource(ArmorDecoder(raw)) : raw
        let fileKey = try decryptHeader(from: input, identities: identities)
        var nonce = [UInt8](repeating: 0, count: 16)
        let got = try nonce.withUnsafeMutableBytes { try input.readFull(into: $0) }
        guard got == 16 else { throw AgeError.header("file ends inside the payload nonce") }
        var stream = STREAM(key: try STREAM.payloadKey(fileKey: fileKey, nonce: nonce), chunksPerBatch: chunksPerBatch)
        try stream.decrypt(from: input, to: sink)
    }

    /// Header bytes up to and including the MAC line's newline, with line and size limits.
    static func readHeaderBytes(_ source: BufferedSource) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            switch try source.readLine(maxLength: AgeHeader.maxLineLength) {
            case .endOfInput:
                throw AgeError.header(bytes.isEmpty ? "input is empty" : "header ends before the MAC line")
            case .tooLong:
                throw AgeError.header("a header line is longer than \(AgeHeader.maxLineLength) bytes")
            case let .line(line):
                bytes += line
                guard bytes.count <= AgeHeader.maxHeaderLength else {
                    throw AgeError.header("header is longer than \(AgeHeader.maxHeaderLength) bytes")
                }
                if line.starts(with: "---".utf8) { return bytes }
            }
        }
    }
}
