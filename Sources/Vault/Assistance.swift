/// Requests for and offers of assistance (Article 16; docs/FORMATS.md §8.7). The
/// metadata is public: who, which kinds, which Treaty provisions, when. The details are
/// sealed like a report. `Assistance.match` is pure.
public enum AssistanceKind: String, CaseIterable, Sendable, Comparable {
    // Article 16(1): "legal or legislative assistance, institutional capacity-building,
    // and technical, material or financial assistance".
    case legal, legislative, institutional = "institutional-capacity-building", technical, material, financial

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// A Treaty provision: article 1–28, optional paragraph, optional lettered sub-paragraph.
/// Written `16(1)`, `7(1)(b)` or `11`; `Article 16(1)` is read too.
public struct TreatyProvision: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let article: Int
    public let paragraph: Int?
    public let subparagraph: String?

    public init(article: Int, paragraph: Int? = nil, subparagraph: String? = nil) throws {
        guard (1...28).contains(article), paragraph.map({ (1...9).contains($0) }) ?? true,
              subparagraph.map({ $0.count == 1 && $0.unicodeScalars.allSatisfy { (0x61...0x7A).contains($0.value) } }) ?? true,
              subparagraph == nil || paragraph != nil else {
            throw VaultError.invalid(what: "Treaty provision", value: "\(article)(\(paragraph.map(String.init) ?? ""))(\(subparagraph ?? ""))")
        }
        self.article = article; self.paragraph = paragraph; self.subparagraph = subparagraph
    }

    public init(parsing text: String) throws {
        var s = Substring(text)
        if s.hasPrefix("Article ") { s = s.dropFirst("Article ".count) }
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        s = s.dropFirst(digits.count)
        var groups: [Substring] = []
        while s.first == "(" {
            guard let close = s.firstIndex(of: ")") else { throw VaultError.invalid(what: "Treaty provision", value: text) }
            groups.append(s[s.index(after: s.startIndex)..<close])
            s = s[s.index(after: close)...]
        }
        guard s.isEmpty, !digits.isEmpty, digits.first != "0", groups.count <= 2, let a = Int(digits) else {
            throw VaultError.invalid(what: "Treaty provision (e.g. 16(1))", value: text)
        }
        var p: Int?
        if groups.count >= 1 {
            guard groups[0].count == 1, let v = Int(groups[0]) else { throw VaultError.invalid(what: "Treaty provision (e.g. 16(1))", value: text) }
            p = v
        }
        do { try self.init(article: a, paragraph: p, subparagraph: groups.count == 2 ? String(groups[1]) : nil) } catch {
            throw VaultError.invalid(what: "Treaty provision (e.g. 16(1))", value: text)
        }
    }

    public var description: String {
        "\(article)" + (paragraph.map { "(\($0))" } ?? "") + (subparagraph.map { "(\($0))" } ?? "")
    }

    /// Whether this provision includes `other`: `16` covers `16(1)`, `7(1)` covers `7(1)(b)`.
    public func covers(_ other: TreatyProvision) -> Bool {
        article == other.article && (paragraph == nil || (paragraph == other.paragraph && (subparagraph == nil || subparagraph == other.subparagraph)))
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.article, a.paragraph ?? 0, a.subparagraph ?? "") < (b.article, b.paragraph ?? 0, b.subparagraph ?? "")
    }
}

public enum AssistanceDirection: String, CaseIterable, Sendable {
    case request, offer
    public var reportType: ReportType { self == .request ? .assistanceRequest : .assistanceOffer }
}

/// What everyone may see about a request or an offer.
public struct AssistanceMetadata: Equatable, Sendable {
    /// `[A-Za-z0-9-]{1,64}`, unique per party (e.g. `NGA-2026-1`).
    public let id: String
    public let direction: AssistanceDirection
    public let party: PartyCode
    public let kinds: [AssistanceKind]
    public let provisions: [TreatyProvision]
    public let posted: CivilDate
    /// Last day it stands (inclusive); none: until withdrawn.
    public let expires: CivilDate?
    public let withdrawn: Bool
    /// Offers only: the States it is open to; nil: any State.
    public let openTo: [PartyCode]?

