import Crypto
import Foundation
import Testing
@testable import Vault

// MARK: - Fixtures shared by the envelope tests

/// A directory made on the fly: parties with one or more keys each, fresh key pairs.
struct EnvDirectory: KeyDirectory {
    var parties: [PartyCode: Party]
}

/// One key of a party with its secret halves.
struct EnvKey: @unchecked Sendable {
    let party: PartyCode
    let signing: MinisignSecretKey
    let age: AgeX25519Identity
    let key: PartyKey
    var reader: ReaderIdentity { ReaderIdentity(party: party, keyID: key.keyID, identity: age) }
}

enum EnvTime {
    static let created = try! UTCTime(parsing: "2026-01-01T00:00:00Z")
    static let sealing = try! UTCTime(parsing: "2026-12-04T10:00:00Z")
    static func at(_ t: UTCTime, plus seconds: Int64) -> UTCTime { UTCTime(seconds: t.seconds + seconds) }
}

/// A small world: FRA, GBR, NGA, DEU (States Parties), SEC (Secretariat), AUD (auditor).
struct EnvWorld: @unchecked Sendable {
    var keys: [String: EnvKey] = [:]
    var directory: EnvDirectory

    static let roles: [(String, Role)] = [("FRA", .stateParty), ("GBR", .stateParty), ("NGA", .stateParty),
                                          ("DEU", .stateParty), ("SEC", .secretariat), ("AUD", .auditor)]

    init() throws {
        var parties: [PartyCode: Party] = [:]
        for (code, role) in EnvWorld.roles {
            let k = try EnvWorld.makeKey(code, label: "officer-1")
            keys[code] = k
            parties[k.party] = Party(code: k.party, name: code, role: role, entryIntoForce: nil, keys: [k.key])
        }
        directory = EnvDirectory(parties: parties)
    }

    static func makeKey(_ code: String, label: String, created: UTCTime = EnvTime.created, expires: UTCTime? = nil,
                        revoked: UTCTime? = nil) throws -> EnvKey {
        let signing = try MinisignSecretKey.generate()
        let age = try AgeX25519Identity.generate()
        let key = try PartyKey(label: label, signingKey: signing.publicKey, recipient: age.recipient, created: created,
                               expires: expires, revoked: revoked)
        return EnvKey(party: try PartyCode(code), signing: signing, age: age, key: key)
    }

    subscript(_ code: String) -> EnvKey { keys[code]! }

    /// The same world with one party's key replaced (revoked, expired, …): same key pairs.
    func replacingKey(of code: String, created: UTCTime? = nil, expires: UTCTime? = nil, revoked: UTCTime? = nil) throws -> EnvDirectory {
        let k = self[code]
        var d = directory
        let p = d.parties[k.party]!
        let key = try PartyKey(label: k.key.label, signingKey: k.key.signingKey, recipient: k.key.recipient,
                               created: created ?? k.key.created, expires: expires, revoked: revoked)
        d.parties[k.party] = Party(code: p.code, name: p.name, role: p.role, entryIntoForce: nil, keys: [key])
        return d
    }

    /// Adds a second key to a party.
    mutating func addKey(to code: String, label: String) throws -> EnvKey {
        let k = try EnvWorld.makeKey(code, label: label)
        let p = directory.parties[k.party]!
        directory.parties[k.party] = Party(code: p.code, name: p.name, role: p.role, entryIntoForce: nil, keys: p.keys + [k.key])
        return k
    }

    func recipients(from sender: String, level: DisclosureLevel, selected: [String] = [], includeSecretariat: Bool = false) throws -> [ResolvedRecipient] {
        try Disclosure.resolve(directory: directory, sender: try PartyCode(sender), level: level,
                               selected: selected.map { try PartyCode($0) }, includeSecretariat: includeSecretariat,
                               at: EnvTime.sealing)
    }

    /// Seals `report` from `sender` (its first key) at `EnvTime.sealing`.
    func seal(_ report: [UInt8], from sender: String = "FRA", level: DisclosureLevel = .statesParties,
              selected: [String] = [], includeSecretariat: Bool = false, fileName: String = "annual-2026.pdf",
              signingKey: MinisignSecretKey? = nil, tampering: Envelope.Tampering = .init()) throws -> EnvSealed {
        let sink = MemorySink()
        let sealed = try Envelope.seal(report: MemorySource(report), reportSize: UInt64(report.count), fileName: fileName,
                                       sender: try PartyCode(sender), signingKey: signingKey ?? self[sender].signing,
                                       type: .annual, year: 2026, level: level,
                                       recipients: try recipients(from: sender, level: level, selected: selected, includeSecretariat: includeSecretariat),
                                       supersedes: nil, time: EnvTime.sealing, directory: directory, to: sink, tampering: tampering)
        return EnvSealed(bytes: sink.bytes, signature: sealed.outerSignature, manifest: sealed.manifest, sealedSize: sealed.sealedSize)
    }

