import Crypto

/// A party's secret key, ready to sign statements as `<party>/<key id>` (§5.3).
public struct StatementSigner: Sendable {
    public let party: PartyCode
    public let key: MinisignSecretKey

    public init(party: PartyCode, key: MinisignSecretKey) {
        self.party = party
        self.key = key
    }

    public var id: StatementSignerID {
        // A minisign key id is always 16 upper-case hex digits.
        try! StatementSignerID(party: party, keyID: key.publicKey.keyIDString)
    }

    /// The note signer (type 0x01 Ed25519) named `<party>/<key id>`.
    public func noteSigner() throws(StatementError) -> NoteSignerKey {
        do throws(NoteError) { return try key.noteSigner(name: id.noteName) } catch { throw .note(error) }
    }
}

/// A statement as a signed note: the bytes that are one entry of the directory log.
/// `statement` is parsed from the note's text but NOT verified: only the replay
/// (`DirectoryState.apply`) decides whose signatures count.
public struct SignedStatement: Equatable, Sendable {
    /// The signed note, byte for byte.
    public let note: [UInt8]
    /// The parsed (unverified) statement.
    public let statement: Statement
    /// The signature lines, in note order (unverified).
    public let signatures: [NoteSignature]

    /// Parses a signed statement (structure only): at most `Statement.maxSize` bytes, a
    /// signed note (§3.4) whose text is a statement (§5.2).
    public init(parsing note: [UInt8]) throws(StatementError) {
        guard note.count <= Statement.maxSize else { throw .tooLarge(size: note.count, limit: Statement.maxSize) }
        let parsed: SignedNote
        do throws(NoteError) { parsed = try SignedNote(parsing: note) } catch { throw .note(error) }
        statement = try Statement(parsing: parsed.unverifiedText)
        signatures = parsed.signatures
        self.note = note
    }

    /// The signers the note's signature lines name, where the name is `<party>/<key id>`
    /// (unverified; other names are left out).
    public var claimedSigners: [StatementSignerID] { signatures.compactMap { StatementSignerID(noteName: $0.name) } }

    /// Signs `statement` with each signer, in order.
    public static func sign(_ statement: Statement, with signers: [StatementSigner]) throws(StatementError) -> SignedStatement {
        var keys: [NoteSignerKey] = []
        for s in signers { keys.append(try s.noteSigner()) }
        let note: [UInt8]
        do throws(NoteError) { note = try SignedNote.sign(statement.bytes, signers: keys) } catch { throw .note(error) }
        return try SignedStatement(parsing: note)
    }

    /// The same statement with more signatures, appended after the existing ones (which are
    /// kept as they are and not verified; a signer already present is re-signed in place of
    /// its old line). For countersigning: the party signs, the Secretariat adds its signature.
    public func addingSignatures(_ signers: [StatementSigner]) throws(StatementError) -> SignedStatement {
        var keys: [NoteSignerKey] = []
        for s in signers { keys.append(try s.noteSigner()) }
        let out: [UInt8]
        do throws(NoteError) { out = try SignedNote.addSignatures(to: note, signers: keys) } catch { throw .note(error) }
        return try SignedStatement(parsing: out)
    }
}

extension Statement {
    /// This statement signed by each signer, in order: `SignedStatement.sign(self, with:)`.
    public func signed(by signers: [StatementSigner]) throws(StatementError) -> SignedStatement {
        try SignedStatement.sign(self, with: signers)
    }
}
