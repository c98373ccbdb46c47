import Crypto

/// Why the replay rejected a statement (docs/FORMATS.md §5.4). Closed: every rejection is
/// one of these. A rejected statement changes nothing.
public enum StatementRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The log entry is larger than `Statement.maxSize`.
    case tooLarge(size: Int, limit: Int)
    /// The entry is not a signed note whose text is a statement (§3.4, §5.2).
    case malformed(StatementError)
    /// A signature line from a key the directory knows does not verify (the whole
    /// statement is refused, whatever the other signatures say).
    case invalidSignature(signer: String)
    /// The directory is empty and this is not the Secretariat's own `enrol` (role
    /// `secretariat`).
    case firstStatementNotSecretariatEnrol
    /// The statement's time is more than 24 hours before the latest accepted statement's.
    case timeWentBackwards(latest: UTCTime, time: UTCTime)
    /// `enrol` of a party code that is already enrolled.
    case alreadyEnrolled(PartyCode)
    /// A statement about a party that is not enrolled.
    case unknownParty(PartyCode)
    /// `rotate-key` or `revoke-key` of a key the party does not have.
    case unknownKey(PartyCode, keyID: String)
    /// `rotate-key` or `revoke-key` of a key already revoked.
    case keyAlreadyRevoked(PartyCode, keyID: String)
    /// A new key whose key id or Ed25519 public key is already in the directory (any party,
    /// any state, revoked included).
    case duplicateKey(keyID: String)
    /// A new key that is not valid at the statement's time.
    case newKeyNotValid(keyID: String, PartyKey.Validity)
    /// No key of the party the statement is about signed it (for `enrol`: not the enrolled
    /// key). Whoever else signed (the Secretariat) does not stand in for the party.
    case notSignedByParty(PartyCode)
    /// Only keys of the party that are not valid at the statement's time (or that were
    /// ever revoked) signed it.
    case partySignerNotValid(PartyCode, keyID: String, PartyKey.Validity)
    /// `rotate-key` signed, on the party's side, only by the key being replaced while the
    /// party has another valid key, which must sign instead.
    case rotationSignedOnlyByReplacedKey(PartyCode, keyID: String)
    /// No Secretariat key signed a statement that needs one.
    case notSignedBySecretariat
    /// Only Secretariat keys that are not valid at the statement's time (or that were ever
    /// revoked) signed it.
    case secretariatSignerNotValid(PartyCode, keyID: String, PartyKey.Validity)

    public var description: String {
        switch self {
        case let .tooLarge(s, l): return "statement of \(s) bytes exceeds \(l) bytes"
        case let .malformed(e): return "\(e)"
        case let .invalidSignature(s): return "invalid signature from \(s)"
        case .firstStatementNotSecretariatEnrol: return "the first statement must be the Secretariat's own enrol"
        case let .timeWentBackwards(l, t): return "time \(t) is more than 24 hours before \(l)"
        case let .alreadyEnrolled(p): return "\(p) is already enrolled"
        case let .unknownParty(p): return "\(p) is not enrolled"
        case let .unknownKey(p, k): return "\(p) has no key \(k)"
        case let .keyAlreadyRevoked(p, k): return "key \(p)/\(k) is already revoked"
        case let .duplicateKey(k): return "key \(k) is already in the directory"
        case let .newKeyNotValid(k, v): return "new key \(k) is not valid at the statement's time (\(v))"
        case let .notSignedByParty(p): return "not signed by \(p)'s own key"
        case let .partySignerNotValid(p, k, v): return "\(p)'s signing key \(k) is not valid (\(v))"
        case let .rotationSignedOnlyByReplacedKey(p, k):
            return "\(p) has another valid key, which must sign the rotation of \(k)"
        case .notSignedBySecretariat: return "not signed by a Secretariat key"
        case let .secretariatSignerNotValid(p, k, v): return "Secretariat key \(p)/\(k) is not valid (\(v))"
        }
    }
}

/// What the replay did with one log entry.
public struct StatementOutcome: Equatable, Sendable, CustomStringConvertible {
    /// The entry's position in the log (0-based).
    public let index: Int
    /// The entry, byte for byte.
    public let entry: [UInt8]
    /// The statement, when the entry parses (even if rejected; nil if it does not parse).
    public let statement: Statement?
    /// The signers whose signatures verified, in note order (empty when a known key's
    /// signature failed, since the note is then refused as a whole).
    public let signers: [StatementSignerID]
    /// Whether a key of the party the statement is about, valid at the statement's time and
    /// never revoked (for the `enrol` of a new party: the enrolled key), signed it.
    public let signedByParty: Bool
    /// nil when accepted.
    public let rejection: StatementRejection?

