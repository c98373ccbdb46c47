import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

#if canImport(Glibc)
import Glibc
#endif

/// What the fault-injection tests (FaultInjectionTests.swift) share: envelopes sealed in
/// process, an in-process HTTP client for the many reads, raw sockets from a chosen
/// loopback address, tmpfs mounts, and the checks of what a relay holds.
enum Fault {
    typealias Sealed = RelayEnvelopesLiveTests.Sealed
    static let relayName = RelayEnvelopesLiveTests.relayName
    static var origin: String { "\(relayName)/submissions" }

    struct Failed: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: - Envelopes

    /// The example world's FRA key and directory, and a time to seal at.
    struct Sender {
        let party: PartyCode
        let key: MinisignSecretKey
        let directory: DirectoryState
        let time: UTCTime

        init(world: RelayEnvelopesLiveTests.World, party: String = "FRA") throws {
            self.party = try PartyCode(party)
            key = try world.key(party)
            directory = try LocalDirectory(url: world.directory).state()
            time = UTCTime(seconds: Int64(Date().timeIntervalSince1970))
        }

        /// A states-parties envelope (restricted: the relay cannot open it) of about
        /// `bytes` bytes, distinct for each `n`.
        func seal(_ n: Int, bytes: Int = 512) throws -> Sealed {
            var text = "party,year,n\n"
            var row = 0
            while text.utf8.count < bytes {
                text += "\(party.rawValue),2025,\(n)-\(row)\n"
                row += 1
            }
            let report = Array(text.utf8)
            let recipients = try Disclosure.resolve(directory: directory, sender: party, level: .statesParties, at: time)
            let sink = MemorySink()
            let sealed = try Envelope.seal(report: MemorySource(report), reportSize: UInt64(report.count),
                                           fileName: "report-\(n).csv", sender: party, signingKey: key, type: .annual,
                                           year: 2025, level: .statesParties, recipients: recipients, supersedes: nil,
                                           time: time, directory: directory, to: sink)
            return Sealed(sealed: sink.bytes, signature: Array(sealed.outerSignature.encodeFile().utf8),
                          id: sealed.manifest.id)
        }

        /// A fresh Authorization header for this party.
        func authorization(method: String, target: String, body: [UInt8] = []) throws -> String {
            try RequestAuth.sign(relay: Fault.relayName, method: method, target: target, bodySHA256: SHA256.hash(body),
                                 party: party, key: key, time: Int64(Date().timeIntervalSince1970))
        }
    }

    // MARK: - In-process HTTP (libcurl, one connection kept alive)

    /// A client for the many reads of a check: status and body of each GET, signed as the
    /// sender when `signed`.
    final class Reader {
        let client: HTTPClient
        let base: String
        let sender: Sender

        init(base: String, sender: Sender) throws {
            client = try HTTPClient()
            client.timeout = 30
            self.base = base
            self.sender = sender
        }

        func get(_ target: String, signed: Bool = false) throws -> (status: Int, body: [UInt8]) {
            let headers = signed ? [("Authorization", try sender.authorization(method: "GET", target: target))] : []
            do {
                let r = try client.get(base + target, headers: headers, limit: 64 << 20)
                return (r.status, r.body)
            } catch HTTPClientError.status(let code, let message) {
                return (code, Array(message.utf8))
            }
        }

        func require(_ target: String, signed: Bool = false) throws -> [UInt8] {
            let r = try get(target, signed: signed)
            guard r.status == 200 else {
                throw Failed("GET \(target): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
            }
            return r.body
        }
    }

    // MARK: - What a relay holds

    /// The envelopes a relay must hold (those with a receipt, or seen complete once) and
    /// every checkpoint seen, checked against each restart of the relay.
    struct Ledger {
        /// id → (envelope, its log index).
        var held: [String: (envelope: Sealed, index: UInt64)] = [:]
        /// size → root, of every checkpoint seen (in receipts or served).
        var checkpoints: [UInt64: Merkle.Hash] = [:]

        mutating func see(_ cp: Checkpoint) throws {
            if let root = checkpoints[cp.size], root != cp.rootHash {
                throw Failed("two checkpoints of size \(cp.size) with different roots")
            }
            checkpoints[cp.size] = cp.rootHash
        }

