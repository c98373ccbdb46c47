import Crypto
import Foundation
import Testing
@testable import Vault

// MARK: - Crafting envelopes by hand

extension EnvWorld {
    /// A manifest as `from` would write it for `recipients`, with optional lies.
    func manifest(from: String = "FRA", level: DisclosureLevel, recipients: [ResolvedRecipient], fileName: String = "r.pdf",
                  to: [String]? = nil, keysSHA256: String? = nil, key: EnvKey? = nil) throws -> Manifest {
        try Manifest(id: Manifest.generateID(), from: try PartyCode(from), keyID: (key ?? self[from]).key.keyID, type: .annual,
                     year: 2026, level: level,
                     to: try to.map { try $0.map { try PartyCode($0) } } ?? Array(Set(recipients.map(\.party))).sorted(),
                     keysSHA256: keysSHA256 ?? Disclosure.keyList(recipients).sha256, supersedes: nil, fileName: fileName,
                     time: EnvTime.sealing)
    }

    /// The three members as `seal` makes them, for reassembling.
    static func members(manifest: Manifest, keyList: [UInt8], report: [UInt8], innerKey: MinisignSecretKey,
                        innerComment: String? = nil) throws -> [UstarWriter.Member] {
        let inner = try MinisignSignature.sign(MemorySource(report), with: innerKey, trustedComment: innerComment ?? manifest.line)
        return [.init(name: "manifest.txt", content: .bytes(Array((manifest.line + "\n").utf8) + keyList)),
                .init(name: manifest.fileName, content: .bytes(report)),
                .init(name: manifest.fileName + ".minisig", content: .bytes(Array(inner.encodeFile().utf8)))]
    }

    static func archive(_ members: [UstarWriter.Member], mtime: UTCTime = EnvTime.sealing) throws -> [UInt8] {
        try UstarWriter(members: members, mtime: mtime.seconds).readAll(limit: 1 << 30)
    }

    /// Encrypts (unless public) and outer-signs a hand-made container.
    func sealCrafted(_ container: [UInt8], manifest: Manifest, to recipients: [ResolvedRecipient],
                     signer: MinisignSecretKey? = nil) throws -> EnvSealed {
        let sink = MemorySink()
        let (sig, size) = try Envelope.sealContainer(MemorySource(container), manifest: manifest, recipients: recipients.map(\.recipient),
                                                     signingKey: signer ?? self[manifest.from.rawValue].signing, to: sink)
        return EnvSealed(bytes: sink.bytes, signature: sig, manifest: manifest, sealedSize: size)
    }

    /// What a recipient gets by decrypting: the container.
    func decrypt(_ e: EnvSealed, as reader: String) throws -> [UInt8] {
        let sink = MemorySink()
        try Age.decrypt(from: MemorySource(e.bytes), to: sink, identities: [self[reader].age])
        return sink.bytes
    }

    func keyList(_ codes: [String]) -> [ResolvedRecipient] {
        codes.map { c in ResolvedRecipient(party: self[c].party, keyID: self[c].key.keyID, recipient: self[c].key.recipient) }.sorted()
    }
}

/// A minisign signature of `bytes` by `key` with the given trusted comment.
func envSign(_ bytes: [UInt8], with key: MinisignSecretKey, comment: String) throws -> MinisignSignature {
    try MinisignSignature.sign(MemorySource(bytes), with: key, trustedComment: comment)
}

/// The same signature with a different trusted comment (and the old global signature).
func envEditComment(_ sig: MinisignSignature, _ edit: (String) -> String) throws -> MinisignSignature {
    let lines = sig.encodeFile().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let text = [lines[0], lines[1], "trusted comment: " + edit(sig.trustedComment), lines[3]].joined(separator: "\n") + "\n"
    return try MinisignSignature(parsing: Array(text.utf8))
}

func envReplaceField(_ line: String, _ field: String, _ value: String) -> String {
    line.split(separator: " ").map { $0.hasPrefix(field + "=") ? Substring(field + "=" + value) : $0 }.joined(separator: " ")
}

// MARK: - Attacks, each refused with its own error

@Suite("sealed envelopes: attacks")
struct EnvelopeAttackTests {
    let w: EnvWorld
    let report = envBytes(100_000, seed: 42)
    init() throws { w = try EnvWorld() }

