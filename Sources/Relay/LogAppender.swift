import Crypto
import Foundation

/// Group commit for a `LogStore`: many threads append one entry each, and whoever finds no
/// batch in flight writes everything pending in one transaction (one fsync, one signed
/// checkpoint). Each caller returns only once its entry is durable and checkpointed.
public final class LogAppender: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`.
    public let store: LogStore
    private let maxBatch: Int
    private let condition = NSCondition()
    private var pending: [(ticket: UInt64, entry: [UInt8])] = []
    private var results: [UInt64: Result<Receipt, Error>] = [:]
    private var nextTicket: UInt64 = 0
    private var writing = false

    /// Where an entry landed: its index and the first checkpoint that covers it.
    public struct Receipt: Sendable {
        public let index: UInt64
        public let checkpoint: StoredCheckpoint
    }

    public init(store: LogStore, maxBatch: Int = 4096) {
        self.store = store
        self.maxBatch = maxBatch
    }

    /// Appends one entry; blocks until it is durable in a signed checkpoint.
    public func append(_ entry: [UInt8]) throws -> Receipt {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, entry))
        while true {
            if let r = results.removeValue(forKey: ticket) {
                condition.unlock()
                return try r.get()
            }
            if !writing {
                writing = true
                let batch = Array(pending.prefix(maxBatch))
                pending.removeFirst(batch.count)
                condition.unlock()
                let outcome = Result { try store.append(batch.map(\.entry)) }
                condition.lock()
                for (offset, item) in batch.enumerated() {
                    results[item.ticket] = outcome.map { Receipt(index: $0.firstIndex + UInt64(offset), checkpoint: $0.checkpoint) }
                }
                writing = false
                condition.broadcast()
                continue
            }
            condition.wait()
        }
    }
}
