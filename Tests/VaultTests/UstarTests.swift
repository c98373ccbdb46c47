import Crypto
import Foundation
import Testing
import TestSupport
@testable import Vault

@Suite("envelope container (ustar)")
struct UstarTests {
    static let mtime: Int64 = 1_796_378_400  // 2026-12-04T10:00:00Z

    static func members(report: [UInt8], name: String = "r.pdf", manifest: [UInt8] = Array("line\n".utf8),
                        signature: [UInt8] = Array("sig\n".utf8)) -> [UstarWriter.Member] {
        [.init(name: "manifest.txt", content: .bytes(manifest)),
         .init(name: name, content: .stream(MemorySource(report), size: UInt64(report.count), observe: { _ in })),
         .init(name: name + ".minisig", content: .deferred({ signature }))]
    }

    static func archive(report: [UInt8], name: String = "r.pdf") throws -> [UInt8] {
        try UstarWriter(members: members(report: report, name: name), mtime: mtime).readAll(limit: 1 << 30)
    }

    /// Feeds `bytes` to a reader in pieces of `piece` bytes; returns the container and the report.
    static func read(_ bytes: [UInt8], piece: Int = 1 << 20, fileName: String? = "r.pdf",
                     mtime: Int64? = UstarTests.mtime) throws -> (UstarContainerReader.Container, [UInt8]) {
        let sink = MemorySink()
        let reader = UstarContainerReader(fileName: fileName, mtime: mtime, report: sink, observe: nil)
        var i = 0
        while i < bytes.count {
            let n = min(piece, bytes.count - i)
            try bytes[i..<(i + n)].withUnsafeBytes { try reader.write($0) }
            i += n
        }
        return (try reader.finish(), sink.bytes)
    }

    static func expectMalformed(_ bytes: [UInt8], _ fragment: String, fileName: String? = "r.pdf",
                                sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try read(bytes, fileName: fileName)
            Issue.record("accepted; expected \"\(fragment)\"", sourceLocation: sourceLocation)
        } catch let EnvelopeError.malformedContainer(why) {
            #expect(why.contains(fragment), "\(why)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("layout: headers, padding to 512, end blocks, padding to 10240", arguments: [0, 1, 511, 512, 513, 7679, 7680, 8192, 100_000])
    func layout(size: Int) throws {
        let report = envBytes(size, seed: UInt64(size) + 1)
        let a = try Self.archive(report: report)
        let membersEnd = 3 * 512 + 512 + (size + 511) / 512 * 512 + 512
        #expect(a.count == (membersEnd + 1024 + 10239) / 10240 * 10240)
        #expect(a[membersEnd...].allSatisfy { $0 == 0 })
        #expect(Array(a[1536..<(1536 + size)]) == report)
        let (c, got) = try Self.read(a)
        #expect(got == report && c.reportSize == UInt64(size) && c.fileName == "r.pdf")
        #expect(c.manifest == Array("line\n".utf8) && c.signature == Array("sig\n".utf8) && c.archiveSize == UInt64(a.count))
        // Any split of the input gives the same result.
        for piece in [1, 7, 512, 513, 4096] where size < 20_000 || piece >= 512 {
            #expect(try Self.read(a, piece: piece).1 == report)
        }
    }

    @Test("headers are byte for byte what GNU tar --format=ustar writes")
    func sameAsGNUTar() async throws {
        let tar = try ProcessRunner.require("tar")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("att-ustar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = String(repeating: "n", count: 92)  // <name>.minisig is exactly 100 bytes
        for (fileName, size) in [("annual-2026.pdf", 12345), (name, 0), ("x", 9217)] {
            let report = envBytes(size)
            let manifest = Array("att-report/manifest/v1 …\nFRA 0123456789ABCDEF age1…\n".utf8)
            let signature = Array("untrusted comment: x\nAAAA\ntrusted comment: y\nBBBB\n".utf8)
            try Data(manifest).write(to: dir.appendingPathComponent("manifest.txt"))
            try Data(report).write(to: dir.appendingPathComponent(fileName))
            try Data(signature).write(to: dir.appendingPathComponent(fileName + ".minisig"))
            let r = try await ProcessRunner.run(tar, ["--format=ustar", "--owner=0", "--group=0", "--numeric-owner", "--mode=0644",
                                                      "--mtime=@\(Self.mtime)", "-cf", "-", "manifest.txt", fileName, fileName + ".minisig"],
                                                directory: dir)
            #expect(r.status == 0, "\(r)")
            let ours = try UstarWriter(members: Self.members(report: report, name: fileName, manifest: manifest, signature: signature),
                                       mtime: Self.mtime).readAll(limit: 1 << 30)
            #expect(ours == r.stdout, "\(fileName): differs from GNU tar at byte \(zip(ours, r.stdout).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
            // And GNU tar lists ours.
            try Data(ours).write(to: dir.appendingPathComponent("ours.tar"))
            let t = try await ProcessRunner.run(tar, ["-tvf", "ours.tar"], directory: dir)
            #expect(t.status == 0 && t.stderr.isEmpty, "\(t)")
            #expect(t.stdoutLines.count == 3)
            #expect(t.stdoutLines.allSatisfy { $0.hasPrefix("-rw-r--r-- 0/0") }, "\(t.stdoutText)")
            #expect(t.stdoutLines.map { String($0.split(separator: " ").last!) } == ["manifest.txt", fileName, fileName + ".minisig"])
        }
    }

    @Test("the writer checks the streamed member's length and names")
    func writerChecks() throws {
        for (declared, actual) in [(100, 99), (100, 101), (0, 1), (1, 0)] {
            let w = try UstarWriter(members: [.init(name: "r", content: .stream(MemorySource(envBytes(actual)), size: UInt64(declared), observe: { _ in }))],
                                    mtime: 0)
            #expect(throws: EnvelopeError.reportSizeMismatch(declared: UInt64(declared), actual: actual > declared ? "more" : String(actual))) {
                _ = try w.readAll(limit: 1 << 20)
            }
        }
        #expect(throws: EnvelopeError.self) { try UstarWriter(members: [.init(name: String(repeating: "a", count: 101), content: .bytes([]))], mtime: 0) }
        #expect(throws: EnvelopeError.self) { try UstarWriter(members: [.init(name: "", content: .bytes([]))], mtime: 0) }
        #expect(throws: EnvelopeError.self) { try UstarWriter(members: [], mtime: -1) }
        #expect(throws: EnvelopeError.self) {
            try UstarWriter(members: [.init(name: "r", content: .stream(MemorySource([]), size: Ustar.maxSize + 1, observe: { _ in }))], mtime: 0)
        }
        // The observer sees exactly the streamed bytes, in order.
        let report = envBytes(70_000)
        var seen: [UInt8] = []
        let w = try UstarWriter(members: [.init(name: "r", content: .stream(MemorySource(report), size: 70_000, observe: { seen += $0 }))], mtime: 0)
        _ = try w.readAll(limit: 1 << 20)
        #expect(seen == report)
    }

