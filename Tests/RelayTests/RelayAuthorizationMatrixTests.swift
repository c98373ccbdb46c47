import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

/// Who may read what (docs/FORMATS.md §7.4), as a matrix against one live `att-report serve`:
/// every envelope endpoint × caller × disclosure level, each cell its own expectation.
///
/// Four envelopes are sealed once by FRA with the CLI (`public`, `states-parties` without
/// `--include-secretariat`, `secretariat`, `selected --to NGA`) and uploaded. The callers are
/// anonymous, the sender (FRA), a recipient (NGA), another State Party (JPN: a recipient of
/// `states-parties` only, since that level lists every State Party), the Secretariat (SEC),
/// the auditor (XAU), a signatory (SGP), a key JPN added and then revoked through directory
/// statements submitted to the relay, and a JPN key that was never in the directory.
@Suite("Relay authorisation matrix, live", .serialized)
struct RelayAuthorizationMatrixTests {
    typealias RelayProcess = RelayLogsLiveTests.RelayProcess
    static let relayName = "att-relay.localhost"
    static let unknownID = "00000000000000000000000000"

    typealias Reply = RelayEnvelopesLiveTests.Reply
    typealias World = RelayEnvelopesLiveTests.World

    /// An envelope sealed by FRA at one level.
    struct Sealed {
        let level: String
        let envelope: RelayEnvelopesLiveTests.Sealed
        var id: String { envelope.id }
        var sealed: [UInt8] { envelope.sealed }
        var signature: [UInt8] { envelope.signature }
        var body: [UInt8] { envelope.body }
    }

    static func seal(_ world: World, _ level: String, _ extra: [String] = []) async throws -> Sealed {
        Sealed(level: level, envelope: try await world.seal("\(level).att", ["--level", level] + extra))
    }

    /// A caller: a party and one of its keystore keys, or nobody (anonymous).
    struct Caller: CustomStringConvertible {
        let description: String
        let party: String?
        var label = "example-1"
        /// A key the relay must refuse (revoked, or not in the directory): 401 everywhere.
        var refused = false
    }

    /// A signed Authorization header for `caller` (nil: anonymous).
    static func authorization(_ world: World, _ caller: Caller, method: String, target: String,
                              body: [UInt8] = []) throws -> String? {
        guard let party = caller.party else { return nil }
        return try RequestAuth.sign(relay: relayName, method: method, target: target, bodySHA256: SHA256.hash(body),
                                    party: try PartyCode(party), key: try world.key(party, label: caller.label),
                                    time: Int64(Date().timeIntervalSince1970))
    }

    static func request(_ relay: RelayProcess, _ target: String, method: String = "GET", body: [UInt8]? = nil,
                        authorization: String?, scratch: URL) async throws -> Reply {
        try await RelayEnvelopesLiveTests.request(relay, target, method: method, body: body, authorization: authorization, scratch: scratch)
    }

    static func get(_ relay: RelayProcess, _ world: World, _ target: String, as caller: Caller) async throws -> Reply {
        try await request(relay, target, authorization: try authorization(world, caller, method: "GET", target: target),
                          scratch: world.scratch)
    }

    static func upload(_ relay: RelayProcess, _ world: World, _ e: Sealed, as caller: Caller) async throws -> Reply {
        let auth = try authorization(world, caller, method: "POST", target: "/v1/envelopes", body: e.body)
        return try await request(relay, "/v1/envelopes", method: "POST", body: e.body, authorization: auth,
                                 scratch: world.scratch)
    }

    /// A statement submitted to the relay (unsigned request: statements carry their own signatures).
    static func submitStatement(_ relay: RelayProcess, _ world: World, _ file: URL) async throws -> Reply {
        try await request(relay, "/v1/directory/statements", method: "POST", body: [UInt8](try Data(contentsOf: file)),
                          authorization: nil, scratch: world.scratch)
    }

    /// Who may read an envelope of `level` sealed by FRA (§7.4): its sender and the parties in
    /// its `to=`; everyone for `public`.
    static let readers: [String: Set<String>] = [
        "states-parties": ["FRA", "NGA", "JPN", "ARG", "AUS", "MEX"],
        "secretariat": ["FRA", "SEC"],
        "selected": ["FRA", "NGA"],
    ]

    static func expectedStatus(_ caller: Caller, _ level: String) -> Int {
        if caller.refused { return 401 }
        if level == "public" { return 200 }
        guard let party = caller.party else { return 404 }
        return readers[level]!.contains(party) ? 200 : 404
    }

