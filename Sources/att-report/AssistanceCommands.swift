import Crypto
import Foundation
import Relay
import Vault

/// `att-report assistance request | offer | list | match | details`: Article 16 assistance
/// (docs/FORMATS.md §8.7, §9.4). A request or an offer is two envelopes of its type: the
/// public metadata (canonical JSON, `file=assistance-<id>.json`, level `public`), and the
/// details sealed to the Secretariat (and parties named with --to), whose manifest names
/// the public envelope (`file=details-<public envelope id>.txt`) and whose payload repeats
/// both ids inside the signature.
enum AssistanceFlow {
    /// Largest public metadata envelope read (the JSON is far smaller).
    static let maxMetadataEnvelope = 1 << 20
    static let maxDetailsEnvelope = 1 << 20

    struct Posted {
        let envelope: String
        let index: UInt64
        let metadata: AssistanceMetadata
    }

    /// A client: signed as `--party` when given, else anonymous (public metadata needs no key).
    static func client(_ args: ParsedArguments) throws -> RelayClient {
        if args.value("--party") != nil { return try NetworkOptions.client(args) }
        guard let url = args.value("--relay") else { throw UsageError("--relay URL is required") }
        do { return try RelayClient(url: url, party: nil, key: nil) } catch { throw Failure("--relay: \(error.description)") }
    }

    /// Reads a metadata document strictly: it must be the canonical JSON of the metadata it holds.
    static func parseMetadata(_ bytes: [UInt8]) throws -> AssistanceMetadata {
        do { return try AssistanceMetadata(canonicalJSON: bytes) } catch { throw Failure("\(error)") }
    }

    /// Every request and offer on the relay, each public envelope verified in full against
    /// the directory; for a party and assistance id, the latest in log order; superseded
    /// envelopes left out. A refused envelope is named on standard error and left out.
    static func posted(_ client: RelayClient, directory: DirectoryState) throws -> [Posted] {
        var listing: [RelayClient.Listing] = []
        do {
            for type in [ReportType.assistanceRequest, .assistanceOffer] {
                listing += try client.list(type: type, level: .public)
            }
        } catch { throw Failure("listing assistance on the relay failed: \(error)") }
        var superseded: Set<String> = []
        var latest: [String: Posted] = [:]
        for l in listing.sorted(by: { $0.index < $1.index }) {
            guard let manifest = try? Manifest.parseOuterComment(l.trustedComment).manifest else {
                CLI.note("relay listing \(l.index): not a manifest; left out")
                continue
            }
            do {
                let (sealed, signature) = try client.fetchSmall(id: manifest.id, limit: maxMetadataEnvelope)
                let out = MemoryOutput(limit: 64 * 1024)
                let opened = try Envelope.open(sealed: MemorySource(sealed), signature: try MinisignSignature(parsing: signature),
                                               directory: directory, identities: [], output: { _ in out })
                let m = opened.manifest
                guard m.id == manifest.id else { throw Failure("the relay sent envelope \(m.id)") }
                let metadata = try parseMetadata(out.bytes)
                guard metadata.party == m.from, metadata.direction.reportType == m.type,
                      m.fileName == AssistanceDetailsPayload.metadataFileName(assistanceID: metadata.id) else {
                    throw Failure("its metadata (\(metadata.party) \(metadata.direction.rawValue) \(metadata.id)) does not fit its manifest")
                }
                if let s = m.supersedes { superseded.insert("\(m.from) \(s)") }
                latest["\(m.from) \(metadata.id)"] = Posted(envelope: m.id, index: l.index, metadata: metadata)
            } catch {
                CLI.note("envelope \(manifest.id) (\(manifest.type.rawValue) from \(manifest.from)): refused, left out: \(error)")
            }
        }
        // Only a party's own envelope can supersede it (the relay checks this too, but is not trusted).
        return latest.values.filter { !superseded.contains("\($0.metadata.party) \($0.envelope)") }.sorted { $0.index < $1.index }
    }

