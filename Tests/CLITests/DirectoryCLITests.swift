import Foundation
import Testing
import TestSupport

/// `att-report keygen` and `att-report directory …` as a user sees them: a small world built
/// from scratch with the command line alone (SEC, FRA, NGA), then the statements the
/// directory must accept, the ones it must refuse, and the alarm a party sees when someone
/// else speaks for it.
@Suite("att-report directory (black box)")
struct DirectoryCLITests {

    /// What `keygen` printed about a new key.
    struct KeyInfo: Sendable {
        let party: String, label: String, keyID: String, recipient: String, fingerprint: String
    }

    /// A temporary world: one keystore (`home/`, holding every party's keys) whose default
    /// directory is `home/directory`, plus a scratch area for statement files.
    final class World: Sendable {
        let dir: TempDirectory
        init() throws { dir = try TempDirectory("directory-cli") }

        var home: String { dir.path("home") }
        var directory: String { dir.path("home/directory") }
        func statementFile(_ name: String) -> String { dir.path(name) }

        /// The statement files in the directory folder, sorted.
        func entries() throws -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        }

        /// `keygen --party P --label L --unencrypted` in `home` (or another keystore).
        @discardableResult
        func keygen(_ party: String, _ label: String, home: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> KeyInfo {
            let r = try await attOK(["keygen", "--party", party, "--label", label, "--unencrypted", "--home", home ?? self.home],
                                    sourceLocation: sourceLocation)
            func field(_ name: String) throws -> String {
                let line = try #require(r.stdoutLines.first { $0.hasPrefix(name + ":") }, "keygen printed no \(name): \(r)",
                                        sourceLocation: sourceLocation)
                return String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            }
            let info = KeyInfo(party: try field("Party"), label: try field("Label"), keyID: try field("Key id"),
                               recipient: try field("Recipient"), fingerprint: try field("Fingerprint"))
            #expect(info.party == party && info.label == label, "\(r)", sourceLocation: sourceLocation)
            #expect(info.keyID.count == 16 && info.keyID.allSatisfy { $0.isHexDigit && !$0.isLowercase }, "\(r)",
                    sourceLocation: sourceLocation)
            #expect(info.fingerprint.count == 64 && info.fingerprint.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(r)",
                    sourceLocation: sourceLocation)
            #expect(info.recipient.hasPrefix("age1"), "\(r)", sourceLocation: sourceLocation)
            return info
        }

        /// `directory statement TYPE ARGS -o FILE` in `home` (or another keystore); returns FILE.
        @discardableResult
        func statement(_ type: String, _ args: [String], file: String, home: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let path = statementFile(file)
            try await attOK(["directory", "statement", type] + args + ["--home", home ?? self.home, "-o", path],
                            sourceLocation: sourceLocation)
            return path
        }

        func countersign(_ file: String, by party: String = "SEC", home: String? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
            try await attOK(["directory", "countersign", "--party", party, "--home", home ?? self.home, file],
                            sourceLocation: sourceLocation)
        }

        /// `directory append` with the default directory (through --home); requires acceptance.
        @discardableResult
        func append(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
            let before = try entries().count
            let r = try await attOK(["directory", "append", "--home", home, file], sourceLocation: sourceLocation)
            #expect(r.stdoutText.hasPrefix("accepted: "), "\(r)", sourceLocation: sourceLocation)
            #expect(try entries().count == before + 1, "an accepted statement is one more entry", sourceLocation: sourceLocation)
            return r
        }

        /// `directory append` (with an explicit --directory) that must be refused: exit 1, one
        /// error line, and the directory unchanged.
        @discardableResult
        func appendRefused(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
            let before = try entries()
            let beforeBytes = try before.map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) }
            let r = try await att(["directory", "append", "--directory", directory, file])
            expectCLIError(r, status: 1, sourceLocation: sourceLocation)
            #expect(r.stderrText.contains("refused"), "\(r)", sourceLocation: sourceLocation)
            let after = try entries()
            #expect(after == before, "a refused statement must not be added: \(after)", sourceLocation: sourceLocation)
            #expect(try after.map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) } == beforeBytes,
                    sourceLocation: sourceLocation)
            return r
        }

        /// Enrols a party: keygen, `statement enrol` signed by its key, the Secretariat's
        /// countersignature (not for the Secretariat itself), append.
        @discardableResult
        func enrol(_ party: String, name: String, role: String, inForce: String, label: String,
                   sourceLocation: SourceLocation = #_sourceLocation) async throws -> KeyInfo {
            let key = try await keygen(party, label, sourceLocation: sourceLocation)
            let file = try await statement("enrol", ["--party", party, "--name", name, "--role", role, "--in-force", inForce,
                                                     "--key", label], file: "enrol-\(party)", sourceLocation: sourceLocation)
            if party != "SEC" {
                // The party's signature alone does not enrol it.
                try await appendRefused(file, sourceLocation: sourceLocation)
                try await countersign(file, sourceLocation: sourceLocation)
            }
            try await append(file, sourceLocation: sourceLocation)
            return key
        }

        func show(_ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let r = try await attOK(["directory", "show", "--home", home] + extra, sourceLocation: sourceLocation)
            #expect(r.stderr.isEmpty, "\(r)", sourceLocation: sourceLocation)
            return r.stdoutText
        }

        func watch(_ party: String) async throws -> ProcessResult {
            try await att(["directory", "watch", "--party", party, "--directory", directory])
        }
    }

    /// SEC, FRA and NGA, enrolled with the command line alone.
    struct Small {
        let world: World
        let sec: KeyInfo, fra: KeyInfo, nga: KeyInfo
    }

    static func smallWorld() async throws -> Small {
        let w = try World()
        let sec = try await w.enrol("SEC", name: "ATT Secretariat", role: "secretariat", inForce: "-", label: "sec-1")
        let fra = try await w.enrol("FRA", name: "France", role: "state-party", inForce: "2014-12-24", label: "fra-1")
        let nga = try await w.enrol("NGA", name: "Nigeria", role: "state-party", inForce: "2014-12-24", label: "nga-1")
        #expect(try w.entries() == ["000001.statement", "000002.statement", "000003.statement"])
        return Small(world: w, sec: sec, fra: fra, nga: nga)
    }

    /// The line `directory show` prints for a key.
    static func keyLine(_ k: KeyInfo, _ validity: String) -> String {
        "    key \(k.label)  \(k.keyID)  \(k.recipient)  \(validity)"
    }

    static func quietWatch(_ w: World, _ party: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let r = try await w.watch(party)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)", sourceLocation: sourceLocation)
        #expect(r.stdoutText == "no statement about \(party) lacks \(party)'s own signature\n", "\(r)", sourceLocation: sourceLocation)
    }

    // MARK: - Building a world

    @Test("a world built with keygen, statement enrol, countersign and append: show lists every party and key")
    func buildAndShow() async throws {
        let s = try await Self.smallWorld()
        let out = try await s.world.show()
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            "FRA  France  role=state-party  in-force=2014-12-24",
            Self.keyLine(s.fra, "valid"),
            "NGA  Nigeria  role=state-party  in-force=2014-12-24",
            Self.keyLine(s.nga, "valid"),
            "SEC  ATT Secretariat  role=secretariat  in-force=-",
            Self.keyLine(s.sec, "valid"),
            "",
        ], "\(out)")
        // --party narrows it down; --directory names the same folder as --home's default.
        let fra = try await attOK(["directory", "show", "--directory", s.world.directory, "--party", "FRA"])
        #expect(fra.stdoutText == "FRA  France  role=state-party  in-force=2014-12-24\n" + Self.keyLine(s.fra, "valid") + "\n")
        // Nobody has spoken for anybody else.
        for p in ["SEC", "FRA", "NGA"] { try await Self.quietWatch(s.world, p) }
        // Every key is 0600 in a 0700 keystore even though it is unencrypted.
        #expect(try s.world.dir.mode("home/keys/FRA/fra-1.minisign.key") & 0o777 == 0o600)
        #expect(try s.world.dir.mode("home/keys/FRA/fra-1.age") & 0o777 == 0o600)
        #expect(try s.world.dir.mode("home/keys/FRA") & 0o777 == 0o700)
    }

    @Test("the same code cannot be enrolled twice, even with the Secretariat's countersignature")
    func enrolTwice() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        let other = try World()
        try await other.keygen("FRA", "fra-x", home: other.home)
        try FileManager.default.copyItem(atPath: w.home + "/keys/SEC", toPath: other.home + "/keys/SEC")
        let file = try await w.statement("enrol", ["--party", "FRA", "--name", "Impostor", "--role", "state-party",
                                                   "--in-force", "-", "--key", "fra-x"], file: "enrol-again", home: other.home)
        try await w.countersign(file, home: other.home)
        let r = try await w.appendRefused(file)
        #expect(r.stderrText.contains("FRA"), "\(r)")
        #expect(try await w.show(["--party", "FRA"]).contains("France"))
    }

    // MARK: - The Secretariat cannot speak for a party

    @Test("a key the Secretariat made for FRA is refused, and appended anyway it raises FRA's alarm")
    func secretariatSubstitutesKey() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        // The Secretariat's own keystore: its key, plus a key it generates "for FRA".
        let secHome = w.dir.path("secretariat-home")
        try FileManager.default.createDirectory(atPath: secHome + "/keys", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: w.home + "/keys/SEC", toPath: secHome + "/keys/SEC")
        let rogue = try await w.keygen("FRA", "fra-rogue", home: secHome)
        #expect(rogue.keyID != s.fra.keyID)

        // add-key about FRA, signed by that key (the CLI signs with "FRA's" key in this
        // keystore), countersigned by the Secretariat.
        let file = try await w.statement("add-key", ["--party", "FRA", "--key", "fra-rogue"], file: "rogue-add-key", home: secHome)
        try await w.countersign(file, home: secHome)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("FRA/\(rogue.keyID) "))
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("SEC/\(s.sec.keyID) "))
        let refused = try await w.appendRefused(file)
        #expect(refused.stderrText.contains("FRA"), "the reason names the party: \(refused)")

        // Nothing to see yet.
        try await Self.quietWatch(w, "FRA")

        // A directory that carries it anyway (a malicious or broken log): copy it in as the
        // next entry.
        try FileManager.default.copyItem(atPath: file, toPath: w.directory + "/000004.statement")
        let alarm = try await w.watch("FRA")
        expectCLIError(alarm, status: 1, stdoutMayHaveOutput: true)
        let alarms = alarm.stdoutLines
        #expect(alarms.count == 1, "\(alarm)")
        #expect(alarms.first?.hasPrefix("ALARM ") == true, "\(alarm)")
        #expect(alarms.first?.contains("add-key FRA") == true, "\(alarm)")
        #expect(alarms.first?.contains("SEC/\(s.sec.keyID)") == true, "the alarm names who signed: \(alarm)")
        // The other parties see nothing about themselves.
        try await Self.quietWatch(w, "NGA")
        try await Self.quietWatch(w, "SEC")
        // The replay refuses it: FRA's keys are unchanged, the rogue key is not FRA's.
        let shown = try await w.show()
        #expect(!shown.contains(rogue.keyID), "\(shown)")
        #expect(!shown.contains(rogue.recipient), "\(shown)")
        #expect(shown.contains(Self.keyLine(s.fra, "valid")), "\(shown)")
        #expect(shown.split(separator: "\n").filter { $0.hasPrefix("REFUSED ") }.count == 1, "\(shown)")
        // And the enrolment check still finds FRA's real key, and not the rogue one.
        try await attOK(["directory", "verify-enrolment", "--party", "FRA", "--fingerprint", s.fra.fingerprint, "--home", w.home])
        expectCLIError(try await att(["directory", "verify-enrolment", "--party", "FRA", "--fingerprint", rogue.fingerprint,
                                      "--home", w.home]), status: 1)
    }

    @Test("the Secretariat cannot revoke a party's key with a key it made for the party")
    func secretariatRevokes() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        let secHome = w.dir.path("secretariat-home")
        try FileManager.default.createDirectory(atPath: secHome + "/keys", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: w.home + "/keys/SEC", toPath: secHome + "/keys/SEC")
        try await w.keygen("FRA", "fra-rogue", home: secHome)
        let file = try await w.statement("revoke-key", ["--party", "FRA", "--key-id", s.fra.keyID, "--reason", "compromised"],
                                         file: "rogue-revoke", home: secHome)
        try await w.countersign(file, home: secHome)
        try await w.appendRefused(file)
        #expect(try await w.show(["--party", "FRA"]).contains(Self.keyLine(s.fra, "valid")))
    }

    @Test("a statement whose party signature does not verify is refused, and appended anyway it raises the alarm")
    func forgedPartySignature() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        let file = try await w.statement("set-preference", ["--party", "FRA", "--preference", "annual=public"], file: "pref")
        try await w.countersign(file)
        // Change one base64 symbol inside FRA's signature line (the Secretariat's stays good).
        var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = try #require(lines.firstIndex { $0.hasPrefix("— FRA/\(s.fra.keyID) ") }, "\(lines)")
        var parts = lines[i].split(separator: " ").map(String.init)
        var sig = Array(parts[2])
        sig[20] = sig[20] == "A" ? "B" : "A"
        parts[2] = String(sig)
        lines[i] = parts.joined(separator: " ")
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let r = try await w.appendRefused(file)
        #expect(r.stderrText.contains("FRA/\(s.fra.keyID)"), "the reason names the key whose signature failed: \(r)")
        try FileManager.default.copyItem(atPath: file, toPath: w.directory + "/000004.statement")
        let alarm = try await w.watch("FRA")
        expectCLIError(alarm, status: 1, stdoutMayHaveOutput: true)
        #expect(alarm.stdoutLines.count == 1 && alarm.stdoutLines[0].hasPrefix("ALARM ") && alarm.stdoutLines[0].contains("set-preference FRA"),
                "\(alarm)")
        // The preference did not take effect.
        #expect(!(try await w.show(["--party", "FRA"]).contains("preferences:")))
        try await Self.quietWatch(w, "NGA")
    }

    @Test("a directory folder with a gap in its numbering is an error for every reader, not a shorter directory")
    func gapInDirectory() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        try FileManager.default.moveItem(atPath: w.directory + "/000002.statement", toPath: w.directory + "/000009.statement")
        expectCLIError(try await att(["directory", "show", "--directory", w.directory]), status: 1)
        expectCLIError(try await w.watch("FRA"), status: 1)
        expectCLIError(try await att(["directory", "verify-enrolment", "--party", "SEC", "--fingerprint", s.sec.fingerprint,
                                      "--directory", w.directory]), status: 1)
        let file = try await w.statement("set-preference", ["--party", "NGA", "--preference", "annual=public"], file: "pref")
        try await w.countersign(file)
        expectCLIError(try await att(["directory", "append", "--directory", w.directory, file]), status: 1)
        #expect(try w.entries() == ["000001.statement", "000003.statement", "000009.statement"])
    }

    // MARK: - Out-of-band enrolment check

    @Test("verify-enrolment: keygen's fingerprint matches (64 digits, first 32, any case); others do not")
    func verifyEnrolment() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        for fp in [s.fra.fingerprint, String(s.fra.fingerprint.prefix(32)), s.fra.fingerprint.uppercased()] {
            let r = try await attOK(["directory", "verify-enrolment", "--party", "FRA", "--fingerprint", fp, "--home", w.home])
            #expect(r.stdoutText == "FRA's enrolled key \(s.fra.keyID) matches the fingerprint\n", "\(r)")
        }
        try await attOK(["directory", "verify-enrolment", "--party", "SEC", "--fingerprint", s.sec.fingerprint,
                         "--directory", w.directory])
        // Another party's fingerprint, a fingerprint with one digit changed, a party that is
        // not enrolled, and something that is not a fingerprint: exit 1.
        var changed = Array(s.fra.fingerprint)
        changed[10] = changed[10] == "0" ? "1" : "0"
        let wrong: [(String, String)] = [
            ("FRA", s.nga.fingerprint), ("NGA", s.fra.fingerprint), ("FRA", String(changed)), ("FRA", String(changed.prefix(32))),
            ("JPN", s.fra.fingerprint), ("FRA", String(s.fra.fingerprint.prefix(31))), ("FRA", s.fra.fingerprint + "0"),
            ("FRA", "not-a-fingerprint"),
        ]
        for (party, fp) in wrong {
            let r = try await att(["directory", "verify-enrolment", "--party", party, "--fingerprint", fp, "--home", w.home])
            expectCLIError(r, status: 1)
        }
    }

    // MARK: - Key life cycle

    @Test("revoke-key signed by the party alone is accepted; a revoked key can sign nothing after")
    func revokeByPartyAlone() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        // NGA adds a second key (the party signs with its first key, the Secretariat countersigns).
        let nga2 = try await w.keygen("NGA", "nga-2")
        let add = try await w.statement("add-key", ["--party", "NGA", "--key", "nga-2", "--label", "nga-1"], file: "add-nga-2")
        try await w.appendRefused(add)   // add-key needs the Secretariat
        try await w.countersign(add)
        try await w.append(add)

        // It revokes the first key, signed by the second alone: no countersignature.
        let revoke = try await w.statement("revoke-key", ["--party", "NGA", "--key-id", s.nga.keyID, "--reason", "laptop lost",
                                                          "--label", "nga-2"], file: "revoke-nga-1")
        let text = try String(contentsOfFile: revoke, encoding: .utf8)
        #expect(text.contains("\nreason laptop%20lost\n"), "\(text)")
        #expect(!text.contains("— SEC/"), "\(text)")
        let accepted = try await w.append(revoke)
        #expect(accepted.stdoutText.contains("revoke-key NGA"), "\(accepted)")
        let shown = try await w.show(["--party", "NGA"])
        #expect(shown.contains("    key nga-1  \(s.nga.keyID)  \(s.nga.recipient)  revoked "), "\(shown)")
        #expect(shown.contains(Self.keyLine(nga2, "valid")), "\(shown)")

        // Revoking it again is refused; so is anything the revoked key signs, countersigned or not.
        let again = try await w.statement("revoke-key", ["--party", "NGA", "--key-id", s.nga.keyID, "--label", "nga-2"],
                                          file: "revoke-again")
        try await w.appendRefused(again)
        let pref = try await w.statement("set-preference", ["--party", "NGA", "--preference", "annual=secretariat",
                                                            "--label", "nga-1"], file: "pref-by-revoked")
        try await w.countersign(pref)
        let r = try await w.appendRefused(pref)
        #expect(r.stderrText.contains("revoked"), "\(r)")
        // The new key can.
        let pref2 = try await w.statement("set-preference", ["--party", "NGA", "--preference", "annual=secretariat",
                                                             "--label", "nga-2"], file: "pref-by-new")
        try await w.countersign(pref2)
        try await w.append(pref2)
        #expect(try await w.show(["--party", "NGA"]).contains("    preferences: annual=secretariat\n"))
        try await Self.quietWatch(w, "NGA")
    }

    @Test("a party can revoke its only key with that key, alone")
    func revokeOnlyKeyItself() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        let revoke = try await w.statement("revoke-key", ["--party", "FRA", "--key-id", s.fra.keyID], file: "revoke-fra")
        try await w.append(revoke)
        #expect(try await w.show(["--party", "FRA"]).contains("    key fra-1  \(s.fra.keyID)  \(s.fra.recipient)  revoked "))
        // The enrolment check still names the enrolment key.
        try await attOK(["directory", "verify-enrolment", "--party", "FRA", "--fingerprint", s.fra.fingerprint, "--home", w.home])
    }

    @Test("rotate-key is refused until the Secretariat countersigns it; the enrolment fingerprint stays the first key's")
    func rotateNeedsCountersignature() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        let fra2 = try await w.keygen("FRA", "fra-2")
        let rotate = try await w.statement("rotate-key", ["--party", "FRA", "--replaces", s.fra.keyID, "--key", "fra-2",
                                                          "--label", "fra-1"], file: "rotate-fra")
        let refused = try await w.appendRefused(rotate)
        #expect(refused.stderrText.contains("Secretariat"), "the reason is the missing countersignature: \(refused)")
        #expect(try await w.show(["--party", "FRA"]).contains(Self.keyLine(s.fra, "valid")))

        try await w.countersign(rotate)
        let accepted = try await w.append(rotate)
        #expect(accepted.stdoutText.contains("rotate-key FRA"), "\(accepted)")
        let shown = try await w.show(["--party", "FRA"])
        #expect(shown.contains("    key fra-1  \(s.fra.keyID)  \(s.fra.recipient)  revoked "), "\(shown)")
        #expect(shown.contains(Self.keyLine(fra2, "valid")), "\(shown)")

        // The Note Verbale carried the first key's fingerprint: it still matches; the new key's does not.
        try await attOK(["directory", "verify-enrolment", "--party", "FRA", "--fingerprint", s.fra.fingerprint, "--home", w.home])
        expectCLIError(try await att(["directory", "verify-enrolment", "--party", "FRA", "--fingerprint", fra2.fingerprint,
                                      "--home", w.home]), status: 1)
        // Replacing the already replaced key is refused, countersigned or not.
        try await w.keygen("FRA", "fra-3")
        let again = try await w.statement("rotate-key", ["--party", "FRA", "--replaces", s.fra.keyID, "--key", "fra-3",
                                                         "--label", "fra-2"], file: "rotate-again")
        try await w.countersign(again)
        try await w.appendRefused(again)
        try await Self.quietWatch(w, "FRA")
    }

    @Test("a countersignature by a party that is not the Secretariat does not count")
    func countersignByStateParty() async throws {
        let s = try await Self.smallWorld()
        let w = s.world
        try await w.keygen("FRA", "fra-2")
        let add = try await w.statement("add-key", ["--party", "FRA", "--key", "fra-2", "--label", "fra-1"], file: "add-fra-2")
        try await w.countersign(add, by: "NGA")
        let r = try await w.appendRefused(add)
        #expect(r.stderrText.contains("Secretariat"), "\(r)")
    }

    // MARK: - Usage errors

    /// `$H` is replaced by the world's keystore, `$D` by its directory, `$S` by a statement file.
    static let usageErrors: [[String]] = [
        ["keygen"],
        ["keygen", "--party", "FR", "--home", "$H"],
        ["keygen", "--party", "fra", "--home", "$H"],
        ["keygen", "--party", "FRA", "--label", "Bad_Label", "--unencrypted", "--home", "$H"],
        ["keygen", "--party", "FRA", "--expires", "2001-01-01T00:00:00Z", "--unencrypted", "--home", "$H"],
        ["keygen", "--party", "FRA", "--expires", "tomorrow", "--unencrypted", "--home", "$H"],
        ["keygen", "--party", "FRA", "--unencrypted", "--home", "$H", "extra"],
        ["directory"],
        ["directory", "frobnicate"],
        ["directory", "statement", "--party", "FRA", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "bogus", "--party", "FRA", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "enrol", "--name", "X", "--role", "state-party", "--key", "fra-1", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "enrol", "--party", "FRA", "--name", "X", "--role", "state-party", "--key", "fra-1", "--home", "$H"],
        ["directory", "statement", "enrol", "--party", "FRA", "--role", "state-party", "--key", "fra-1", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "enrol", "--party", "FRA", "--name", "X", "--role", "king", "--key", "fra-1", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "enrol", "--party", "FRA", "--name", "X", "--role", "state-party", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "enrol", "--party", "FRA", "--name", "X", "--role", "state-party", "--in-force", "24/12/2014",
         "--key", "fra-1", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "rotate-key", "--party", "FRA", "--key", "fra-1", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "revoke-key", "--party", "FRA", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "set-preference", "--party", "FRA", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "set-preference", "--party", "FRA", "--preference", "annual", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "set-preference", "--party", "FRA", "--preference", "annual=everyone", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "set-contacts", "--party", "FRA", "-o", "new.statement", "--home", "$H"],
        ["directory", "statement", "enrol", "--party", "FRA", "--bogus", "-o", "new.statement", "--home", "$H"],
        ["directory", "countersign", "$S", "--home", "$H"],
        ["directory", "countersign", "--party", "SEC", "--home", "$H"],
        ["directory", "countersign", "--party", "SEC", "--home", "$H", "$S", "$S"],
        ["directory", "append", "--directory", "$D"],
        ["directory", "append", "--directory", "$D", "$S", "$S"],
        ["directory", "append", "--directory", "$D", "--directory", "$D", "$S"],
        ["directory", "show", "--directory", "$D", "--party", "france"],
        ["directory", "show", "--directory", "$D", "extra"],
        ["directory", "show", "--verbose", "--directory", "$D"],
        ["directory", "watch", "--directory", "$D"],
        ["directory", "watch", "--party", "F1A", "--directory", "$D"],
        ["directory", "verify-enrolment", "--party", "FRA", "--directory", "$D"],
        ["directory", "verify-enrolment", "--fingerprint", "00", "--directory", "$D"],
    ]

    @Test("usage errors exit 64 with one error line and change nothing", arguments: usageErrors)
    func usageError(_ template: [String]) async throws {
        // A light world: the Secretariat enrolled, FRA's key in the keystore, FRA's enrolment pending.
        let w = try World()
        try await w.enrol("SEC", name: "ATT Secretariat", role: "secretariat", inForce: "-", label: "sec-1")
        try await w.keygen("FRA", "fra-1")
        let pending = try await w.statement("enrol", ["--party", "FRA", "--name", "France", "--role", "state-party",
                                                      "--in-force", "-", "--key", "fra-1"], file: "pending")
        let pendingBytes = try Data(contentsOf: URL(fileURLWithPath: pending))
        let before = try w.dir.listing()
        let entries = try w.entries()
        let keys = try FileManager.default.subpathsOfDirectory(atPath: w.home + "/keys").sorted()
        let args = template.map { $0 == "$H" ? w.home : $0 == "$D" ? w.directory : $0 == "$S" ? pending : $0 }
        let r = try await att(args, in: w.dir.url)
        expectCLIError(r, status: 64)
        #expect(r.stderrText.contains("(see --help)"), "\(r)")
        #expect(try w.dir.listing() == before, "a usage error must not create files")
        #expect(try w.entries() == entries)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: w.home + "/keys").sorted() == keys)
        #expect(try Data(contentsOf: URL(fileURLWithPath: pending)) == pendingBytes)
    }

    @Test("help for every directory command and keygen, exit 0 on stdout",
          arguments: [["keygen"], ["directory", "statement"], ["directory", "countersign"], ["directory", "append"],
                      ["directory", "show"], ["directory", "watch"], ["directory", "verify-enrolment"]])
    func help(_ command: [String]) async throws {
        let r = try await att(command + ["--help"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdoutText.hasPrefix("Usage: att-report \(command.joined(separator: " "))"), "\(r)")
    }
}