    /// Opens as `reader` (its keys' identities; none for nil) with `directory` (default:
    /// this world's); returns the committed report.
    func open(_ e: EnvSealed, as reader: String?, directory: EnvDirectory? = nil,
              signature: MinisignSignature? = nil) throws -> (report: [UInt8], opened: Envelope.Opened) {
        let output = EnvMemoryOutput()
        let ids = reader.map { [self[$0].reader] } ?? []
        let opened = try Envelope.open(sealed: MemorySource(e.bytes), signature: signature ?? e.signature,
                                       directory: directory ?? self.directory, identities: ids, output: { _ in output })
        #expect(output.state == .committed)
        return (output.bytes, opened)
    }
}

struct EnvSealed {
    var bytes: [UInt8]
    var signature: MinisignSignature
    var manifest: Manifest
    var sealedSize: UInt64
}

/// A `ReportOutput` in memory that remembers whether it was committed or aborted.
final class EnvMemoryOutput: ReportOutput, @unchecked Sendable {
    enum State: Equatable { case open, committed, aborted }
    private(set) var bytes: [UInt8] = []
    private(set) var state = State.open
    func write(_ b: UnsafeRawBufferPointer) throws {
        precondition(state == .open)
        bytes += b
    }
    func commit() throws { state = .committed }
    func abort() { if state == .open { state = .aborted } }
}

/// Deterministic pseudo-random bytes (xorshift), fast enough for megabytes.
func envBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var x = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { b in
        var i = 0
        while i < count {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            withUnsafeBytes(of: x) { w in
                let n = min(8, count - i)
                (b.baseAddress! + i).copyMemory(from: w.baseAddress!, byteCount: n)
            }
            i += 8
        }
    }
    return out
}