    /// A valid archive with one header field changed (checksum recomputed unless asked).
    static func mutated(member: Int, at offset: Int, _ bytes: [UInt8], fixChecksum: Bool = true, report: [UInt8] = envBytes(600)) throws -> [UInt8] {
        var a = try archive(report: report)
        let starts = [0, 1024, 1024 + 512 + (report.count + 511) / 512 * 512]
        let h = starts[member]
        a.replaceSubrange((h + offset)..<(h + offset + bytes.count), with: bytes)
        if fixChecksum {
            let field = Ustar.checksumField(Array(a[h..<(h + 512)]))
            a.replaceSubrange((h + 148)..<(h + 156), with: field)
        }
        return a
    }

    @Test("the reader refuses every header that is not exactly ours")
    func strictHeaders() throws {
        func o(_ s: String) -> [UInt8] { Array(s.utf8) }
        Self.expectMalformed(try Self.mutated(member: 1, at: 148, o("000001"), fixChecksum: false), "checksum")
        Self.expectMalformed(try Self.mutated(member: 0, at: 155, [0], fixChecksum: false), "checksum")  // NUL instead of SP
        Self.expectMalformed(try Self.mutated(member: 0, at: 257, o("ustar ")), "not a POSIX ustar header")
        Self.expectMalformed(try Self.mutated(member: 0, at: 263, o(" \0")), "not a POSIX ustar header")
        Self.expectMalformed(try Self.mutated(member: 1, at: 156, o("5")), "a directory")
        Self.expectMalformed(try Self.mutated(member: 1, at: 156, o("2")), "a symbolic link")
        Self.expectMalformed(try Self.mutated(member: 1, at: 156, o("1")), "a hard link")
        Self.expectMalformed(try Self.mutated(member: 2, at: 156, o("x")), "pax extended header")
        Self.expectMalformed(try Self.mutated(member: 2, at: 156, [0]), "old-style regular file")
        Self.expectMalformed(try Self.mutated(member: 2, at: 156, o("L")), "GNU long-name")
        Self.expectMalformed(try Self.mutated(member: 0, at: 100, o("0000600")), "mode")
        Self.expectMalformed(try Self.mutated(member: 1, at: 100, o("0100644")), "mode")
        Self.expectMalformed(try Self.mutated(member: 1, at: 108, o("0001750")), "uid")
        Self.expectMalformed(try Self.mutated(member: 1, at: 116, o("0001750")), "gid")
        Self.expectMalformed(try Self.mutated(member: 1, at: 265, o("root")), "uname")
        Self.expectMalformed(try Self.mutated(member: 1, at: 297, o("root")), "gname")
        Self.expectMalformed(try Self.mutated(member: 1, at: 157, o("target")), "linkname")
        Self.expectMalformed(try Self.mutated(member: 1, at: 329, o("0000001")), "devmajor")
        Self.expectMalformed(try Self.mutated(member: 1, at: 329, [0, 0, 0, 0, 0, 0, 0, 0]), "devmajor")
        Self.expectMalformed(try Self.mutated(member: 1, at: 345, o("dir")), "prefix")
        Self.expectMalformed(try Self.mutated(member: 1, at: 505, [1]), "padding")
        Self.expectMalformed(try Self.mutated(member: 1, at: 124, o("0000000111 ")), "size field")
        Self.expectMalformed(try Self.mutated(member: 1, at: 124, o(" 0000001130")), "size field")
        Self.expectMalformed(try Self.mutated(member: 1, at: 124, o("0000001130\0\0")), "size field")  // 10 digits
        Self.expectMalformed(try Self.mutated(member: 1, at: 136, o("0000000000 ")), "mtime field")
        Self.expectMalformed(try Self.mutated(member: 2, at: 136, o("15304556407")), "mtime")
        Self.expectMalformed(try Self.mutated(member: 0, at: 0, o("manifest.tx\0")), "expected \"manifest.txt\" first")
        Self.expectMalformed(try Self.mutated(member: 0, at: 0, o("./manifest.txt")), "expected \"manifest.txt\" first")
        Self.expectMalformed(try Self.mutated(member: 1, at: 0, o("../x\0")), "not a valid report file name")
        Self.expectMalformed(try Self.mutated(member: 1, at: 0, o("s.pdf")), "but the manifest says file=r.pdf")
        Self.expectMalformed(try Self.mutated(member: 1, at: 6, o("x")), "bytes after its NUL")
        Self.expectMalformed(try Self.mutated(member: 2, at: 0, o("r.pdf.sig\0\0\0\0")), "expected \"r.pdf.minisig\"")
        Self.expectMalformed(try Self.mutated(member: 1, at: 0, [0xC3, 0xA9, 0, 0, 0]), "not printable ASCII")
    }

