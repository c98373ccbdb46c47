import Crypto
import Foundation

/// Group commit for a `LogStore`: many threads append one entry each, and each batch is one
/// transaction (one fsync, one signed checkpoint). Each caller returns only once its entry
/// is durable and checkpointed.
public final class LogAppender: Sendable {
    public let store: LogStore
    private let group: GroupCommit<[UInt8], Receipt>

    /// Where an entry landed: its index and the first checkpoint that covers it.
    public struct Receipt: Sendable {
        public let index: UInt64
        public let checkpoint: StoredCheckpoint
    }

    public init(store: LogStore, maxBatch: Int = 4096) {
        self.store = store
        group = GroupCommit(maxBatch: maxBatch) { entries in
            let r = try store.append(entries)
            return entries.indices.map { Receipt(index: r.firstIndex + UInt64($0), checkpoint: r.checkpoint) }
        }
    }

    /// Appends one entry; blocks until it is durable in a signed checkpoint.
    public func append(_ entry: [UInt8]) throws -> Receipt { try group.submit(entry) }
}
