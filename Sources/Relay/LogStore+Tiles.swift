import Crypto

/// The C2SP tlog-tiles layout computed from the store: hash tiles (`tile/<L>/<N>[.p/<W>]`)
/// hold 256 hashes of tree level 8·L, and entry bundles (`tile/entries/<N>[.p/<W>]`) hold
/// 256 entries, each as a big-endian uint16 length and its bytes.
extension LogStore {
    public static let tileHeight = 8
    public static let tileWidth: UInt64 = 256

    /// The hashes of tile (level, index), `width` of them (256 for a full tile).
    public func tile(level: Int, index: UInt64, width: Int) throws -> [UInt8] {
        guard (1...256).contains(width) else { throw LogStoreError.notFound("tile width \(width)") }
        return try withDatabase { db, size in
            let treeLevel = level * LogStore.tileHeight
            let start = index * LogStore.tileWidth
            // Hashes stored at this level: the complete subtrees, size >> treeLevel of them.
            let available = treeLevel < 64 ? size >> UInt64(treeLevel) : 0
            guard start + UInt64(width) <= available else { throw LogStoreError.notFound("tile \(level)/\(index) of width \(width)") }
            let q = try db.prepare("SELECT hash FROM hashes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx")
            defer { q.reset() }
            try q.bind(1, Int64(treeLevel))
            try q.bind(2, Int64(start))
            try q.bind(3, Int64(start + UInt64(width)))
            var out: [UInt8] = []
            out.reserveCapacity(width * 32)
            var n = 0
            while try q.step() { out += q.blob(0); n += 1 }
            guard n == width else { throw LogStoreError.corrupt("tile \(level)/\(index) has \(n) of \(width) hashes") }
            return out
        }
    }

    /// Entry bundle `index`, `width` entries.
    public func entryBundle(index: UInt64, width: Int) throws -> [UInt8] {
        guard (1...256).contains(width) else { throw LogStoreError.notFound("bundle width \(width)") }
        return try withDatabase { db, size in
            let start = index * LogStore.tileWidth
            guard start + UInt64(width) <= size else { throw LogStoreError.notFound("entry bundle \(index) of width \(width)") }
            let q = try db.prepare("SELECT data FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx")
            defer { q.reset() }
            try q.bind(1, Int64(start))
            try q.bind(2, Int64(start + UInt64(width)))
            var out: [UInt8] = []
            var n = 0
            while try q.step() {
                let e = q.blob(0)
                out.append(UInt8(e.count >> 8)); out.append(UInt8(e.count & 0xff))
                out += e
                n += 1
            }
            guard n == width else { throw LogStoreError.corrupt("entry bundle \(index) has \(n) of \(width) entries") }
            return out
        }
    }

    /// The tlog-tiles path of tile index `n`: groups of three digits, all but the last
    /// prefixed with "x" (e.g. 1234067 → "x001/x234/067"), and ".p/W" for partial tiles.
    public static func tilePath(index n: UInt64, width: Int) -> String {
        var groups: [String] = []
        var v = n
        repeat {
            let g = String(v % 1000)
            groups.insert(String(repeating: "0", count: 3 - g.count) + g, at: 0)
            v /= 1000
        } while v > 0
        let path = groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
        return width == 256 ? path : path + ".p/\(width)"
    }
}