    @Test("the reader refuses wrong shapes, padding and ends")
    func strictShape() throws {
        let report = envBytes(600)
        let a = try Self.archive(report: report)
        let sigHeader = 1024 + 512 + 1024
        let membersEnd = sigHeader + 512 + 512
        // Padding after data must be zero.
        var p = a; p[1024 + 512 + 600] = 1
        Self.expectMalformed(p, "padding after its data is not zero")
        p = a; p[512 + 5 + 3] = 1  // manifest.txt's padding ("line\n" is 5 bytes)
        Self.expectMalformed(p, "member 1 (manifest.txt): the padding")
        // End blocks and record padding.
        p = a; p[membersEnd + 3] = 1
        Self.expectMalformed(p, "end-of-archive zero blocks")
        p = a; p[a.count - 1] = 1
        Self.expectMalformed(p, "zero padding after the end-of-archive blocks")
        Self.expectMalformed(a + [0], "data after the end of the archive")
        Self.expectMalformed(a + [UInt8](repeating: 0, count: 10240), "data after the end of the archive")
        Self.expectMalformed(Array(a.dropLast()), "truncated")
        Self.expectMalformed(Array(a[0..<membersEnd]), "truncated")
        Self.expectMalformed(Array(a[0..<(sigHeader + 100)]), "truncated")
        Self.expectMalformed(Array(a[0..<(1024 + 512 + 100)]), "truncated")
        Self.expectMalformed([], "the archive is empty")
        // Fewer members: a zero block where a header should be.
        var two = Array(a[0..<sigHeader]) + [UInt8](repeating: 0, count: 1024)
        two += [UInt8](repeating: 0, count: (two.count + 10239) / 10240 * 10240 - two.count)
        Self.expectMalformed(two, "after 2 members; expected 3")
        // A fourth member.
        let four = try UstarWriter(members: Self.members(report: report) + [.init(name: "x", content: .bytes([1]))], mtime: Self.mtime).readAll(limit: 1 << 20)
        Self.expectMalformed(four, "a fourth member")
        // A different mtime on one member (no expected mtime given: all must agree).
        do {
            _ = try Self.read(try Self.mutated(member: 2, at: 136, Array("00000000001".utf8)), mtime: nil)
            Issue.record("accepted")
        } catch let EnvelopeError.malformedContainer(why) { #expect(why.contains("as member 1")) }
    }

    @Test("sizes are checked against limits before anything is allocated")
    func limits() throws {
        // manifest.txt claiming 2 MiB, signature claiming 1 MiB, then nothing.
        var big = Ustar.header(name: "manifest.txt", size: 2 << 20, mtime: Self.mtime)
        Self.expectMalformed(big, "over the limit of 1048576 bytes")
        big = Ustar.header(name: "manifest.txt", size: 1, mtime: Self.mtime) + [0x0A] + [UInt8](repeating: 0, count: 511)
            + Ustar.header(name: "r.pdf", size: 0, mtime: Self.mtime)
            + Ustar.header(name: "r.pdf.minisig", size: 1 << 20, mtime: Self.mtime)
        Self.expectMalformed(big, "over the limit of 16384 bytes")
        // The largest size ustar can say is fine for the report (it is streamed, not kept).
        let huge = Ustar.header(name: "manifest.txt", size: 0, mtime: Self.mtime) + Ustar.header(name: "r.pdf", size: Ustar.maxSize, mtime: Self.mtime)
        Self.expectMalformed(huge, "before the end of member 2 (the report)'s data")
    }
}
