import Crypto

/// POSIX ustar, exactly as the envelope container uses it (docs/FORMATS.md §6.2): regular
/// files only, mode 0644, uid/gid 0, empty owner and group names, one mtime, names of at
/// most 100 bytes with no prefix, two zero blocks at the end and zero padding to a multiple
/// of 10240 bytes. The headers are byte for byte what GNU tar writes with
/// `tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 --mtime=@<time>`.
enum Ustar {
    static let blockSize = 512
    static let recordSize = 10240
    static let manifestName = "manifest.txt"
    static let signatureSuffix = ".minisig"
    /// 11 octal digits.
    static let maxSize: UInt64 = 0o77777777777
    static let maxMTime: Int64 = 0o77777777777
    /// Limits on the members the reader keeps in memory, checked before allocating.
    static let maxManifestMemberSize: UInt64 = 1 << 20
    static let maxSignatureMemberSize: UInt64 = 16 * 1024

    static let regularType = UInt8(ascii: "0")

    /// `value` as `width - 1` octal digits, zero-padded, then NUL.
    static func octal(_ value: UInt64, width: Int) -> [UInt8] {
        var digits = Array(String(value, radix: 8).utf8)
        precondition(digits.count <= width - 1)
        digits.insert(contentsOf: [UInt8](repeating: 0x30, count: width - 1 - digits.count), at: 0)
        return digits + [0]
    }

    /// The 512-byte header of one member. `typeflag` is only ever not "0" in tests.
    static func header(name: String, size: UInt64, mtime: Int64, typeflag: UInt8 = regularType) -> [UInt8] {
        let n = Array(name.utf8)
        precondition(!n.isEmpty && n.count <= 100 && size <= maxSize && mtime >= 0 && mtime <= maxMTime)
        var h = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int) { h.replaceSubrange(offset..<(offset + bytes.count), with: bytes) }
        put(n, at: 0)
        put(Array("0000644".utf8) + [0], at: 100)       // mode
        put(octal(0, width: 8), at: 108)                // uid
        put(octal(0, width: 8), at: 116)                // gid
        put(octal(size, width: 12), at: 124)
        put(octal(UInt64(mtime), width: 12), at: 136)
        h[156] = typeflag
        put(Array("ustar".utf8) + [0], at: 257)        // magic
        put(Array("00".utf8), at: 263)                  // version
        put(octal(0, width: 8), at: 329)                // devmajor
        put(octal(0, width: 8), at: 337)                // devminor
        put(checksumField(h), at: 148)
        return h
    }

    /// The checksum: the sum of the header's bytes with the checksum field read as eight
    /// spaces, written as GNU tar does: six octal digits, NUL, SP.
    static func checksum(_ h: ArraySlice<UInt8>) -> UInt64 {
        var sum: UInt64 = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 0x20 : UInt64(b) }
        return sum
    }

    static func checksumField(_ h: [UInt8]) -> [UInt8] {
        Array(octal(checksum(h[...]), width: 7)) + [0x20]
    }

    /// Zero bytes after `size` bytes of data, up to the next block.
    static func padding(after size: UInt64) -> Int { Int((UInt64(blockSize) - size % UInt64(blockSize)) % UInt64(blockSize)) }

    /// Bytes of end-of-archive after `offset` bytes of members: two zero blocks, then zero
    /// padding up to a whole record.
    static func trailerLength(after offset: UInt64) -> UInt64 {
        let end = offset + 2 * UInt64(blockSize)
        let record = UInt64(recordSize)
        return (end + record - 1) / record * record - offset
    }
}

/// Writes a ustar archive as a `ByteSource`, so the archive can be pulled straight into
/// age encryption (or out to a file) without ever being held whole. A `.stream` member is
/// read from its source exactly once, in the caller's buffer, and shown to `observe` on the
/// way (for the prehash of the inner signature). A `.deferred` member's bytes are produced
/// only when the archive reaches it, so it can depend on the members before it.
final class UstarWriter: ByteSource {
    enum Content {
        case bytes([UInt8])
        /// Exactly `size` bytes, which the header declares before they are read; a source
        /// giving more or fewer fails with `EnvelopeError.reportSizeMismatch`.
        case stream(ByteSource, size: UInt64, observe: (UnsafeRawBufferPointer) -> Void)
        case deferred(() throws -> [UInt8])
    }