    public var isAccepted: Bool { rejection == nil }

    /// One line: `#<index> <type> <party> <time> accepted|rejected (<reason>); signed by …`.
    public var description: String {
        let what = statement.map { "\($0.type) \($0.party) \($0.time)" } ?? "unreadable entry"
        let verdict = rejection.map { "rejected (\($0))" } ?? "accepted"
        let by = signers.isEmpty ? "no verified signer" : "signed by " + signers.map(\.noteName).joined(separator: ", ")
        return "#\(index) \(what) \(verdict); \(by)"
    }
}

/// Why an out-of-band enrolment check failed.
public enum EnrolmentCheckError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The pinned fingerprint is not 32 or 64 hex digits.
    case malformedFingerprint(String)
    case notEnrolled(PartyCode)
    /// The party's first enrolled key is not the one the Note Verbale names.
    case fingerprintMismatch(PartyCode, keyID: String, pinned: String, actual: String)

    public var description: String {
        switch self {
        case let .malformedFingerprint(f): return "\"\(f.prefix(80))\" is not a key fingerprint (32 or 64 hex digits)"
        case let .notEnrolled(p): return "\(p) is not enrolled in the directory"
        case let .fingerprintMismatch(p, k, pinned, actual):
            return "\(p)'s enrolled key \(k) has fingerprint \(actual), not the pinned \(pinned): the directory does not hold the key \(p) sent"
        }
    }
}

/// The key directory: the replay, in log order, of signed statements (§5.4).
public struct DirectoryState: KeyDirectory, Sendable {
    /// How far (seconds) a statement's time may be before the latest accepted one's.
    public static let maxBackwardsSeconds: Int64 = 86_400

    public private(set) var parties: [PartyCode: Party] = [:]
    /// One outcome per applied entry, in log order.
    public private(set) var outcomes: [StatementOutcome] = []
    /// The latest time of any accepted statement.
    public private(set) var latestTime: UTCTime?
    /// Each party's first key, as its accepted `enrol` gave it.
    public private(set) var enrolmentKeys: [PartyCode: PartyKey] = [:]

    public init() {}

    /// Replays log entries in order.
    public init<S: Sequence>(replaying entries: S) where S.Element == [UInt8] {
        for e in entries { apply(e) }
    }

    public var accepted: [StatementOutcome] { outcomes.filter(\.isAccepted) }
    public var rejected: [StatementOutcome] { outcomes.filter { !$0.isAccepted } }

    @discardableResult
    public mutating func apply(_ statement: SignedStatement) -> StatementOutcome { apply(statement.note) }

    /// Applies the next log entry: checks it against the current state at its own time,
    /// and changes the state only if it is accepted.
    @discardableResult
    public mutating func apply(_ entry: [UInt8]) -> StatementOutcome {
        let ev = evaluate(entry)
        if ev.rejection == nil, let s = ev.statement { commit(s) }
        let outcome = StatementOutcome(index: outcomes.count, entry: entry, statement: ev.statement, signers: ev.signers,
                                       signedByParty: ev.signedByParty, rejection: ev.rejection)
        outcomes.append(outcome)
        return outcome
    }

    /// The out-of-band check (§5.4): whether `party`'s FIRST enrolled key has the fingerprint
    /// pinned from its Note Verbale (all 64 hex digits, or the first 32; either case).
    /// Returns that key.
    @discardableResult
    public func checkEnrolment(of party: PartyCode, fingerprint: String) throws(EnrolmentCheckError) -> PartyKey {
        let pinned = fingerprint.lowercased()
        guard pinned.utf8.count == 32 || pinned.utf8.count == 64, Statement.isLowerHex(pinned, count: pinned.utf8.count) else {
            throw .malformedFingerprint(fingerprint)
        }
        guard let key = enrolmentKeys[party] else { throw .notEnrolled(party) }
        guard key.fingerprint.hasPrefix(pinned) else {
            throw .fingerprintMismatch(party, keyID: key.keyID, pinned: pinned, actual: key.fingerprint)
        }
        return key
    }