    static func ids(_ r: Reply) -> [String] {
        r.text.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first(where: { $0.hasPrefix("id=") }).map { String($0.dropFirst(3)) }
        }
    }

    @Test("envelope endpoints × callers × disclosure levels")
    func matrix() async throws {
        let world = try World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let relay = try await RelayProcess(data: world.scratch.appendingPathComponent("data"), directory: world.directory,
                                           scratch: world.scratch)

        let anonymous = Caller(description: "anonymous", party: nil)
        let sender = Caller(description: "sender FRA", party: "FRA")
        let recipient = Caller(description: "recipient NGA", party: "NGA")
        let otherState = Caller(description: "State Party JPN", party: "JPN")
        let secretariat = Caller(description: "Secretariat SEC", party: "SEC")
        let auditor = Caller(description: "auditor XAU", party: "XAU")
        let signatory = Caller(description: "signatory SGP", party: "SGP")
        let revoked = Caller(description: "revoked key JPN/example-2", party: "JPN", label: "example-2", refused: true)
        let unknownKey = Caller(description: "key not in the directory JPN/example-3", party: "JPN", label: "example-3",
                                refused: true)
        let callers = [anonymous, sender, recipient, otherState, secretariat, auditor, signatory, revoked, unknownKey]

        // JPN adds a second key (countersigned by the Secretariat) through the relay, uses it,
        // then revokes it; a third key is generated but never enrolled.
        for label in ["example-2", "example-3"] {
            try await world.cli(["keygen", "--home", world.home.path, "--party", "JPN", "--label", label, "--unencrypted"])
        }
        let revokedID = try world.key("JPN", label: "example-2").publicKey.keyIDString
        let addKey = world.scratch.appendingPathComponent("add-key.statement")
        try await world.cli(["directory", "statement", "add-key", "--home", world.home.path, "--party", "JPN",
                             "--label", "example-1", "--key", "example-2", "-o", addKey.path])
        try await world.cli(["directory", "countersign", "--home", world.home.path, "--party", "SEC", addKey.path])
        let added = try await Self.submitStatement(relay, world, addKey)
        try #require(added.status == 201, "add-key: \(added.status) \(added.text)")
        let before = try await Self.get(relay, world, "/v1/envelopes",
                                        as: Caller(description: "JPN/example-2 before revocation", party: "JPN", label: "example-2"))
        #expect(before.status == 200, "JPN/example-2 before its revocation: \(before.status) \(before.text)")
        let revoke = world.scratch.appendingPathComponent("revoke-key.statement")
        try await world.cli(["directory", "statement", "revoke-key", "--home", world.home.path, "--party", "JPN",
                             "--label", "example-1", "--key-id", revokedID, "--reason", "test", "-o", revoke.path])
        let revokedReply = try await Self.submitStatement(relay, world, revoke)
        try #require(revokedReply.status == 201, "revoke-key: \(revokedReply.status) \(revokedReply.text)")

        // The four envelopes, sealed once.
        var envelopes: [Sealed] = []
        for level in ["public", "states-parties", "secretariat"] { envelopes.append(try await Self.seal(world, level)) }
        envelopes.append(try await Self.seal(world, "selected", ["--to", "NGA"]))

        // Uploads: anonymous 401, another party 403, refused keys 401, then the sender 201.
        for e in envelopes {
            let anon = try await Self.upload(relay, world, e, as: anonymous)
            #expect(anon.status == 401, "(POST /v1/envelopes, anonymous, \(e.level)): \(anon.status) \(anon.text)")
            let byOther = try await Self.upload(relay, world, e, as: recipient)
            #expect(byOther.status == 403, "(POST /v1/envelopes, NGA not the sender, \(e.level)): \(byOther.status) \(byOther.text)")
            for c in [revoked, unknownKey] {
                let r = try await Self.upload(relay, world, e, as: Caller(description: c.description, party: c.party,
                                                                          label: c.label))
                #expect(r.status == 401, "(POST /v1/envelopes, \(c), \(e.level)): \(r.status) \(r.text)")
            }
            let ok = try await Self.upload(relay, world, e, as: sender)
            try #require(ok.status == 201, "(POST /v1/envelopes, sender FRA, \(e.level)): \(ok.status) \(ok.text)")
        }
        var receipts: [String: [UInt8]] = [:]
        for e in envelopes { receipts[e.id] = try await Self.get(relay, world, "/v1/envelopes/\(e.id)/receipt", as: sender).body }

        // The per-envelope endpoints.
        var cells = 0
        let endpoints: [(name: String, suffix: String, content: (Sealed) -> [UInt8])] = [
            ("GET /v1/envelopes/<id>", "", { $0.sealed }),
            ("GET /v1/envelopes/<id>/signature", "/signature", { $0.signature }),
            ("GET /v1/envelopes/<id>/receipt", "/receipt", { receipts[$0.id] ?? [] }),
        ]
        for endpoint in endpoints {
            for caller in callers {
                let unknown = try await Self.get(relay, world, "/v1/envelopes/\(Self.unknownID)\(endpoint.suffix)", as: caller)
                #expect(unknown.status == (caller.refused ? 401 : 404), "(\(endpoint.name) unknown id, \(caller))")
                for e in envelopes {
                    let want = Self.expectedStatus(caller, e.level)
                    let r = try await Self.get(relay, world, "/v1/envelopes/\(e.id)\(endpoint.suffix)", as: caller)
                    let bodyOK = switch want {
                    case 200: r.body == endpoint.content(e)
                    case 404: r.body == unknown.body
                    default: true
                    }
                    cells += 1
                    #expect(r.status == want && bodyOK,
                            "(\(endpoint.name), \(caller), \(e.level)): expected \(want)\(want == 404 ? " as an unknown id" : ""), got \(r.status) \(r.text.prefix(120))")
                }
            }
        }

        // The list: exactly the envelopes the caller may read, in log order.
        for caller in callers {
            let r = try await Self.get(relay, world, "/v1/envelopes", as: caller)
            let listed = Set(Self.ids(r))
            for e in envelopes {
                let want = Self.expectedStatus(caller, e.level)
                cells += 1
                if want == 401 {
                    #expect(r.status == 401, "(GET /v1/envelopes, \(caller), \(e.level)): expected 401, got \(r.status)")
                } else {
                    #expect(r.status == 200 && listed.contains(e.id) == (want == 200),
                            "(GET /v1/envelopes, \(caller), \(e.level)): expected \(want == 200 ? "listed" : "not listed"), got \(r.status) \(r.text)")
                }
            }
            if !caller.refused {
                let expected = envelopes.filter { Self.expectedStatus(caller, $0.level) == 200 }.map(\.id)
                #expect(Self.ids(r) == expected, "(GET /v1/envelopes, \(caller)): exactly the readable envelopes, in log order")
            }
        }
        #expect(cells == 3 * callers.count * envelopes.count + callers.count * envelopes.count)

        let stopped = try await relay.stop()
        #expect(stopped.status == 0, "\(relay.stderrText)")
    }
}