    struct Member {
        let name: String
        let content: Content
        /// For tests that build non-regular members.
        var typeflag: UInt8 = Ustar.regularType
    }

    private enum Segment {
        case bytes([UInt8])
        case member(Member)
        case stream(ByteSource, declared: UInt64, remaining: UInt64, observe: (UnsafeRawBufferPointer) -> Void)
        case trailer
    }

    private var segments: [Segment]
    private var head: [UInt8] = []   // the bytes segment being emitted
    private var headOffset = 0
    private let mtime: Int64
    /// Bytes produced so far.
    private(set) var offset: UInt64 = 0

    init(members: [Member], mtime: Int64) throws {
        guard mtime >= 0, mtime <= Ustar.maxMTime else {
            throw EnvelopeError.invalidSealRequest("time \(mtime) cannot be a ustar mtime (0…\(Ustar.maxMTime))")
        }
        for m in members {
            let n = m.name.utf8.count
            guard n >= 1, n <= 100 else { throw EnvelopeError.invalidSealRequest("member name \"\(m.name.prefix(120))\" is not 1–100 bytes") }
            if case let .stream(_, size, _) = m.content, size > Ustar.maxSize {
                throw EnvelopeError.invalidSealRequest("the report is \(size) bytes; a ustar member holds at most \(Ustar.maxSize)")
            }
        }
        self.mtime = mtime
        segments = members.map { .member($0) } + [.trailer]
        segments.reverse()  // popped from the end
    }

    private func bytesMember(_ m: Member, _ data: [UInt8]) throws -> [UInt8] {
        guard UInt64(data.count) <= Ustar.maxSize else {
            throw EnvelopeError.invalidSealRequest("member \(m.name) is too large for ustar")
        }
        return Ustar.header(name: m.name, size: UInt64(data.count), mtime: mtime, typeflag: m.typeflag)
            + data + [UInt8](repeating: 0, count: Ustar.padding(after: UInt64(data.count)))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if headOffset < head.count {
                let n = min(buffer.count, head.count - headOffset)
                head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + headOffset, byteCount: n) }
                headOffset += n
                offset += UInt64(n)
                return n
            }
            guard let segment = segments.popLast() else { return 0 }
            switch segment {
            case let .bytes(b):
                head = b; headOffset = 0
            case let .member(m):
                switch m.content {
                case let .bytes(data):
                    head = try bytesMember(m, data); headOffset = 0
                case let .deferred(make):
                    head = try bytesMember(m, try make()); headOffset = 0
                case let .stream(source, size, observe):
                    head = Ustar.header(name: m.name, size: size, mtime: mtime, typeflag: m.typeflag); headOffset = 0
                    segments.append(.bytes([UInt8](repeating: 0, count: Ustar.padding(after: size))))
                    segments.append(.stream(source, declared: size, remaining: size, observe: observe))
                }
            case let .stream(source, declared, remaining, observe):
                if remaining == 0 {
                    // The declared size is in the header already: the source must end here.
                    var probe: UInt8 = 0
                    let extra = try withUnsafeMutableBytes(of: &probe) { try source.read(into: $0) }
                    guard extra == 0 else { throw EnvelopeError.reportSizeMismatch(declared: declared, actual: "more") }
                    continue
                }
                let want = Int(min(UInt64(buffer.count), remaining))
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
                guard n > 0 else {
                    throw EnvelopeError.reportSizeMismatch(declared: declared, actual: String(declared - remaining))
                }
                observe(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                segments.append(.stream(source, declared: declared, remaining: remaining - UInt64(n), observe: observe))
                offset += UInt64(n)
                return n
            case .trailer:
                head = [UInt8](repeating: 0, count: Int(Ustar.trailerLength(after: offset))); headOffset = 0
            }
        }
    }
}

