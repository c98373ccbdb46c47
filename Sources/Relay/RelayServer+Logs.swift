import Crypto
import Foundation

/// The public log endpoints (docs/FORMATS.md §3.12, §7.1): checkpoint, key, tiles, entry
/// bundles and proofs, straight from the `LogStore`.
extension RelayServer {
    /// Full tiles and bundles never change; checkpoints, partial tiles and proofs for the
    /// latest size do, so those must be revalidated.
    static let immutable = "public, max-age=31536000, immutable"
    static let revalidate = "no-cache"

    func respondLog(_ route: Route) throws -> HTTPResponse {
        switch route {
        case .checkpoint(let log):
            // An empty log has signed nothing yet: 404 (no checkpoint is signed at size 0).
            guard let cp = logs.store(log).latestCheckpoint else { throw HTTPError.notFound }
            return Self.bytes(cp.note, contentType: "text/plain; charset=utf-8", cache: Self.revalidate)

        case .logKey(let log):
            return Self.text(logs.verifierKey(log).encoded + "\n", cache: Self.revalidate)

        case let .tile(log, level, index, width):
            let tile = try notFoundIfMissing { try logs.store(log).tile(level: level, index: index, width: width) }
            return Self.bytes(tile, contentType: "application/octet-stream", cache: width == 256 ? Self.immutable : Self.revalidate)

        case let .entryBundle(log, index, width):
            let bundle = try notFoundIfMissing { try logs.store(log).entryBundle(index: index, width: width) }
            return Self.bytes(bundle, contentType: "application/octet-stream", cache: width == 256 ? Self.immutable : Self.revalidate)

        case let .inclusionProof(log, query):
            let store = logs.store(log)
            switch query {
            case let .index(index, size):
                try checkSigned(store, size: size)
                let proof = try notFoundIfMissing { try store.inclusionProof(index: index, size: size) }
                return Self.text("index \(index)\n" + Self.hashLines(proof), cache: Self.revalidate)
            case let .leafHash(hash, size):
                try checkSigned(store, size: size)
                guard let index = try store.leafIndex(hash: hash, below: size) else { throw HTTPError.notFound }
                let proof = try notFoundIfMissing { try store.inclusionProof(index: index, size: size) }
                return Self.text("index \(index)\n" + Self.hashLines(proof), cache: Self.revalidate)
            }

        case let .consistencyProof(log, old, new):
            let store = logs.store(log)
            try checkSigned(store, size: new)
            let proof = try notFoundIfMissing { try store.consistencyProof(from: old, to: new) }
            return Self.text(Self.hashLines(proof), cache: Self.revalidate)

        default:
            throw HTTPError.notFound
        }
    }

    /// A proof is only given for a tree the log has signed, or a smaller one (§7.1.2).
    private func checkSigned(_ store: LogStore, size: UInt64) throws {
        guard let cp = store.latestCheckpoint, size <= cp.size else { throw HTTPError.notFound }
    }

    /// `LogStoreError.notFound` (a tile, bundle or tree the log does not have yet) is 404.
    private func notFoundIfMissing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch LogStoreError.notFound(_) { throw HTTPError.notFound }
    }

    /// One `b64(hash)` LF per hash.
    static func hashLines(_ hashes: [Merkle.Hash]) -> String {
        hashes.map { Base64.encode($0, padded: true) + "\n" }.joined()
    }
}