        /// Records a receipt for `e`; it must verify under `key`.
        mutating func acknowledge(_ e: Sealed, receipt: [UInt8], key: NoteVerifierKey) throws {
            let proof = try TlogProof(parsing: receipt)
            try proof.verify(leafHash: e.leafHash, origin: Fault.origin, logKey: key)
            if let old = held[e.id], old.index != proof.index {
                throw Failed("envelope \(e.id) acknowledged at index \(proof.index), held at \(old.index)")
            }
            held[e.id] = (e, proof.index)
            try see(try SignedCheckpoint(opening: proof.checkpointNote, origin: Fault.origin, logKey: key).checkpoint)
        }

        /// Checks the relay against everything recorded, and records what it shows that is
        /// complete: the current checkpoint is consistent with every earlier one; the
        /// entries of the log give that checkpoint's root; every held envelope is listed at
        /// its index, fetched byte for byte, and its leaf is in the log; anything else
        /// listed is one of `candidates` (nothing half-written, nothing unknown), complete.
        /// Returns the current checkpoint.
        @discardableResult
        mutating func check(_ reader: Reader, key: NoteVerifierKey, candidates: [String: Sealed]) throws -> Checkpoint {
            let note = try reader.require("/v1/logs/submissions/checkpoint")
            let current = try SignedCheckpoint(opening: note, origin: Fault.origin, logKey: key).checkpoint
            try see(current)
            for (size, root) in checkpoints where size < current.size {
                let text = try reader.require("/v1/logs/submissions/proof/consistency?old=\(size)&new=\(current.size)")
                let proof = try RelayLogsLiveTests.hashes(String(decoding: text, as: UTF8.self))
                do {
                    try Merkle.verifyConsistency(size1: size, size2: current.size, proof: proof, root1: root,
                                                 root2: current.rootHash)
                } catch {
                    throw Failed("checkpoint \(current.size) is not consistent with earlier checkpoint \(size): \(error)")
                }
            }

            // The log's entries, from the entry bundles, give the checkpoint's root.
            var leaves: [[UInt8]] = []
            var bundle: UInt64 = 0
            while UInt64(leaves.count) < current.size {
                let left = current.size - bundle * 256
                let path = Fault.tilePath(bundle) + (left >= 256 ? "" : ".p/\(left)")
                leaves += try Fault.entries(of: try reader.require("/v1/logs/submissions/tile/entries/" + path))
                bundle += 1
            }
            guard UInt64(leaves.count) == current.size,
                  Merkle.root(ofLeafHashes: leaves.map { Merkle.leafHash($0) }[...]) == current.rootHash else {
                throw Failed("the entry bundles do not give the root of checkpoint \(current.size)")
            }

            // The list, as the sender (who may read all of them).
            var listed: [String: UInt64] = [:]
            var since: UInt64 = 0
            while true {
                let text = String(decoding: try reader.require("/v1/envelopes?since=\(since)&limit=1000", signed: true),
                                  as: UTF8.self)
                var count = 0
                for line in text.split(separator: "\n") {
                    count += 1
                    let fields = line.split(separator: " ")
                    guard let index = UInt64(fields.first ?? ""),
                          let id = fields.first(where: { $0.hasPrefix("id=") }).map({ String($0.dropFirst(3)) }) else {
                        throw Failed("list line \"\(line)\" is not \"<index> <trusted comment>\"")
                    }
                    guard listed.updateValue(index, forKey: id) == nil else { throw Failed("envelope \(id) listed twice") }
                    since = index + 1
                }
                if count < 1000 { break }
            }
            for (id, index) in listed {
                guard index < current.size else { throw Failed("envelope \(id) listed at \(index), beyond the log's \(current.size)") }
                if let h = held[id] {
                    guard h.index == index else { throw Failed("envelope \(id) listed at \(index), acknowledged at \(h.index)") }
                } else if let e = candidates[id] {
                    held[id] = (e, index)  // it got in before the kill: it must stay, complete
                } else {
                    throw Failed("envelope \(id) is listed but was never submitted")
                }
            }
            for (id, h) in held {
                guard listed[id] == h.index else { throw Failed("held envelope \(id) (index \(h.index)) is not listed") }
                guard leaves[Int(h.index)] == SHA256.hash(h.envelope.signature) else {
                    throw Failed("log entry \(h.index) is not the leaf of envelope \(id)")
                }
                let sealed = try reader.require("/v1/envelopes/\(id)", signed: true)
                guard sealed == h.envelope.sealed else {
                    throw Failed("envelope \(id): sealed file of \(sealed.count) bytes differs from the \(h.envelope.sealed.count) sent")
                }
                guard try reader.require("/v1/envelopes/\(id)/signature", signed: true) == h.envelope.signature else {
                    throw Failed("envelope \(id): the signature differs")
                }
            }
            // A submitted envelope not listed is not served at all.
            for (id, _) in candidates where held[id] == nil {
                let r = try reader.get("/v1/envelopes/\(id)", signed: true)
                guard r.status == 404 else { throw Failed("envelope \(id) is not listed but GET answers \(r.status)") }
            }
            return current
        }
    }