/// Runs `body` and returns the `EnvelopeError` it threw (failing the test if it threw
/// something else or nothing).
func envError(_ sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> EnvelopeError? {
    do {
        try body()
        Issue.record("expected an EnvelopeError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let e as EnvelopeError {
        return e
    } catch {
        Issue.record("expected an EnvelopeError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects `body` to fail with the named `EnvelopeError` case, and the report output to be
/// aborted (never committed).
func expectEnvelopeError(_ name: String, _ sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let e = envError(sourceLocation, body)
    #expect(e?.name == name, "expected \(name), got \(e.map { "\($0.name): \($0)" } ?? "nothing")", sourceLocation: sourceLocation)
}

// MARK: - Round trips

@Suite("sealed envelopes: round trips")
struct EnvelopeTests {
    @Test("every level seals and opens for every recipient, and only for them")
    func everyLevel() throws {
        let w = try EnvWorld()
        let report = envBytes(200_000)
        let cases: [(DisclosureLevel, [String], Bool, Set<String>)] = [
            (.statesParties, [], false, ["FRA", "GBR", "NGA", "DEU"]),
            (.statesParties, [], true, ["FRA", "GBR", "NGA", "DEU", "SEC"]),
            (.secretariat, [], false, ["FRA", "SEC"]),
            (.selected, ["GBR"], false, ["FRA", "GBR"]),
            (.selected, ["NGA", "GBR"], true, ["FRA", "GBR", "NGA", "SEC"]),
        ]
        for (level, selected, withSec, readers) in cases {
            let e = try w.seal(report, level: level, selected: selected, includeSecretariat: withSec)
            #expect(e.manifest.level == level)
            #expect(Set(e.manifest.to.map(\.rawValue)) == readers)
            #expect(e.signature.trustedComment == e.manifest.line + " sealed-size=\(e.bytes.count)")
            #expect(e.sealedSize == UInt64(e.bytes.count))
            #expect(e.bytes.starts(with: Array("age-encryption.org/v1\n".utf8)))
            for code in EnvWorld.roles.map(\.0) {
                if readers.contains(code) {
                    let (got, opened) = try w.open(e, as: code)
                    #expect(got == report, "\(code) at \(level)")
                    #expect(opened.manifest == e.manifest)
                    #expect(opened.signer.party.rawValue == "FRA")
                    #expect(opened.reportSize == UInt64(report.count))
                    #expect(Set(opened.recipients.map(\.party.rawValue)) == readers)
                } else {
                    expectEnvelopeError("notARecipient") { _ = try w.open(e, as: code) }
                }
            }
        }
    }

    @Test("public: the container itself, signed; anyone opens it without a key")
    func publicLevel() throws {
        let w = try EnvWorld()
        let report = Array("Annual report 2026: no exports.\n".utf8)
        let e = try w.seal(report, level: .public, fileName: "report.txt")
        #expect(e.manifest.to.isEmpty && e.manifest.line.contains(" to=- "))
        #expect(e.bytes.count % 10240 == 0)
        #expect(e.bytes.starts(with: Array("manifest.txt".utf8)))
        let (got, opened) = try w.open(e, as: nil)
        #expect(got == report)
        #expect(opened.recipients.isEmpty)
        let (got2, _) = try w.open(e, as: "AUD")  // an identity does no harm
        #expect(got2 == report)
    }

    @Test("report sizes around block, chunk and record boundaries", arguments: [0, 1, 511, 512, 513, 8703, 9216, 9217, 65536, 65537, 2 * 1024 * 1024 + 3])
    func sizes(size: Int) throws {
        let w = try EnvWorld()
        let report = envBytes(size, seed: UInt64(size) + 7)
        for level in [DisclosureLevel.public, .selected] {
            let e = try w.seal(report, level: level, selected: level == .selected ? ["NGA"] : [])
            let (got, opened) = try w.open(e, as: "NGA")
            #expect(got == report)
            #expect(opened.reportSize == UInt64(size))
        }
    }

    @Test("the report is read once, and must be exactly reportSize bytes")
    func reportSizeMustMatch() throws {
        let w = try EnvWorld()
        let fra = w["FRA"]
        for (declared, actual) in [(10, 9), (10, 11), (0, 1), (70_000, 69_999), (70_000, 70_001)] {
            for level in [DisclosureLevel.public, .secretariat] {
                let e = envError {
                    _ = try Envelope.seal(report: MemorySource(envBytes(actual)), reportSize: UInt64(declared), fileName: "r.pdf",
                                          sender: fra.party, signingKey: fra.signing, type: .annual, year: 2026, level: level,
                                          recipients: try w.recipients(from: "FRA", level: level), supersedes: nil,
                                          time: EnvTime.sealing, directory: w.directory, to: MemorySink())
                }
                #expect(e == .reportSizeMismatch(declared: UInt64(declared), actual: actual < declared ? String(actual) : "more"))
            }
        }
        let counting = EnvCountingSource(envBytes(300_000))
        _ = try Envelope.seal(report: counting, reportSize: 300_000, fileName: "r.pdf", sender: fra.party, signingKey: fra.signing,
                              type: .annual, year: 2026, level: .secretariat, recipients: try w.recipients(from: "FRA", level: .secretariat),
                              supersedes: nil, time: EnvTime.sealing, directory: w.directory, to: MemorySink())
        #expect(counting.delivered == 300_000)
    }

    @Test("seal refuses keys, recipients and names §6 does not allow")
    func sealRefuses() throws {
        let w = try EnvWorld()
        let fra = w["FRA"]
        func attempt(sender: String = "FRA", key: MinisignSecretKey? = nil, level: DisclosureLevel = .secretariat,
                     recipients: [ResolvedRecipient]? = nil, fileName: String = "r.pdf", supersedes: String? = nil,
                     directory: EnvDirectory? = nil, time: UTCTime = EnvTime.sealing) throws {
            _ = try Envelope.seal(report: MemorySource([1, 2, 3]), reportSize: 3, fileName: fileName, sender: try PartyCode(sender),
                                  signingKey: key ?? fra.signing, type: .annual, year: 2026, level: level,
                                  recipients: try recipients ?? w.recipients(from: "FRA", level: level), supersedes: supersedes,
                                  time: time, directory: directory ?? w.directory, to: MemorySink())
        }
        expectEnvelopeError("invalidSealRequest") { try attempt(key: w["GBR"].signing) }        // not FRA's key
        expectEnvelopeError("invalidSealRequest") { try attempt(key: try MinisignSecretKey.generate()) }
        expectEnvelopeError("invalidSealRequest") { try attempt(sender: "ZZZ") }
        expectEnvelopeError("invalidSealRequest") { try attempt(level: .public, recipients: try w.recipients(from: "FRA", level: .secretariat)) }
        expectEnvelopeError("invalidSealRequest") { try attempt(level: .secretariat, recipients: []) }
        let stranger = ResolvedRecipient(party: try PartyCode("SEC"), keyID: "0123456789ABCDEF", recipient: try AgeX25519Identity.generate().recipient)
        expectEnvelopeError("invalidSealRequest") { try attempt(recipients: [stranger]) }
        for bad in [".hidden", "-rf", "a/b", "manifest.txt", String(repeating: "a", count: 93), "", "r\u{e9}.pdf"] {
            expectEnvelopeError("malformedManifest") { try attempt(fileName: bad) }
        }
        try attempt(fileName: String(repeating: "a", count: 92))
        expectEnvelopeError("malformedManifest") { try attempt(supersedes: "not-an-id") }
        try attempt(supersedes: Manifest.generateID())
        let revoked = try w.replacingKey(of: "FRA", revoked: EnvTime.at(EnvTime.sealing, plus: -60))
        expectEnvelopeError("signingKeyRevoked") { try attempt(recipients: [], directory: revoked) }
        #expect(throws: (any Error).self) { try attempt(level: .public, recipients: [], directory: revoked) }
        let expired = try w.replacingKey(of: "FRA", expires: EnvTime.sealing)
        expectEnvelopeError("signingKeyExpired") { try attempt(level: .public, recipients: [], directory: expired) }
    }

    @Test("the outer signature binds the manifest and sealed size; inspect reads it unverified")
    func outerSignatureAndInspect() throws {
        let w = try EnvWorld()
        let e = try w.seal(envBytes(1000), level: .selected, selected: ["GBR"])
        let info = try Envelope.inspect(signature: e.signature)
        #expect(info.manifest == e.manifest)
        #expect(info.declaredSealedSize == UInt64(e.bytes.count))
        #expect(info.signatureKeyID == w["FRA"].key.keyID)
        #expect(e.manifest.keyID == w["FRA"].key.keyID)
        // The outer signature is an ordinary prehashed minisign signature of the sealed file.
        #expect(try e.signature.verify(MemorySource(e.bytes), with: w["FRA"].signing.publicKey) == e.signature.trustedComment)
        // An auditor verifies checks 1–3 without a key.
        let v = try Envelope.verify(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory)
        #expect(v.manifest == e.manifest && v.signer.party.rawValue == "FRA" && v.sealedSize == UInt64(e.bytes.count))
        // Two seals of the same report differ (fresh id, fresh age file key).
        let e2 = try w.seal(envBytes(1000), level: .selected, selected: ["GBR"])
        #expect(e2.manifest.id != e.manifest.id && e2.bytes != e.bytes)
    }

    @Test("open to a path: the file appears only after every check, never on failure")
    func openToPath() throws {
        let w = try EnvWorld()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("att-envelope-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = envBytes(150_000)
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let path = dir.appendingPathComponent(e.manifest.fileName).path

        // Inner signature made by a key not in the directory: the whole report is decrypted
        // to the temporary file before the check fails, and the file must not appear.
        let bad = try w.seal(report, level: .selected, selected: ["GBR"],
                             tampering: .init(innerKey: try MinisignSecretKey.generate()))
        expectEnvelopeError("innerSignatureInvalid") {
            _ = try Envelope.open(sealed: MemorySource(bad.bytes), signature: bad.signature, directory: w.directory,
                                  identities: [w["GBR"].reader], outputPath: path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)

        let opened = try Envelope.open(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory,
                                       identities: [w["GBR"].reader], outputPath: path)
        #expect(opened.manifest == e.manifest)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == report)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [e.manifest.fileName])
        // Not overwritten unless asked.
        #expect(throws: IOError.self) {
            _ = try Envelope.open(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory,
                                  identities: [w["GBR"].reader], outputPath: path)
        }
    }

    @Test("a reader with several keys, and a party key added after sealing")
    func severalKeys() throws {
        var w = try EnvWorld()
        let e = try w.seal(envBytes(5000), level: .selected, selected: ["GBR"])
        let newer = try w.addKey(to: "GBR", label: "laptop")
        // GBR's new key was not a recipient: its party is in to=, but no stanza opens.
        expectEnvelopeError("notARecipient") {
            _ = try Envelope.open(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory,
                                  identities: [newer.reader], output: { _ in EnvMemoryOutput() })
        }
        let out = EnvMemoryOutput()
        _ = try Envelope.open(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory,
                              identities: [newer.reader, w["GBR"].reader], output: { _ in out })
        #expect(out.state == .committed && out.bytes == envBytes(5000))
        // Sealed now, both GBR keys are recipients.
        let e2 = try w.seal(envBytes(10), level: .selected, selected: ["GBR"])
        let (_, opened) = try w.open(e2, as: "GBR")
        #expect(opened.recipients.filter { $0.party.rawValue == "GBR" }.count == 2)
    }
}

/// A source that counts what it delivers and fails if read after its end.
final class EnvCountingSource: ByteSource {
    private let inner: MemorySource
    private(set) var delivered = 0
    private var ended = false
    init(_ bytes: [UInt8]) { inner = MemorySource(bytes) }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n == 0 { precondition(!ended, "read again after end of input"); ended = true }
        delivered += n
        return n
    }
}