    /// The details envelopes the caller may read, by the public envelope they name.
    static func details(_ client: RelayClient) throws -> [String: [Manifest]] {
        guard client.party != nil else { return [:] }
        var out: [String: [Manifest]] = [:]
        for type in [ReportType.assistanceRequest, .assistanceOffer] {
            let listing: [RelayClient.Listing]
            do { listing = try client.list(type: type) } catch { throw Failure("listing assistance on the relay failed: \(error)") }
            for l in listing {
                guard let m = try? Manifest.parseOuterComment(l.trustedComment).manifest, m.level != .public,
                      let publicID = AssistanceDetailsPayload.publicEnvelope(fromManifestFileName: m.fileName) else { continue }
                out[publicID, default: []].append(m)
            }
        }
        return out
    }

    static func json(_ p: Posted, details: [Manifest]?) -> [String: Any] {
        let m = p.metadata
        var o: [String: Any] = ["envelope": p.envelope, "id": m.id, "direction": m.direction.rawValue, "party": m.party.rawValue,
                                "kinds": m.kinds.map(\.rawValue), "provisions": m.provisions.map(\.description), "posted": m.posted.description,
                                "expires": m.expires?.description ?? NSNull(), "withdrawn": m.withdrawn,
                                "openTo": m.openTo.map { $0.map(\.rawValue) } ?? NSNull()]
        if let details { o["details"] = details.map(\.id) }
        return o
    }

    static func today(_ args: ParsedArguments) throws -> CivilDate {
        guard let t = args.value("--today") else { return CivilDate(DirectoryOptions.now()) }
        guard let d = try? CivilDate(parsing: t) else { throw UsageError("--today: \"\(t)\" is not YYYY-MM-DD") }
        return d
    }

    static let listOptions: [Option] = [
        NetworkOptions.relay,
        Option(["--party"], value: "CODE", help: "sign the requests as this party (to see which details it may read); default: anonymous"),
        NetworkOptions.label, Option(["--today"], value: "DATE", help: "the day to judge expiry on (default: today, UTC)"),
        NetworkOptions.json, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption,
    ]
}

/// `assistance request` and `assistance offer`.
protocol AssistancePost: Command { static var direction: AssistanceDirection { get } }