    // MARK: Check 1–2: who signed the outer signature

    @Test("the relay strips the outer signature and re-signs with a key not in the directory: unknownSigner")
    func relayResignsWithOwnKey() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let relayKey = try MinisignSecretKey.generate()
        let forged = try envSign(e.bytes, with: relayKey, comment: e.signature.trustedComment)
        expectEnvelopeError("unknownSigner") { _ = try w.open(e, as: "GBR", signature: forged) }
        expectEnvelopeError("unknownSigner") { _ = try Envelope.verify(sealed: MemorySource(e.bytes), signature: forged, directory: w.directory) }
    }

    @Test("the relay re-signs as another party, manifest unchanged: signerMismatch (outer)")
    func relayResignsAsAnotherParty() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let forged = try envSign(e.bytes, with: w["SEC"].signing, comment: e.signature.trustedComment)
        let err = envError { _ = try w.open(e, as: "GBR", signature: forged) }
        #expect(err?.name == "signerMismatch")
        #expect(err?.description.contains("outer signature was made by SEC/") == true)
        expectEnvelopeError("signerMismatch") { _ = try Envelope.verify(sealed: MemorySource(e.bytes), signature: forged, directory: w.directory) }
    }

    @Test("the relay re-signs as another party and rewrites from= and key=: signerMismatch (inner)")
    func relayRewritesSender() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        var line = envReplaceField(e.manifest.line, "from", "SEC")
        line = envReplaceField(line, "key", w["SEC"].key.keyID)
        let forged = try envSign(e.bytes, with: w["SEC"].signing, comment: line + " sealed-size=\(e.bytes.count)")
        // An auditor without a key sees a consistent envelope from SEC: checks 1–3 hold.
        #expect(try Envelope.verify(sealed: MemorySource(e.bytes), signature: forged, directory: w.directory).signer.party.rawValue == "SEC")
        // A recipient sees that the report inside was signed by FRA.
        let err = envError { _ = try w.open(e, as: "GBR", signature: forged) }
        #expect(err?.name == "signerMismatch")
        #expect(err?.description.contains("report was signed by FRA/") == true)
    }

    @Test("the outer trusted comment is edited: outerSignatureInvalid")
    func outerCommentEdited() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        for (field, value) in [("year", "2025"), ("to", "GBR"), ("level", "public"), ("file", "other.pdf"), ("supersedes", Manifest.generateID())] {
            let edited = try envEditComment(e.signature) { envReplaceField($0, field, value) }
            #expect(edited.trustedComment != e.signature.trustedComment)
            let err = envError { _ = try w.open(e, as: "GBR", signature: edited) }
            #expect(err?.name == "outerSignatureInvalid", "\(field): \(String(describing: err))")
            #expect(err?.description.contains("trusted comment") == true)
        }
        let sizeEdited = try envEditComment(e.signature) { $0.replacingOccurrences(of: "sealed-size=", with: "sealed-size=1") }
        expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(e, as: "GBR", signature: sizeEdited) }
    }

    @Test("the sealed file is changed under the outer signature: outerSignatureInvalid, for recipients and auditors")
    func sealedFileChanged() throws {
        for level in [DisclosureLevel.public, .selected] {
            let e = try w.seal(report, level: level, selected: level == .selected ? ["GBR"] : [])
            var flipped = e
            flipped.bytes[flipped.bytes.count / 2] ^= 1
            expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(flipped, as: "GBR") }
            expectEnvelopeError("outerSignatureInvalid") {
                _ = try Envelope.verify(sealed: MemorySource(flipped.bytes), signature: e.signature, directory: w.directory)
            }
            var longer = e
            longer.bytes.append(0)
            expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(longer, as: "GBR") }
        }
    }

    @Test("a legacy (non-prehashed) outer signature is refused: outerSignatureInvalid")
    func legacyOuter() throws {
        let e = try w.seal(report, level: .public)
        let text = e.signature.encodeFile()
        var lines = text.split(separator: "\n").map(String.init)
        var raw = Base64.decode(lines[1], padded: true)!
        raw[1] = UInt8(ascii: "d")
        lines[1] = Base64.encode(raw, padded: true)
        let legacy = try MinisignSignature(parsing: Array((lines.joined(separator: "\n") + "\n").utf8))
        expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(e, as: nil, signature: legacy) }
    }

    @Test("the outer comment is not a manifest, or declares the wrong size: malformedManifest, sealedSizeMismatch")
    func outerCommentNotAManifest() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let key = w["FRA"].signing
        for comment in ["timestamp:1796398342\tfile:sealed.age\thashed", e.manifest.line, e.manifest.line + " sealed-size=0\(e.bytes.count)",
                        e.manifest.line.replacingOccurrences(of: " year=2026", with: " year=26") + " sealed-size=\(e.bytes.count)",
                        e.manifest.line + "  sealed-size=\(e.bytes.count)"] {
            let sig = try envSign(e.bytes, with: key, comment: comment)
            expectEnvelopeError("malformedManifest") { _ = try w.open(e, as: "GBR", signature: sig) }
        }
        let wrongSize = try envSign(e.bytes, with: key, comment: e.manifest.outerComment(sealedSize: UInt64(e.bytes.count) + 1))
        let err = envError { _ = try w.open(e, as: "GBR", signature: wrongSize) }
        #expect(err == .sealedSizeMismatch(declared: UInt64(e.bytes.count) + 1, actual: UInt64(e.bytes.count)))
    }

    // MARK: Check 3: the signing key at the manifest time

    @Test("revoked, expired and not-yet-valid signing keys")
    func signingKeyValidity() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let t = EnvTime.sealing
        let revoked = try w.replacingKey(of: "FRA", revoked: EnvTime.at(t, plus: -3600))
        let revokedExactly = try w.replacingKey(of: "FRA", revoked: t)
        let expired = try w.replacingKey(of: "FRA", expires: EnvTime.at(t, plus: -1))
        let notYet = try w.replacingKey(of: "FRA", created: EnvTime.at(t, plus: 1))
        for d in [revoked, revokedExactly] {
            expectEnvelopeError("signingKeyRevoked") { _ = try w.open(e, as: "GBR", directory: d) }
            expectEnvelopeError("signingKeyRevoked") { _ = try Envelope.verify(sealed: MemorySource(e.bytes), signature: e.signature, directory: d) }
        }
        expectEnvelopeError("signingKeyExpired") { _ = try w.open(e, as: "GBR", directory: expired) }
        expectEnvelopeError("signingKeyNotYetValid") { _ = try w.open(e, as: "GBR", directory: notYet) }
        // Revoked or expired after sealing: the envelope stays good.
        let later = try w.replacingKey(of: "FRA", expires: EnvTime.at(t, plus: 1), revoked: EnvTime.at(t, plus: 2))
        #expect(try w.open(e, as: "GBR", directory: later).report == report)
    }

    // MARK: Check 4: the reader

    @Test("a reader not in the list, and a reader with no identity: notARecipient")
    func notARecipient() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        for reader in ["DEU", "SEC", "AUD", "NGA"] {
            expectEnvelopeError("notARecipient") { _ = try w.open(e, as: reader) }
        }
        expectEnvelopeError("notARecipient") { _ = try w.open(e, as: nil) }
        // Claiming to be GBR with DEU's identity does not help: no stanza opens.
        let liar = ReaderIdentity(party: w["GBR"].party, keyID: w["GBR"].key.keyID, identity: w["DEU"].age)
        expectEnvelopeError("notARecipient") {
            _ = try Envelope.open(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory,
                                  identities: [liar], output: { _ in EnvMemoryOutput() })
        }
    }

    @Test("a damaged age file, signed as it is by the sender: decryptionFailed")
    func damagedAgeFile() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let damages: [(inout [UInt8]) -> Void] = [{ $0[$0.count - 5] ^= 0x40 }, { $0.removeLast(17) }, { $0.append(contentsOf: [1, 2, 3]) }]
        for damage in damages {
            var bad = e
            damage(&bad.bytes)
            bad.signature = try envSign(bad.bytes, with: w["FRA"].signing, comment: e.manifest.outerComment(sealedSize: UInt64(bad.bytes.count)))
            let output = EnvMemoryOutput()
            let err = envError {
                _ = try Envelope.open(sealed: MemorySource(bad.bytes), signature: bad.signature, directory: w.directory,
                                      identities: [w["GBR"].reader], output: { _ in output })
            }
            guard case .decryptionFailed(.payload) = err else { Issue.record("got \(String(describing: err))"); continue }
            #expect(output.state == .aborted)
        }
    }

    @Test("an armored sealed file, signed by the sender: decryptionFailed (sealed files are binary)")
    func armoredSealedFile() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let container = try w.decrypt(e, as: "GBR")
        let sink = MemorySink()
        try Age.encrypt(from: MemorySource(container), to: sink, recipients: w.keyList(["FRA", "GBR"]).map(\.recipient), armor: true)
        let signature = try envSign(sink.bytes, with: w["FRA"].signing, comment: e.manifest.outerComment(sealedSize: UInt64(sink.bytes.count)))
        let err = envError { _ = try w.open(EnvSealed(bytes: sink.bytes, signature: signature, manifest: e.manifest, sealedSize: 0), as: "GBR") }
        guard case .decryptionFailed(.header) = err else { Issue.record("got \(String(describing: err))"); return }
    }

    // MARK: Re-sealing by a recipient

    @Test("a recipient decrypts and re-seals to a third party: refused, whatever it signs")
    func recipientReseals() throws {
        let e = try w.seal(report, level: .selected, selected: ["GBR"])
        let container = try w.decrypt(e, as: "GBR")
        let deu = w.keyList(["DEU"])

        // 1. Under FRA's original outer signature.
        let sink = MemorySink()
        try Age.encrypt(from: MemorySource(container), to: sink, recipients: [w["DEU"].key.recipient])
        let underOriginal = EnvSealed(bytes: sink.bytes, signature: e.signature, manifest: e.manifest, sealedSize: UInt64(sink.bytes.count))
        expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(underOriginal, as: "DEU") }

        // 2. With GBR's own outer signature over FRA's manifest.
        let ownSig = try envSign(sink.bytes, with: w["GBR"].signing, comment: e.manifest.outerComment(sealedSize: UInt64(sink.bytes.count)))
        expectEnvelopeError("signerMismatch") { _ = try w.open(underOriginal, as: "DEU", signature: ownSig) }

        // 3. With a manifest of its own (from GBR to DEU) but FRA's container.
        let gbrManifest = try w.manifest(from: "GBR", level: .selected, recipients: deu, fileName: e.manifest.fileName)
        let resealed = try w.sealCrafted(container, manifest: gbrManifest, to: deu)
        expectEnvelopeError("recipientListMismatch") { _ = try w.open(resealed, as: "DEU") }

        // 4. With a rebuilt container: its own manifest.txt, FRA's report and inner signature.
        let parts = try EnvelopeAttackTests.split(container, fileName: e.manifest.fileName)
        let rebuilt = try EnvWorld.archive([
            .init(name: "manifest.txt", content: .bytes(Array((gbrManifest.line + "\n").utf8) + Disclosure.keyList(deu).bytes)),
            .init(name: e.manifest.fileName, content: .bytes(parts.report)),
            .init(name: e.manifest.fileName + ".minisig", content: .bytes(parts.signature)),
        ])
        let resealed2 = try w.sealCrafted(rebuilt, manifest: gbrManifest, to: deu)
        let err = envError { _ = try w.open(resealed2, as: "DEU") }
        #expect(err?.name == "signerMismatch")
        #expect(err?.description.contains("report was signed by FRA/") == true)

        // 5. And re-signing the report too makes it GBR's report, which it is allowed to send:
        //    that opens, and says so.
        let own = try EnvWorld.archive(try EnvWorld.members(manifest: gbrManifest, keyList: Disclosure.keyList(deu).bytes,
                                                            report: parts.report, innerKey: w["GBR"].signing))
        let (got, opened) = try w.open(try w.sealCrafted(own, manifest: gbrManifest, to: deu), as: "DEU")
        #expect(got == report && opened.signer.party.rawValue == "GBR")
    }

    // MARK: Checks 5–7: the container

    @Test("the inner manifest disagrees with the outer: manifestMismatch")
    func innerOuterDisagree() throws {
        let inner = try w.seal(report, level: .selected, selected: ["GBR"],
                               tampering: .init(innerComment: { envReplaceField($0.line, "year", "2025") }))
        let err = envError { _ = try w.open(inner, as: "GBR") }
        #expect(err?.name == "manifestMismatch")
        #expect(err?.description.contains("year=2025") == true)
        let member = try w.seal(report, level: .selected, selected: ["GBR"],
                                tampering: .init(containerManifestLine: { envReplaceField($0.line, "type", "amendment") }))
        let err2 = envError { _ = try w.open(member, as: "GBR") }
        #expect(err2?.name == "manifestMismatch")
        #expect(err2?.description.contains("manifest.txt") == true)
    }

    @Test("the recipient list is tampered: recipientListMismatch")
    func recipientListTampered() throws {
        // A recipient dropped from the list in the container (it still got a stanza).
        let dropped = try w.seal(report, level: .statesParties, tampering: .init(containerKeyList: { _ in
            Disclosure.keyList(try! w.recipients(from: "FRA", level: .statesParties).filter { $0.party.rawValue != "DEU" }).bytes
        }))
        expectEnvelopeError("recipientListMismatch") { _ = try w.open(dropped, as: "GBR") }
        // Reordered lines.
        let reordered = try w.seal(report, level: .statesParties, tampering: .init(containerKeyList: { _ in
            Array(try! w.recipients(from: "FRA", level: .statesParties).reversed().map { $0.line + "\n" }.joined().utf8)
        }))
        expectEnvelopeError("recipientListMismatch") { _ = try w.open(reordered, as: "GBR") }
        // A list that hashes to keys= but names a party to= does not: the sender lied in to=.
        let all = w.keyList(["FRA", "GBR", "NGA"])
        let m = try w.manifest(level: .selected, recipients: all, to: ["FRA", "GBR"])
        let lied = try w.sealCrafted(try EnvWorld.archive(try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(all).bytes,
                                                                                report: report, innerKey: w["FRA"].signing)),
                                     manifest: m, to: all)
        let err = envError { _ = try w.open(lied, as: "GBR") }
        #expect(err?.name == "recipientListMismatch")
        #expect(err?.description.contains("FRA,GBR,NGA") == true)
    }

    @Test("containers of the wrong shape: malformedContainer", arguments: ["extra member", "wrong order", "signature first",
        "directory member", "symlink member", "pax header", "missing member", "renamed report", "wrong mtime", "trailing data", "bad key line"])
    func malformedContainers(shape: String) throws {
        let recipients = w.keyList(["FRA", "GBR"])
        let m = try w.manifest(level: .selected, recipients: recipients)
        var members = try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(recipients).bytes, report: report, innerKey: w["FRA"].signing)
        var mtime = EnvTime.sealing
        var suffix: [UInt8] = []
        switch shape {
        case "extra member": members.append(.init(name: "notes.txt", content: .bytes(Array("hello\n".utf8))))
        case "wrong order": members.swapAt(0, 1)
        case "signature first": members = [members[0], members[2], members[1]]
        case "directory member": members[1] = .init(name: members[1].name, content: .bytes([]), typeflag: UInt8(ascii: "5"))
        case "symlink member": members[2] = .init(name: members[2].name, content: .bytes([]), typeflag: UInt8(ascii: "2"))
        case "pax header": members.insert(.init(name: "PaxHeader", content: .bytes(Array("18 path=r.pdf\n".utf8)), typeflag: UInt8(ascii: "x")), at: 1)
        case "missing member": members.removeLast()
        case "renamed report":
            members[1] = .init(name: "other.pdf", content: members[1].content)
            members[2] = .init(name: "other.pdf.minisig", content: members[2].content)
        case "wrong mtime": mtime = EnvTime.at(mtime, plus: 1)
        case "trailing data": suffix = [0x41]
        case "bad key line": members[0] = .init(name: "manifest.txt", content: .bytes(Array((m.line + "\nFRA 12 age1\n").utf8)))
        default: Issue.record("unknown shape")
        }
        let container = try EnvWorld.archive(members, mtime: mtime) + suffix
        let e = try w.sealCrafted(container, manifest: m, to: recipients)
        let output = EnvMemoryOutput()
        let err = envError {
            _ = try Envelope.open(sealed: MemorySource(e.bytes), signature: e.signature, directory: w.directory,
                                  identities: [w["GBR"].reader], output: { _ in output })
        }
        #expect(err?.name == "malformedContainer", "\(shape): \(String(describing: err))")
        #expect(output.state == .aborted)
        // The same for a public envelope, where the container is the sealed file.
        let pm = try w.manifest(level: .public, recipients: [])
        if shape != "bad key line" {
            var pmembers = members
            pmembers[pmembers.firstIndex { $0.name == "manifest.txt" } ?? 0] =
                .init(name: "manifest.txt", content: .bytes(Array((pm.line + "\n").utf8)))
            let pe = try w.sealCrafted(try EnvWorld.archive(pmembers, mtime: mtime) + suffix, manifest: pm, to: [])
            expectEnvelopeError("malformedContainer") { _ = try w.open(pe, as: nil) }
        }
        // Control: the unmodified members open.
        let good = try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(recipients).bytes, report: report, innerKey: w["FRA"].signing)
        #expect(try w.open(try w.sealCrafted(try EnvWorld.archive(good), manifest: m, to: recipients), as: "GBR").report == report)
    }

    @Test("the inner signature: unknown key, wrong report, another party's key")
    func innerSignature() throws {
        let unknown = try w.seal(report, level: .selected, selected: ["GBR"], tampering: .init(innerKey: try MinisignSecretKey.generate()))
        expectEnvelopeError("innerSignatureInvalid") { _ = try w.open(unknown, as: "GBR") }

        let recipients = w.keyList(["FRA", "GBR"])
        let m = try w.manifest(level: .selected, recipients: recipients)
        var members = try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(recipients).bytes, report: report, innerKey: w["FRA"].signing)
        var changed = report
        changed[7] ^= 1
        members[1] = .init(name: m.fileName, content: .bytes(changed))
        let wrongReport = try w.sealCrafted(try EnvWorld.archive(members), manifest: m, to: recipients)
        let err = envError { _ = try w.open(wrongReport, as: "GBR") }
        #expect(err?.name == "innerSignatureInvalid" && err?.description.contains("does not verify over the report") == true)

        let bySEC = try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(recipients).bytes, report: report, innerKey: w["SEC"].signing)
        expectEnvelopeError("signerMismatch") { _ = try w.open(try w.sealCrafted(try EnvWorld.archive(bySEC), manifest: m, to: recipients), as: "GBR") }

        members = try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(recipients).bytes, report: report, innerKey: w["FRA"].signing)
        members[2] = .init(name: members[2].name, content: .bytes(Array("not a signature\n".utf8)))
        expectEnvelopeError("innerSignatureInvalid") { _ = try w.open(try w.sealCrafted(try EnvWorld.archive(members), manifest: m, to: recipients), as: "GBR") }
    }

    @Test("checks run in the order of §6.4: an invalid outer signature hides everything after it")
    func order() throws {
        // Bad container AND bad outer signature: the outer signature is reported.
        let recipients = w.keyList(["FRA", "GBR"])
        let m = try w.manifest(level: .selected, recipients: recipients)
        var members = try EnvWorld.members(manifest: m, keyList: Disclosure.keyList(recipients).bytes, report: report, innerKey: w["FRA"].signing)
        members.swapAt(1, 2)
        var e = try w.sealCrafted(try EnvWorld.archive(members), manifest: m, to: recipients)
        e.bytes[e.bytes.count - 1] ^= 1
        expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(e, as: "GBR") }
        // Not a recipient AND revoked key: check 3 comes first.
        let revoked = try w.replacingKey(of: "FRA", revoked: EnvTime.created)
        let e2 = try w.seal(report, level: .selected, selected: ["GBR"])
        expectEnvelopeError("signingKeyRevoked") { _ = try w.open(e2, as: "DEU", directory: revoked) }
        // Not a recipient AND a changed sealed file: check 1 comes first.
        var e3 = e2
        e3.bytes[100] ^= 4
        expectEnvelopeError("outerSignatureInvalid") { _ = try w.open(e3, as: "DEU") }
    }

    /// The report and inner signature members of a container.
    static func split(_ container: [UInt8], fileName: String) throws -> (report: [UInt8], signature: [UInt8]) {
        let sink = MemorySink()
        let reader = UstarContainerReader(fileName: fileName, mtime: nil, report: sink, observe: nil)
        try reader.write(container)
        let c = try reader.finish()
        return (sink.bytes, c.signature)
    }
}