    // MARK: Rules

    private struct Evaluation {
        var statement: Statement?
        var signers: [StatementSignerID] = []
        var signedByParty = false
        var rejection: StatementRejection?
    }

    /// A key counts as a signer at time t only if it is valid at t and was never revoked: a
    /// revoked key cannot sign a statement dated before its revocation either.
    private static func signingValidity(_ k: PartyKey, at t: UTCTime) -> PartyKey.Validity {
        k.revoked != nil ? .revoked : k.validity(at: t)
    }

    private func key(_ id: StatementSignerID) -> PartyKey? { parties[id.party]?.key(id: id.keyID) }

    private func evaluate(_ entry: [UInt8]) -> Evaluation {
        var ev = Evaluation()
        guard entry.count <= Statement.maxSize else {
            ev.rejection = .tooLarge(size: entry.count, limit: Statement.maxSize)
            return ev
        }
        let note: SignedNote
        do throws(NoteError) { note = try SignedNote(parsing: entry) } catch {
            ev.rejection = .malformed(.note(error))
            return ev
        }
        let st: Statement
        do throws(StatementError) { st = try Statement(parsing: note.unverifiedText) } catch {
            ev.rejection = .malformed(error)
            return ev
        }
        ev.statement = st
        let t = st.time
        let party = parties[st.party]

        // Rule 2: every signature from a known key must verify. Known keys: every key of
        // every party (revoked and expired included), and the key an enrol of a new party
        // brings. Only those the signature lines name can match (SignedNote.verify matches
        // name and note key id), so only those are built.
        var verifiers: [NoteVerifierKey] = []
        for sig in note.signatures {
            if let id = StatementSignerID(noteName: sig.name), let k = key(id) { verifiers.append(k.noteVerifier(party: id.party)) }
        }
        var enrolledKey: PartyKey?
        if case let .enrol(_, _, _, k) = st.body, party == nil {
            enrolledKey = k
            verifiers.append(k.noteVerifier(party: st.party))
        }
        do throws(NoteError) {
            ev.signers = try note.verify(verifiers).signatures.compactMap { StatementSignerID(noteName: $0.name) }
        } catch {
            switch error {
            case .noVerifiedSignature: ev.signers = []
            case let .invalidSignature(name, _): ev.rejection = .invalidSignature(signer: name); return ev
            default: ev.rejection = .malformed(.note(error)); return ev
            }
        }

        // Whose keys signed, usable at t.
        func usable(_ id: StatementSignerID) -> Bool {
            if let k = key(id) { return Self.signingValidity(k, at: t) == .valid }
            if let k = enrolledKey, id.party == st.party, id.keyID == k.keyID { return k.isValid(at: t) }
            return false
        }
        let partySigners = ev.signers.filter { $0.party == st.party }
        let usablePartySigners = partySigners.filter(usable)
        ev.signedByParty = !usablePartySigners.isEmpty

        func partyFailure() -> StatementRejection {
            if let id = partySigners.first, let k = key(id) {
                return .partySignerNotValid(st.party, keyID: id.keyID, Self.signingValidity(k, at: t))
            }
            if let id = partySigners.first, let k = enrolledKey, id.keyID == k.keyID {
                return .partySignerNotValid(st.party, keyID: id.keyID, k.validity(at: t))
            }
            return .notSignedByParty(st.party)
        }
        func secretariatCheck() -> StatementRejection? {
            let sec = ev.signers.filter { parties[$0.party]?.role == .secretariat }
            if sec.contains(where: usable) { return nil }
            if let id = sec.first, let k = key(id) {
                return .secretariatSignerNotValid(id.party, keyID: id.keyID, Self.signingValidity(k, at: t))
            }
            return .notSignedBySecretariat
        }
        func newKeyCheck(_ k: PartyKey) -> StatementRejection? {
            for p in parties.values {
                if p.keys.contains(where: { $0.keyID == k.keyID || $0.signingKey.publicKey == k.signingKey.publicKey }) {
                    return .duplicateKey(keyID: k.keyID)
                }
            }
            let v = k.validity(at: t)
            return v == .valid ? nil : .newKeyNotValid(keyID: k.keyID, v)
        }

        // Rule 3: the first statement is the Secretariat's self-signed enrol.
        if parties.isEmpty {
            guard case let .enrol(_, role, _, k) = st.body, role == .secretariat else {
                ev.rejection = .firstStatementNotSecretariatEnrol
                return ev
            }
            if let r = newKeyCheck(k) { ev.rejection = r; return ev }
            if !usablePartySigners.contains(where: { $0.keyID == k.keyID }) { ev.rejection = partyFailure() }
            return ev
        }

        if let latest = latestTime, t.seconds < latest.seconds - Self.maxBackwardsSeconds {
            ev.rejection = .timeWentBackwards(latest: latest, time: t)
            return ev
        }

        if case let .enrol(_, _, _, k) = st.body {
            guard party == nil else { ev.rejection = .alreadyEnrolled(st.party); return ev }
            if let r = newKeyCheck(k) { ev.rejection = r; return ev }
            // Rule 4: the party's own signature is the enrolled key's.
            guard usablePartySigners.contains(where: { $0.keyID == k.keyID }) else { ev.rejection = partyFailure(); return ev }
            ev.rejection = secretariatCheck()
            return ev
        }

        guard let party else { ev.rejection = .unknownParty(st.party); return ev }
        switch st.body {
        case .enrol:
            break  // handled above
        case let .addKey(k):
            guard !usablePartySigners.isEmpty else { ev.rejection = partyFailure(); return ev }
            if let r = secretariatCheck() { ev.rejection = r; return ev }
            ev.rejection = newKeyCheck(k)
        case let .rotateKey(replaced, k):
            guard let old = party.key(id: replaced) else { ev.rejection = .unknownKey(st.party, keyID: replaced); return ev }
            guard old.revoked == nil else { ev.rejection = .keyAlreadyRevoked(st.party, keyID: replaced); return ev }
            let others = party.keys.filter { $0.keyID != replaced && Self.signingValidity($0, at: t) == .valid }
            if others.isEmpty {
                // The replaced key is the party's only valid key: it approves its own rotation.
                guard usablePartySigners.contains(where: { $0.keyID == replaced }) else { ev.rejection = partyFailure(); return ev }
            } else if !usablePartySigners.contains(where: { $0.keyID != replaced }) {
                ev.rejection = usablePartySigners.isEmpty ? partyFailure()
                    : .rotationSignedOnlyByReplacedKey(st.party, keyID: replaced)
                return ev
            }
            if let r = secretariatCheck() { ev.rejection = r; return ev }
            ev.rejection = newKeyCheck(k)
        case let .revokeKey(keyID, _):
            guard let old = party.key(id: keyID) else { ev.rejection = .unknownKey(st.party, keyID: keyID); return ev }
            guard old.revoked == nil else { ev.rejection = .keyAlreadyRevoked(st.party, keyID: keyID); return ev }
            // The party alone is enough; the key itself is one of the party's keys.
            if usablePartySigners.isEmpty { ev.rejection = partyFailure() }
        case .setContacts, .setPreference, .setRole:
            guard !usablePartySigners.isEmpty else { ev.rejection = partyFailure(); return ev }
            ev.rejection = secretariatCheck()
        }
        return ev
    }

    /// Applies an accepted statement.
    private mutating func commit(_ s: Statement) {
        let t = s.time
        let code = s.party
        switch s.body {
        case let .enrol(name, role, inForce, key):
            parties[code] = Party(code: code, name: name, role: role, entryIntoForce: inForce, keys: [key])
            enrolmentKeys[code] = key
        case let .addKey(key):
            parties[code]?.keys.append(key)
        case let .rotateKey(replaced, key):
            if let i = parties[code]?.keys.firstIndex(where: { $0.keyID == replaced }) { parties[code]?.keys[i].revoked = t }
            parties[code]?.keys.append(key)
        case let .revokeKey(keyID, _):
            if let i = parties[code]?.keys.firstIndex(where: { $0.keyID == keyID }) { parties[code]?.keys[i].revoked = t }
        case let .setContacts(sha256):
            parties[code]?.contactsSHA256 = sha256
        case let .setPreference(prefs):
            for (type, level) in prefs { parties[code]?.preferences[type] = level }
        case let .setRole(role, inForce):
            parties[code]?.role = role
            parties[code]?.entryIntoForce = inForce
        }
        if let latest = latestTime { latestTime = max(latest, t) } else { latestTime = t }
    }
}