extension AssistancePost {
    static var usage: String {
        "--relay URL [--party CODE] --kind KINDS --provision PROVISIONS --title TEXT [--id ID] [--expires DATE] [--to CODES]"
            + (direction == .offer ? " [--open-to CODES]" : "") + " [-o PREFIX] [--json] DETAILS_FILE"
    }
    static var options: [Option] {
        var o = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label,
                 Option(["--kind"], value: "KINDS", help: "comma-separated: legal, legislative, institutional-capacity-building, technical, material, financial"),
                 Option(["--provision"], value: "PROVISIONS", repeatable: true, help: "Treaty provisions, comma-separated or repeated: 16, 16(1), 7(1)(b)"),
                 Option(["--title"], value: "TEXT", help: "a short title (sealed with the details)"),
                 Option(["--id"], value: "ID", help: "the \(direction.rawValue)'s id, unique for the party (default <PARTY>-<YEAR>-<n>)"),
                 Option(["--expires"], value: "DATE", help: "the last day it stands, YYYY-MM-DD (default: until withdrawn)"),
                 Option(["--to"], value: "CODES", help: "parties that may read the details too (the Secretariat always may)")]
        if direction == .offer { o.append(Option(["--open-to"], value: "CODES", help: "the States the offer is open to (default: any)")) }
        return o + [Option(["-o", "--output"], value: "PREFIX", help: "where the envelopes are kept: PREFIX.att and PREFIX.details.att (default assistance-<ID>)"),
                    NetworkOptions.json, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption]
    }

    static func run(_ args: ParsedArguments) throws {
        guard let file = try args.positionals(max: 1).first else { throw UsageError("name the DETAILS_FILE") }
        guard let kindText = args.value("--kind") else { throw UsageError("--kind KINDS is required") }
        let kinds = try kindText.split(separator: ",", omittingEmptySubsequences: false).map { k -> AssistanceKind in
            guard let kind = AssistanceKind(rawValue: String(k)) else {
                throw UsageError("--kind: \"\(k)\" is not one of \(AssistanceKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
        let provisions = try args.all("--provision").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { p -> TreatyProvision in
            guard let provision = try? TreatyProvision(parsing: String(p)) else { throw UsageError("--provision: \"\(p)\" is not a Treaty provision like 16(1)") }
            return provision
        }
        guard !provisions.isEmpty else { throw UsageError("--provision PROVISIONS is required") }
        guard let title = args.value("--title") else { throw UsageError("--title TEXT is required") }
        var expires: CivilDate?
        if let e = args.value("--expires") {
            guard let d = try? CivilDate(parsing: e) else { throw UsageError("--expires: \"\(e)\" is not YYYY-MM-DD") }
            expires = d
        }
        let to = try EnvelopeFlow.parties(args.value("--to"), flag: "--to")
        let openTo = direction == .offer ? try EnvelopeFlow.parties(args.value("--open-to"), flag: "--open-to") : []
        let textBytes = try readSmallFile(file, limit: AssistanceDetailsPayload.maxText + 1)
        guard let text = String(validating: textBytes, as: UTF8.self) else { throw Failure("\(file): the details are not UTF-8") }
        let details = AssistanceDetails(title: title, text: text)
        // Checked before anything is sealed (the envelope id is not known yet).
        do { _ = try AssistanceDetailsPayload(assistanceID: "check", envelope: "00000000000000000000000000", details: details) } catch {
            throw Failure("\(file): \(error)")
        }

        let directory = try DirectoryOptions.local(args).state()
        let (party, signer, client, pinNote) = try EnvelopeFlow.signerAndClient(args)
        let time = DirectoryOptions.now()
        let posted = CivilDate(time)

        // The ids this party has used (from the public file names), so a new one is unique.
        var used: Set<String> = []
        do {
            for type in [ReportType.assistanceRequest, .assistanceOffer] {
                for l in try client.list(type: type, level: .public, from: party) {
                    guard let m = try? Manifest.parseOuterComment(l.trustedComment).manifest,
                          m.fileName.hasPrefix("assistance-"), m.fileName.hasSuffix(".json") else { continue }
                    used.insert(String(m.fileName.dropFirst("assistance-".count).dropLast(".json".count)))
                }
            }
        } catch { throw Failure("listing \(party)'s assistance on the relay failed: \(error)") }
        let id: String
        if let given = args.value("--id") {
            guard !used.contains(given) else { throw Failure("\(party) has already posted assistance with id \(given)") }
            id = given
        } else {
            var n = 1
            while used.contains("\(party)-\(posted.year)-\(n)") { n += 1 }
            id = "\(party)-\(posted.year)-\(n)"
        }
        let metadata: AssistanceMetadata
        do {
            metadata = try AssistanceMetadata(id: id, direction: direction, party: party, kinds: kinds, provisions: provisions,
                                              posted: posted, expires: expires, openTo: openTo.isEmpty ? nil : openTo)
        } catch { throw UsageError("\(error)") }

        let prefix = args.value("-o") ?? "assistance-\(id)"
        let publicPath = prefix + ".att", detailsPath = prefix + ".details.att"
        let json = metadata.canonicalJSON
        let publicSealed = try EnvelopeFlow.seal(payload: MemorySource(json), size: UInt64(json.count),
                                                 fileName: AssistanceDetailsPayload.metadataFileName(assistanceID: id), party: party, signer: signer,
                                                 type: direction.reportType, level: .public, time: time, directory: directory, sealedPath: publicPath)
        let publicReceipt = try EnvelopeFlow.submit(client, sealedPath: publicPath, id: publicSealed.manifest.id)

        let payload = try AssistanceDetailsPayload(assistanceID: id, envelope: publicSealed.manifest.id, details: details).encoded
        let detailsSealed = try EnvelopeFlow.seal(payload: MemorySource(payload), size: UInt64(payload.count),
                                                  fileName: AssistanceDetailsPayload.manifestFileName(publicEnvelope: publicSealed.manifest.id),
                                                  party: party, signer: signer, type: direction.reportType,
                                                  level: to.isEmpty ? .secretariat : .selected, selected: to, includeSecretariat: !to.isEmpty,
                                                  time: time, directory: directory, sealedPath: detailsPath)
        let detailsReceipt = try EnvelopeFlow.submit(client, sealedPath: detailsPath, id: detailsSealed.manifest.id)
        if let pinNote { CLI.note(pinNote) }

        if args.has("--json") {
            try NetworkOptions.printJSON(["id": id, "direction": direction.rawValue, "envelope": publicSealed.manifest.id,
                                          "details": detailsSealed.manifest.id, "detailsReaders": detailsSealed.manifest.to.map(\.rawValue),
                                          "receipts": [publicReceipt.proofPath, detailsReceipt.proofPath]] as [String: Any])
        } else {
            let text = "Posted \(direction.rawValue) \(id): public metadata \(publicSealed.manifest.id) (log index \(publicReceipt.index)), "
                + "details \(detailsSealed.manifest.id) for \(detailsSealed.manifest.to.map(\.rawValue).joined(separator: ",")) (log index \(detailsReceipt.index)); "
                + "receipts verified and saved next to \(publicPath) and \(detailsPath)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

struct AssistanceRequest: AssistancePost {
    static let name = "request"
    static let summary = "post a request for assistance: public kinds and provisions, details sealed to the Secretariat"
    static let direction = AssistanceDirection.request
}

struct AssistanceOffer: AssistancePost {
    static let name = "offer"
    static let summary = "post an offer of assistance: public kinds and provisions, details sealed to the Secretariat"
    static let direction = AssistanceDirection.offer
}

struct AssistanceList: Command {
    static let name = "list"
    static let summary = "the requests and offers on a relay (public metadata, each envelope verified)"
    static let usage = "--relay URL [--party CODE] [--today DATE] [--directory DIR] [--json]"
    static let options = AssistanceFlow.listOptions

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let today = try AssistanceFlow.today(args)
        let directory = try DirectoryOptions.local(args).state()
        let client = try AssistanceFlow.client(args)
        let posted = try AssistanceFlow.posted(client, directory: directory)
        // Only the poster's own details envelopes count.
        var details: [String: [Manifest]] = [:]
        for (id, list) in try AssistanceFlow.details(client) {
            guard let p = posted.first(where: { $0.envelope == id }) else { continue }
            details[id] = list.filter { $0.from == p.metadata.party }
        }
        if args.has("--json") {
            return try NetworkOptions.printJSON(posted.map { AssistanceFlow.json($0, details: client.party == nil ? nil : details[$0.envelope] ?? []) })
        }
        var text = ""
        for p in posted {
            let m = p.metadata
            let state = m.withdrawn ? "withdrawn" : m.isActive(on: today) ? "active" : m.posted > today ? "not yet posted" : "expired"
            text += "\(m.direction.rawValue) \(m.id) by \(m.party): \(m.kinds.map(\.rawValue).joined(separator: ",")); "
                + "provisions \(m.provisions.map(\.description).joined(separator: ",")); posted \(m.posted)"
                + (m.expires.map { ", expires \($0)" } ?? "") + (m.openTo.map { "; open to " + $0.map(\.rawValue).joined(separator: ",") } ?? "")
                + " [\(state)] envelope \(p.envelope)"
                + (details[p.envelope].flatMap { $0.isEmpty ? nil : "; details readable by you: " + $0.map(\.id).joined(separator: ",") } ?? "") + "\n"
        }
        if posted.isEmpty { text = "No requests or offers of assistance on the relay.\n" }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct AssistanceMatchCommand: Command {
    static let name = "match"
    static let summary = "list the requests and offers on a relay that fit each other (same kind, covering provisions)"
    static let usage = "--relay URL [--party CODE] [--today DATE] [--directory DIR] [--json]"
    static let options = AssistanceFlow.listOptions

    static func run(_ args: ParsedArguments) throws {
        _ = try args.positionals(max: 0)
        let today = try AssistanceFlow.today(args)
        let directory = try DirectoryOptions.local(args).state()
        let posted = try AssistanceFlow.posted(try AssistanceFlow.client(args), directory: directory)
        let requests = posted.filter { $0.metadata.direction == .request }, offers = posted.filter { $0.metadata.direction == .offer }
        let matches = try Assistance.match(requests: requests.map(\.metadata), offers: offers.map(\.metadata), on: today)
        func envelope(_ list: [AssistanceFlow.Posted], _ party: PartyCode, _ id: String) -> String {
            list.first { $0.metadata.party == party && $0.metadata.id == id }?.envelope ?? "-"
        }
        if args.has("--json") {
            return try NetworkOptions.printJSON(matches.map { m -> [String: Any] in
                ["request": m.request, "offer": m.offer, "requester": m.requester.rawValue, "offerer": m.offerer.rawValue,
                 "kinds": m.kinds.map(\.rawValue), "provisions": m.provisions.map(\.description),
                 "requestEnvelope": envelope(requests, m.requester, m.request), "offerEnvelope": envelope(offers, m.offerer, m.offer)]
            })
        }
        var text = matches.map { "\($0.description)\n" }.joined()
        text += "\(matches.count) match\(matches.count == 1 ? "" : "es") on \(today), among \(requests.count) request(s) and \(offers.count) offer(s) on the relay\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct AssistanceDetailsCommand: Command {
    static let name = "details"
    static let summary = "fetch and open the sealed details of a request or offer (Secretariat and named parties)"
    static let usage = "--relay URL [--party CODE] [--json] ENVELOPE   (the id of its public metadata envelope)"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label, NetworkOptions.json,
                                    DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        guard let publicID = try args.positionals(max: 1).first else { throw UsageError("name the public metadata ENVELOPE id") }
        guard Manifest.isValidID(publicID) else { throw UsageError("\"\(publicID)\" is not an envelope id") }
        let directory = try DirectoryOptions.local(args).state()
        let client = try NetworkOptions.client(args)
        let party = client.party!
        // The public half, verified: who posted what.
        let posted: AssistanceMetadata, publicManifest: Manifest
        do {
            let (sealed, signature) = try client.fetchSmall(id: publicID, limit: AssistanceFlow.maxMetadataEnvelope)
            let out = MemoryOutput(limit: 64 * 1024)
            publicManifest = try Envelope.open(sealed: MemorySource(sealed), signature: try MinisignSignature(parsing: signature),
                                               directory: directory, identities: [], output: { _ in out }).manifest
            guard publicManifest.level == .public, publicManifest.id == publicID else { throw Failure("it is not a public envelope") }
            posted = try AssistanceFlow.parseMetadata(out.bytes)
        } catch let e as HTTPClientError {
            throw Failure("envelope \(publicID): \(e.description)")
        } catch { throw Failure("envelope \(publicID) is not valid assistance metadata: \(error)") }
        guard let candidates = try AssistanceFlow.details(client)[publicID]?.filter({ $0.from == publicManifest.from }), !candidates.isEmpty else {
            throw Failure("no details of \(posted.direction.rawValue) \(posted.id) (\(publicID)) are readable by \(party)")
        }
        let identities = try EnvelopeFlow.identities(args, party: party)
        let m = candidates.last!
        let (sealed, signature) = try client.fetchSmall(id: m.id, limit: AssistanceFlow.maxDetailsEnvelope)
        let out = MemoryOutput(limit: PayloadHeader.maxSize + AssistanceDetailsPayload.maxText)
        let opened = try Envelope.open(sealed: MemorySource(sealed), signature: try MinisignSignature(parsing: signature),
                                       directory: directory, identities: identities, output: { _ in out })
        let payload = try AssistanceDetailsPayload(parsing: out.bytes)
        guard opened.manifest.id == m.id, payload.envelope == publicID, payload.assistanceID == posted.id,
              opened.manifest.from == posted.party, opened.manifest.type == posted.direction.reportType else {
            throw Failure("details envelope \(m.id) does not belong to \(posted.direction.rawValue) \(posted.id) (\(publicID))")
        }
        if args.has("--json") {
            return try NetworkOptions.printJSON(["envelope": publicID, "details": m.id, "id": posted.id, "party": posted.party.rawValue,
                                                 "direction": posted.direction.rawValue, "title": payload.details.title,
                                                 "text": payload.details.text, "readers": opened.manifest.to.map(\.rawValue)] as [String: Any])
        }
        let text = "\(posted.direction.rawValue.capitalized) \(posted.id) by \(posted.party) (details \(m.id), signatures verified; readable by "
            + opened.manifest.to.map(\.rawValue).joined(separator: ",") + ")\n"
            + "Title: \(payload.details.title)\n\n" + payload.details.text + (payload.details.text.hasSuffix("\n") ? "" : "\n")
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

struct AssistanceWithdraw: Command {
    static let name = "withdraw"
    static let summary = "withdraw a request or offer: its metadata again with withdrawn = true, superseding the last version"
    static let usage = "--relay URL [--party CODE] [-o SEALED] [--json] ID"
    static let options: [Option] = [NetworkOptions.relay, NetworkOptions.party, NetworkOptions.label,
                                    Option(["-o", "--output"], value: "SEALED", help: "where the new envelope is kept (default assistance-<ID>.withdrawn.att)"),
                                    NetworkOptions.json, DirectoryOptions.directory, KeystoreOptions.home, Passphrase.fileOption]

    static func run(_ args: ParsedArguments) throws {
        guard let id = try args.positionals(max: 1).first else { throw UsageError("name the request's or offer's ID") }
        let directory = try DirectoryOptions.local(args).state()
        let (party, signer, client, pinNote) = try EnvelopeFlow.signerAndClient(args)
        guard let current = try AssistanceFlow.posted(client, directory: directory).first(where: { $0.metadata.party == party && $0.metadata.id == id }) else {
            throw Failure("\(party) has no request or offer \(id) on the relay")
        }
        let m = current.metadata
        guard !m.withdrawn else { throw Failure("\(m.direction.rawValue) \(id) is already withdrawn") }
        let withdrawn = try AssistanceMetadata(id: m.id, direction: m.direction, party: m.party, kinds: m.kinds, provisions: m.provisions,
                                               posted: m.posted, expires: m.expires, withdrawn: true, openTo: m.openTo)
        // The relay holds the amended envelope's year: the new version keeps it.
        let previous = try Envelope.inspect(signature: try MinisignSignature(parsing: try client.envelopeSignature(id: current.envelope))).manifest
        let path = args.value("-o") ?? "assistance-\(id).withdrawn.att"
        let json = withdrawn.canonicalJSON
        let sealed = try EnvelopeFlow.seal(payload: MemorySource(json), size: UInt64(json.count),
                                           fileName: AssistanceDetailsPayload.metadataFileName(assistanceID: id), party: party, signer: signer,
                                           type: m.direction.reportType, level: .public, supersedes: current.envelope, year: previous.year,
                                           time: DirectoryOptions.now(), directory: directory, sealedPath: path)
        let receipt = try EnvelopeFlow.submit(client, sealedPath: path, id: sealed.manifest.id)
        if let pinNote { CLI.note(pinNote) }
        if args.has("--json") {
            return try NetworkOptions.printJSON(["id": id, "envelope": sealed.manifest.id, "supersedes": current.envelope, "receipt": receipt.proofPath])
        }
        FileHandle.standardOutput.write(Data("Withdrew \(m.direction.rawValue) \(id): envelope \(sealed.manifest.id) supersedes \(current.envelope) (log index \(receipt.index)); receipt saved to \(receipt.proofPath)\n".utf8))
    }
}
