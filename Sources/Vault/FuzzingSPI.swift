import Crypto

/// Entry points for the fuzz targets (Sources/FuzzTargets) into parsers that are not
/// public API: the envelope container reader and writer, and the `manifest.txt` member.
/// Only `@_spi(Fuzzing) import Vault` sees them.
@_spi(Fuzzing)
public enum VaultFuzzing {
    /// What the container reader returns, with the report member's bytes.
    public struct Container: Equatable, Sendable {
        public var manifest: [UInt8]
        public var fileName: String
        public var report: [UInt8]
        public var signature: [UInt8]
        public var archiveSize: UInt64
        public var mtime: Int64
    }

    /// Feeds `bytes` to `UstarContainerReader` in pieces of the given sizes (cycled; all at
    /// once when empty) and finishes it.
    public static func readContainer(_ bytes: [UInt8], fileName: String?, mtime: Int64?,
                                     pieces: [Int] = []) throws -> Container {
        let sink = MemorySink()
        let reader = UstarContainerReader(fileName: fileName, mtime: mtime, report: sink, observe: nil)
        var i = 0, p = 0
        while i < bytes.count {
            let n = pieces.isEmpty ? bytes.count - i : min(max(1, pieces[p % pieces.count]), bytes.count - i)
            p += 1
            try bytes[i..<(i + n)].withUnsafeBytes { try reader.write($0) }
            i += n
        }
        let c = try reader.finish()
        // The mtime is not returned by the reader; it is in every header, at offset 136.
        let mt = bytes.count >= 148 ? Int64(String(decoding: bytes[136..<147], as: UTF8.self), radix: 8) ?? -1 : -1
        return Container(manifest: c.manifest, fileName: c.fileName, report: sink.bytes, signature: c.signature,
                         archiveSize: c.archiveSize, mtime: mt)
    }

    /// The archive `UstarWriter` makes from these members.
    public static func writeContainer(manifest: [UInt8], fileName: String, report: [UInt8], signature: [UInt8],
                                      mtime: Int64) throws -> [UInt8] {
        try UstarWriter(members: [
            .init(name: Ustar.manifestName, content: .bytes(manifest)),
            .init(name: fileName, content: .stream(MemorySource(report), size: UInt64(report.count), observe: { _ in })),
            .init(name: fileName + Ustar.signatureSuffix, content: .deferred({ signature })),
        ], mtime: mtime).readAll(limit: 1 << 26)
    }

    /// The `manifest.txt` member: the manifest line, the key list bytes and its recipients.
    public static func parseManifestMember(_ bytes: [UInt8]) throws -> (line: String, keyList: [UInt8], recipients: [ResolvedRecipient]) {
        try Envelope.parseManifestMember(bytes)
    }
}