/// Reads the envelope container strictly, as a `ByteSink` that decrypted (or, for
/// `public`, sealed) bytes are pushed into: exactly three regular-file members,
/// `manifest.txt`, `<file>` and `<file>.minisig`, in that order, each header in the one
/// canonical form `Ustar.header` writes, zero padding, two zero blocks, zero padding to a
/// whole record, and nothing after. The report member streams to `report` (and to
/// `observe`) without being held; the other two are kept in memory, after their declared
/// sizes have been checked against small limits. Every violation throws
/// `EnvelopeError.malformedContainer` naming the member and the byte offset.
final class UstarContainerReader: ByteSink {
    struct Container: Equatable {
        var manifest: [UInt8]
        var fileName: String
        var reportSize: UInt64
        var signature: [UInt8]
        var archiveSize: UInt64
    }

    private enum State {
        case header(member: Int)
        case data(member: Int, remaining: UInt64)
        case padding(member: Int, remaining: Int)
        case trailer(remaining: UInt64)
    }

    private let expectedFileName: String?
    private let expectedMTime: Int64?
    private let report: ByteSink?
    private let observe: ((UnsafeRawBufferPointer) -> Void)?

    private var state: State = .header(member: 0)
    private var header = [UInt8](repeating: 0, count: Ustar.blockSize)
    private var headerFill = 0
    private var offset: UInt64 = 0
    private var trailerStart: UInt64 = 0
    private var mtime: Int64?
    private var names: [String] = []
    private var sizes: [UInt64] = []
    private var manifest: [UInt8] = []
    private var signature: [UInt8] = []

    /// `fileName` and `mtime`, when given, are what the report member's name and every
    /// member's mtime must be.
    init(fileName: String?, mtime: Int64?, report: ByteSink?, observe: ((UnsafeRawBufferPointer) -> Void)?) {
        expectedFileName = fileName; expectedMTime = mtime; self.report = report; self.observe = observe
    }

    private static let memberNames = ["1 (manifest.txt)", "2 (the report)", "3 (the inner signature)"]

