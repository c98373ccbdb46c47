import Crypto
@_spi(Fuzzing) import Vault

/// Targets for the parsers in Vault.
enum VaultTargets {
    /// The manifest line, the outer trusted comment (`… sealed-size=N`) and the
    /// `manifest.txt` container member (line, then the recipient key list).
    static func manifest(_ data: [UInt8]) {
        let name = "manifest"
        let text = String(decoding: data, as: UTF8.self)
        if let m = try? Manifest(parsing: text) {
            require(m.line == text, name, "a parsed manifest line does not print as itself")
            require((try? Manifest(parsing: m.line)) == m, name, "a printed manifest does not parse back")
            require(m.to.isEmpty == (m.level == .public), name, "to= is empty exactly when the level is not public")
        }
        if let (m, size) = try? Manifest.parseOuterComment(text) {
            require(m.outerComment(sealedSize: size) == text, name, "a parsed outer comment does not print as itself")
        }
        if let member = try? VaultFuzzing.parseManifestMember(data) {
            var rebuilt = Array(member.line.utf8) + [0x0A]
            let list = member.recipients.map { $0.line + "\n" }.joined()
            require(Array(list.utf8) == member.keyList, name, "the key list does not print as its recipients")
            rebuilt += member.keyList
            require(rebuilt == data, name, "manifest.txt does not re-assemble from its line and key list")
        }
    }

    /// The envelope container: read all at once and in pieces (the verdict and the parts
    /// must not depend on how the bytes arrive); an accepted archive must be exactly what
    /// the writer makes from its parts.
    static func ustar(_ data: [UInt8]) {
        let name = "ustar"
        let h = mix(data)
        let pieces = (0..<4).map { 1 + Int((h >> (16 * UInt64($0))) & 0x3FF) }
        let whole = Outcome { try VaultFuzzing.readContainer(data, fileName: nil, mtime: nil) }
        let split = Outcome { try VaultFuzzing.readContainer(data, fileName: nil, mtime: nil, pieces: pieces) }
        switch (whole, split) {
        case let (.value(a), .value(b)): require(a == b, name, "the parts depend on how the bytes arrive (\(pieces))")
        case let (.failure(a), .failure(b)): require(a == b, name, "the error depends on how the bytes arrive (\(pieces)): \(a) vs \(b)")
        default: violated(name, "accepting the archive depends on how the bytes arrive (\(pieces)): \(whole) vs \(split)")
        }
        guard let c = whole.value else { return }
        require(Manifest.isValidFileName(c.fileName), name, "an accepted report member name is not a valid file name")
        require(c.archiveSize == UInt64(data.count) && data.count % 10240 == 0, name, "archive size \(c.archiveSize) for \(data.count) bytes")
        // With the expected name and mtime given (as `Envelope.open` does), it is accepted too.
        let expected = Outcome { try VaultFuzzing.readContainer(data, fileName: c.fileName, mtime: c.mtime) }
        require(expected == whole, name, "the archive is refused when its own name and mtime are expected: \(expected)")
        guard let rebuilt = try? VaultFuzzing.writeContainer(manifest: c.manifest, fileName: c.fileName, report: c.report,
                                                             signature: c.signature, mtime: c.mtime) else {
            violated(name, "the writer refuses the parts of an accepted archive")
        }
        require(rebuilt == data, name, "an accepted archive is not what the writer makes from its parts")
    }

    static func statement(_ data: [UInt8]) {
        let name = "statement"
        guard let s = try? Statement(parsing: data) else { return }
        require(s.bytes == data, name, "a parsed statement does not print as its bytes")
        require((try? Statement(parsing: s.bytes)) == s, name, "a printed statement does not parse back")
        require((try? Statement(party: s.party, time: s.time, body: s.body)) == s, name, "a statement rebuilt from its parts differs")
    }

    /// Contacts documents have no writer; the property: a canonical rendering of the parsed
    /// contacts parses back to the same contacts, and every contact keeps its invariants.
    static func contacts(_ data: [UInt8]) {
        let name = "contacts"
        guard let doc = try? ContactsDocument(parsing: data) else { return }
        require(doc.bytes == data, name, "the document does not keep its bytes")
        var out = ""
        for c in doc.contacts {
            require(!c.emails.isEmpty, name, "a contact without an email was accepted")
            if let u = c.validUntil { require(u >= c.validFrom, name, "valid-until before valid-from was accepted") }
            out += "name: \(c.name)\n"
            if let t = c.title { out += "title: \(t)\n" }
            if let m = c.ministry { out += "ministry: \(m)\n" }
            for e in c.emails { out += "email: \(e)\n" }
            for t in c.telephones { out += "telephone: \(t)\n" }
            if let a = c.address { out += "address: \(a)\n" }
            out += "valid-from: \(c.validFrom)\n"
            if let u = c.validUntil { out += "valid-until: \(u)\n" }
            out += "\n"
        }
        let rendered = Array(out.utf8)
        if rendered.count <= ContactsDocument.maxSize {
            let again = Outcome { try ContactsDocument(parsing: rendered).contacts }
            require(again == .value(doc.contacts), name, "the canonical rendering of the contacts does not parse back: \(again)")
        }
    }
}