    /// A tlog-tiles index as path segments: `x001/x234/067` (§7.1.3).
    static func tilePath(_ n: UInt64) -> String {
        var groups: [String] = []
        var rest = n
        repeat {
            groups.insert(String(format: "%03d", Int(rest % 1000)), at: 0)
            rest /= 1000
        } while rest > 0
        return groups.enumerated().map { $0.offset == groups.count - 1 ? $0.element : "x" + $0.element }.joined(separator: "/")
    }

    /// The entries of an entry bundle (big-endian uint16 length, entry).
    static func entries(of bundle: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i < bundle.count {
            guard i + 2 <= bundle.count else { throw Failed("entry bundle cut in a length") }
            let n = Int(bundle[i]) << 8 | Int(bundle[i + 1])
            guard i + 2 + n <= bundle.count else { throw Failed("entry bundle cut in an entry") }
            out.append(Array(bundle[(i + 2)..<(i + 2 + n)]))
            i += 2 + n
        }
        return out
    }

    // MARK: - Processes, mounts, sockets

    /// Runs a program to its end (synchronously); its exit status and output.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        do { try p.run() } catch { return (-1, "\(program): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func mountTmpfs(at dir: URL, bytes: Int) -> (status: Int32, output: String) {
        run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0700", "tmpfs", dir.path])
    }

    static func unmount(_ dir: URL) {
        if run("/bin/umount", [dir.path]).status != 0 { run("/bin/umount", ["-l", dir.path]) }
    }

    /// Why a tmpfs cannot be mounted here (nil: it can). Tried once, with a 1 MiB mount.
    static let tmpfsUnavailable: String? = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fault-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            return "cannot create \(dir.path): \(error)"
        }
        guard FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return "/bin/mount is missing" }
        let r = mountTmpfs(at: dir, bytes: 1 << 20)
        guard r.status == 0 else { return "mount -t tmpfs is not permitted here (needs root with CAP_SYS_ADMIN): \(r.output)" }
        unmount(dir)
        return nil
    }()

    /// A TCP connection to 127.0.0.1:`port` from the loopback address `source`
    /// (e.g. 127.0.0.2, so that per-IP limits count it apart from the other clients).
    final class Socket {
        let fd: Int32

        init(port: UInt16, from source: String, timeout: Double = 5) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failed("socket: \(String(cString: strerror(errno)))") }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else { close(fd); throw Failed("bad address \(source)") }
            var remote = sockaddr_in()
            remote.sin_family = sa_family_t(AF_INET)
            remote.sin_port = port.bigEndian
            remote.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let rc = withUnsafePointer(to: &local) { l in
                l.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { close(fd); throw Failed("bind \(source): \(String(cString: strerror(errno)))") }
            let c = withUnsafePointer(to: &remote) { r in
                r.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard c == 0 else { close(fd); throw Failed("connect from \(source): \(String(cString: strerror(errno)))") }
        }

        deinit { close(fd) }

        /// False once the peer has gone.
        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool { sendAll(fd, bytes) }

        /// The status line of the answer, once it is in (nil if the connection ends first).
        func statusLine() -> String? {
            var out: [UInt8] = []
            var byte: UInt8 = 0
            while recv(fd, &byte, 1, 0) == 1 {
                if byte == 13 { return String(decoding: out, as: UTF8.self) }
                out.append(byte)
            }
            return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
        }
    }
}

/// Writes all of `bytes` to a socket, without SIGPIPE; false once the peer has gone. The
/// raw-socket clients of the HTTP server and fault tests share it.
func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return false }
        offset += n
    }
    return true
}