    private func fail(_ why: String) -> EnvelopeError { .malformedContainer(why) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var i = 0
        while i < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[i...])
            switch state {
            case let .header(member):
                let n = min(rest.count, Ustar.blockSize - headerFill)
                header.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: headerFill).copyMemory(from: rest.baseAddress!, byteCount: n) }
                headerFill += n
                i += n
                if headerFill == Ustar.blockSize {
                    let at = offset
                    offset += UInt64(Ustar.blockSize)
                    headerFill = 0
                    let size = try parseHeader(member: member, at: at)
                    state = .data(member: member, remaining: size)
                    if size == 0 { try endOfData(member: member) }
                }
            case let .data(member, remaining):
                let n = Int(min(UInt64(rest.count), remaining))
                let piece = UnsafeRawBufferPointer(rebasing: rest[0..<n])
                switch member {
                case 0: manifest += piece
                case 1:
                    observe?(piece)
                    try report?.write(piece)
                default: signature += piece
                }
                i += n
                offset += UInt64(n)
                state = .data(member: member, remaining: remaining - UInt64(n))
                if remaining == UInt64(n) { try endOfData(member: member) }
            case let .padding(member, remaining):
                let n = min(rest.count, remaining)
                if let z = rest[0..<n].firstIndex(where: { $0 != 0 }) {
                    throw fail("member \(Self.memberNames[member]): the padding after its data is not zero (byte at offset \(offset + UInt64(z - rest.startIndex)))")
                }
                i += n
                offset += UInt64(n)
                if n == remaining { state = member == 2 ? startTrailer() : .header(member: member + 1) }
                else { state = .padding(member: member, remaining: remaining - n) }
            case let .trailer(remaining):
                guard remaining > 0 else {
                    throw fail("data after the end of the archive at offset \(offset): an archive of three members is \(offset) bytes")
                }
                let n = Int(min(UInt64(rest.count), remaining))
                if let z = rest[0..<n].firstIndex(where: { $0 != 0 }) {
                    let at = offset + UInt64(z - rest.startIndex)
                    throw fail(at < trailerStart + 2 * UInt64(Ustar.blockSize)
                        ? "non-zero byte at offset \(at), where the two end-of-archive zero blocks after member 3 should be (a fourth member, or a damaged end block)"
                        : "non-zero byte at offset \(at) in the zero padding after the end-of-archive blocks")
                }
                i += n
                offset += UInt64(n)
                state = .trailer(remaining: remaining - UInt64(n))
            }
        }
    }

    private func startTrailer() -> State {
        trailerStart = offset
        return .trailer(remaining: Ustar.trailerLength(after: offset))
    }

    private func endOfData(member: Int) throws {
        let pad = Ustar.padding(after: sizes[member])
        if pad > 0 { state = .padding(member: member, remaining: pad) }
        else { state = member == 2 ? startTrailer() : .header(member: member + 1) }
    }

    /// Checks the header just collected for `member`; returns its data size.
    private func parseHeader(member: Int, at: UInt64) throws -> UInt64 {
        let h = header
        let which = "member \(Self.memberNames[member]), header at offset \(at)"
        if h.allSatisfy({ $0 == 0 }) {
            throw fail("the archive ends (zero block at offset \(at)) after \(member) member\(member == 1 ? "" : "s"); expected 3")
        }
        guard h[257..<263].elementsEqual(Array("ustar".utf8) + [0]), h[263..<265].elementsEqual(Array("00".utf8)) else {
            throw fail("\(which): not a POSIX ustar header (magic and version are not \"ustar\\0\" \"00\")")
        }
        let field = Array(h[148..<156])
        let expected = Ustar.checksumField(h)
        guard field == expected else {
            throw fail("\(which): header checksum field is \(printable(field[...])), expected \(printable(expected[...]))")
        }
        let type = h[156]
        guard type == Ustar.regularType else {
            let kind: String
            switch type {
            case 0: kind = "an old-style regular file (typeflag NUL)"
            case UInt8(ascii: "1"): kind = "a hard link"
            case UInt8(ascii: "2"): kind = "a symbolic link"
            case UInt8(ascii: "3"), UInt8(ascii: "4"): kind = "a device"
            case UInt8(ascii: "5"): kind = "a directory"
            case UInt8(ascii: "6"): kind = "a FIFO"
            case UInt8(ascii: "x"), UInt8(ascii: "g"): kind = "a pax extended header"
            case UInt8(ascii: "L"), UInt8(ascii: "K"): kind = "a GNU long-name header"
            default: kind = "type \(printable([type][...]))"
            }
            throw fail("\(which): is \(kind), not a regular file (typeflag \"0\")")
        }
        // Name: NUL-terminated (or all 100 bytes), then zeros; no prefix.
        let nameField = h[0..<100]
        let nameEnd = nameField.firstIndex(of: 0) ?? 100
        guard h[nameEnd..<100].allSatisfy({ $0 == 0 }), h[345..<500].allSatisfy({ $0 == 0 }) else {
            throw fail("\(which): name has bytes after its NUL, or the prefix field is used")
        }
        let nameBytes = Array(h[0..<nameEnd])
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard nameBytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            throw fail("\(which): name \(printable(nameBytes[...])) is not printable ASCII")
        }
        switch member {
        case 0:
            guard name == Ustar.manifestName else {
                throw fail("\(which): named \"\(name)\", expected \"\(Ustar.manifestName)\" first")
            }
        case 1:
            guard Manifest.isValidFileName(name) else {
                throw fail("\(which): named \"\(name)\", which is not a valid report file name")
            }
            if let f = expectedFileName, name != f {
                throw fail("\(which): named \"\(name)\", but the manifest says file=\(f)")
            }
        default:
            guard name == names[1] + Ustar.signatureSuffix else {
                throw fail("\(which): named \"\(name)\", expected \"\(names[1])\(Ustar.signatureSuffix)\"")
            }
        }
        guard let size = parseOctal(h[124..<136]) else {
            throw fail("\(which): size field \(printable(h[124..<136])) is not 11 octal digits and NUL")
        }
        guard let rawMTime = parseOctal(h[136..<148]) else {
            throw fail("\(which): mtime field \(printable(h[136..<148])) is not 11 octal digits and NUL")
        }
        let mt = Int64(rawMTime)
        if let e = expectedMTime ?? mtime, mt != e {
            throw fail("\(which): mtime is \(mt), expected \(e)\(expectedMTime != nil ? " (the manifest time)" : " (as member 1)")")
        }
        mtime = mt
        let limit: UInt64 = member == 0 ? Ustar.maxManifestMemberSize : member == 2 ? Ustar.maxSignatureMemberSize : Ustar.maxSize
        guard size <= limit else { throw fail("\(which): size \(size) is over the limit of \(limit) bytes") }
        // Every other field has exactly one allowed value; comparing with the header we
        // would write checks mode, uid, gid, linkname, uname, gname, devices and padding.
        let canonical = Ustar.header(name: name, size: size, mtime: mt)
        // (The checksum field matched the bytes above, so it matches once the rest does.)
        if let d = (0..<Ustar.blockSize).first(where: { !(148..<156).contains($0) && h[$0] != canonical[$0] }) {
            let fieldName: String
            switch d {
            case 100..<108: fieldName = "mode (must be 0000644)"
            case 108..<116: fieldName = "uid (must be 0)"
            case 116..<124: fieldName = "gid (must be 0)"
            case 157..<257: fieldName = "linkname (must be empty)"
            case 265..<297: fieldName = "uname (must be empty)"
            case 297..<329: fieldName = "gname (must be empty)"
            case 329..<345: fieldName = "devmajor/devminor (must be 0000000)"
            case 500..<512: fieldName = "padding (must be zero)"
            default: fieldName = "byte \(d)"
            }
            throw fail("\(which): \(fieldName) is not as written by att-report (byte \(d) of the header)")
        }
        names.append(name)
        sizes.append(size)
        if member == 0 { manifest.reserveCapacity(Int(size)) }
        if member == 2 { signature.reserveCapacity(Int(size)) }
        return size
    }

    /// 11 octal digits then NUL, as written.
    private func parseOctal(_ f: ArraySlice<UInt8>) -> UInt64? {
        guard f.count == 12, f.last == 0 else { return nil }
        var v: UInt64 = 0
        for c in f.dropLast() {
            guard c >= 0x30, c <= 0x37 else { return nil }
            v = v << 3 | UInt64(c - 0x30)
        }
        return v
    }

    private func printable(_ b: ArraySlice<UInt8>) -> String {
        "\"" + b.map { $0 >= 0x20 && $0 <= 0x7E && $0 != 0x22 && $0 != 0x5C ? String(UnicodeScalar($0)) : ($0 == 0 ? "\\0" : "\\x" + String($0, radix: 16)) }.joined() + "\""
    }

    /// Call at the end of input: checks the archive is complete and returns its parts.
    func finish() throws -> Container {
        switch state {
        case let .trailer(remaining) where remaining == 0:
            return Container(manifest: manifest, fileName: names[1], reportSize: sizes[1], signature: signature, archiveSize: offset)
        case let .trailer(remaining):
            throw fail("the archive is truncated at offset \(offset): \(remaining) more bytes of end-of-archive zero blocks and padding expected")
        case let .header(member):
            throw fail(member == 0 && headerFill == 0 && offset == 0 ? "the archive is empty"
                : "the archive is truncated at offset \(offset + UInt64(headerFill)), inside the header of member \(Self.memberNames[member])")
        case let .data(member, remaining):
            throw fail("the archive is truncated at offset \(offset), \(remaining) bytes before the end of member \(Self.memberNames[member])'s data")
        case let .padding(member, _):
            throw fail("the archive is truncated at offset \(offset), in the padding of member \(Self.memberNames[member])")
        }
    }
}

extension Envelope {
    /// Where the report's ustar header lies in the sealed file of a `public` envelope (the
    /// container itself, §6.3): after `manifest.txt`'s header and data, which is the
    /// manifest line and LF (the key list is empty).
    public static func publicReportHeaderOffset(_ manifest: Manifest) -> UInt64 {
        let member = UInt64(manifest.line.utf8.count + 1)
        return UInt64(Ustar.blockSize) + (member + UInt64(Ustar.blockSize) - 1) / UInt64(Ustar.blockSize) * UInt64(Ustar.blockSize)
    }

    /// The size field of a 512-byte member header (11 octal digits, NUL), or nil.
    public static func memberSize(ofHeader header: [UInt8]) -> UInt64? {
        guard header.count == Ustar.blockSize, header[135] == 0 else { return nil }
        var v: UInt64 = 0
        for c in header[124..<135] {
            guard c >= 0x30, c <= 0x37 else { return nil }
            v = v << 3 | UInt64(c - 0x30)
        }
        return v
    }
}
