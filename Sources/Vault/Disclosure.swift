import Crypto

/// Disclosure levels resolved to recipient keys (docs/FORMATS.md §5.5). Pure: the same
/// directory, sender, level and time always give the same sorted list.
public struct ResolvedRecipient: Equatable, Hashable, Sendable, Comparable {
    public let party: PartyCode
    public let keyID: String
    public let recipient: AgeX25519Recipient

    public init(party: PartyCode, keyID: String, recipient: AgeX25519Recipient) {
        self.party = party; self.keyID = keyID; self.recipient = recipient
    }

    /// One line of the recipient key list: `<party> <key id> <age recipient>`.
    public var line: String { "\(party) \(keyID) \(recipient.encoded)" }

    public static func < (a: Self, b: Self) -> Bool { (a.party, a.keyID) < (b.party, b.keyID) }
}

public enum DisclosureError: Error, Equatable, CustomStringConvertible {
    case unknownSender(PartyCode)
    case senderHasNoValidKey(PartyCode)
    case unknownParty(PartyCode)
    case partyHasNoValidKey(PartyCode)
    case noPartiesSelected
    case partiesGivenForLevel(DisclosureLevel)

    public var description: String {
        switch self {
        case let .unknownSender(p): return "sender \(p) is not in the directory"
        case let .senderHasNoValidKey(p): return "sender \(p) has no valid key"
        case let .unknownParty(p): return "\(p) is not a party in the directory"
        case let .partyHasNoValidKey(p): return "\(p) has no valid key to encrypt to"
        case .noPartiesSelected: return "level \"selected\" needs at least one party"
        case let .partiesGivenForLevel(l): return "parties can only be named for level \"selected\", not \"\(l.rawValue)\""
        }
    }
}

public enum Disclosure {
    /// The level to use when none is given: the sender's preference for the report type,
    /// else `states-parties` (restricted is the default).
    public static func defaultLevel(directory: KeyDirectory, sender: PartyCode, type: ReportType) -> DisclosureLevel {
        directory.parties[sender]?.preferences[type] ?? .statesParties
    }

    /// The recipient keys for a report; empty for `public`.
    public static func resolve(directory: KeyDirectory, sender: PartyCode, level: DisclosureLevel,
                               selected: [PartyCode] = [], includeSecretariat: Bool = false,
                               at time: UTCTime) throws -> [ResolvedRecipient] {
        guard let senderParty = directory.parties[sender] else { throw DisclosureError.unknownSender(sender) }
        let senderKeys = senderParty.validKeys(at: time)
        guard !senderKeys.isEmpty else { throw DisclosureError.senderHasNoValidKey(sender) }
        if level != .selected, !selected.isEmpty { throw DisclosureError.partiesGivenForLevel(level) }

        var parties: [Party] = []
        switch level {
        case .public:
            return []
        case .statesParties:
            parties = directory.parties.values.filter { $0.role == .stateParty }
        case .secretariat:
            parties = directory.parties.values.filter { $0.role == .secretariat }
        case .selected:
            guard !selected.isEmpty else { throw DisclosureError.noPartiesSelected }
            for code in selected {
                guard let p = directory.parties[code] else { throw DisclosureError.unknownParty(code) }
                guard !p.validKeys(at: time).isEmpty else { throw DisclosureError.partyHasNoValidKey(code) }
                parties.append(p)
            }
        }
        if includeSecretariat, level == .statesParties || level == .selected {
            parties += directory.parties.values.filter { $0.role == .secretariat }
        }
        parties.append(senderParty)

        var out = Set<ResolvedRecipient>()
        for p in parties {
            for k in p.validKeys(at: time) {
                out.insert(ResolvedRecipient(party: p.code, keyID: k.keyID, recipient: k.recipient))
            }
        }
        return out.sorted()
    }

    /// The recipient key list bytes (one line per key, LF-terminated) and its SHA-256 hex.
    public static func keyList(_ recipients: [ResolvedRecipient]) -> (bytes: [UInt8], sha256: String) {
        let bytes = Array(recipients.sorted().map { $0.line + "\n" }.joined().utf8)
        return (bytes, hexString(SHA256.hash(bytes)))
    }
}