    public init(id: String, direction: AssistanceDirection, party: PartyCode, kinds: [AssistanceKind], provisions: [TreatyProvision],
                posted: CivilDate, expires: CivilDate? = nil, withdrawn: Bool = false, openTo: [PartyCode]? = nil) throws {
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }) else {
            throw AssistanceError.badID(id)
        }
        guard !kinds.isEmpty else { throw AssistanceError.noKinds(id) }
        guard !provisions.isEmpty else { throw AssistanceError.noProvisions(id) }
        if let expires, expires < posted { throw AssistanceError.expiresBeforePosted(id) }
        if openTo != nil, direction == .request { throw AssistanceError.openToOnRequest(id) }
        if let openTo, openTo.isEmpty { throw AssistanceError.openToNobody(id) }
        self.id = id; self.direction = direction; self.party = party
        self.kinds = Array(Set(kinds)).sorted(); self.provisions = Array(Set(provisions)).sorted()
        self.posted = posted; self.expires = expires; self.withdrawn = withdrawn
        self.openTo = openTo.map { Array(Set($0)).sorted() }
    }

    /// Posted, not withdrawn, not expired on `date`.
    public func isActive(on date: CivilDate) -> Bool {
        !withdrawn && posted <= date && (expires.map { date <= $0 } ?? true)
    }

    /// The canonical JSON (sorted keys, compact, every key present, one LF at the end).
    public var canonicalJSON: [UInt8] {
        typealias V = ReportJSON.Value
        let o: [String: V] = [
            "id": .string(id), "direction": .string(direction.rawValue), "party": .string(party.rawValue),
            "kinds": .array(kinds.map { .string($0.rawValue) }), "provisions": .array(provisions.map { .string($0.description) }),
            "posted": .string(posted.description), "expires": expires.map { .string($0.description) } ?? .null,
            "withdrawn": .bool(withdrawn), "open_to": openTo.map { .array($0.map { .string($0.rawValue) }) } ?? .null,
        ]
        return Array((V.object(o).compact + "\n").utf8)
    }
}

/// The sealed part: free text only the readers of the envelope see.
public struct AssistanceDetails: Equatable, Sendable {
    public var title: String
    public var text: String
    public init(title: String, text: String) { self.title = title; self.text = text }
}

/// A request or an offer: public metadata, and details once opened.
public struct AssistanceItem: Equatable, Sendable {
    public let metadata: AssistanceMetadata
    public let details: AssistanceDetails?
    public init(metadata: AssistanceMetadata, details: AssistanceDetails? = nil) { self.metadata = metadata; self.details = details }
}

public enum AssistanceError: Error, Equatable, CustomStringConvertible {
    case badID(String), noKinds(String), noProvisions(String), expiresBeforePosted(String), openToOnRequest(String), openToNobody(String)
    case wrongDirection(id: String, expected: AssistanceDirection)

    public var description: String {
        switch self {
        case let .badID(id): return "assistance id \"\(id.prefix(80))\" is not 1 to 64 letters, digits or '-'"
        case let .noKinds(id): return "assistance \(id): name at least one kind of assistance"
        case let .noProvisions(id): return "assistance \(id): name at least one Treaty provision"
        case let .expiresBeforePosted(id): return "assistance \(id): expires before it is posted"
        case let .openToOnRequest(id): return "assistance \(id): only offers are open to named States"
        case let .openToNobody(id): return "assistance \(id): open to an empty list of States"
        case let .wrongDirection(id, expected): return "assistance \(id) is not an \(expected.rawValue)"
        }
    }
}

/// A request and an offer that fit: what they have in common.
public struct AssistanceMatch: Equatable, Sendable, CustomStringConvertible {
    public let request: String
    public let offer: String
    public let requester: PartyCode
    public let offerer: PartyCode
    public let kinds: [AssistanceKind]
    /// The more specific provision of each fitting pair.
    public let provisions: [TreatyProvision]

    public var description: String {
        "\(requester) \(request) <- \(offerer) \(offer): \(kinds.map(\.rawValue).joined(separator: ",")) "
            + provisions.map(\.description).joined(separator: ",")
    }
}

public enum Assistance {
    /// Every (request, offer) pair that fits on `date`, sorted by request id then offer id (then party).
    /// They fit when both are active, the parties differ, the offer is open to the
    /// requester, they share a kind, and a provision of one covers a provision of the other.
    public static func match(requests: [AssistanceMetadata], offers: [AssistanceMetadata], on date: CivilDate) throws -> [AssistanceMatch] {
        for r in requests where r.direction != .request { throw AssistanceError.wrongDirection(id: r.id, expected: .request) }
        for o in offers where o.direction != .offer { throw AssistanceError.wrongDirection(id: o.id, expected: .offer) }
        var out: [AssistanceMatch] = []
        for r in requests where r.isActive(on: date) {
            for o in offers where o.isActive(on: date) && o.party != r.party && (o.openTo?.contains(r.party) ?? true) {
                let kinds = Set(r.kinds).intersection(o.kinds)
                guard !kinds.isEmpty else { continue }
                var provisions: Set<TreatyProvision> = []
                for p in r.provisions {
                    for q in o.provisions {
                        if q.covers(p) { provisions.insert(p) } else if p.covers(q) { provisions.insert(q) }
                    }
                }
                guard !provisions.isEmpty else { continue }
                out.append(AssistanceMatch(request: r.id, offer: o.id, requester: r.party, offerer: o.party,
                                           kinds: kinds.sorted(), provisions: provisions.sorted()))
            }
        }
        return out.sorted {
            ($0.request, $0.requester.rawValue, $0.offer, $0.offerer.rawValue) < ($1.request, $1.requester.rawValue, $1.offer, $1.offerer.rawValue)
        }
    }
}
