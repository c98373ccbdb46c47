import Foundation

/// Group commit: many threads hand in one item each; whoever finds no batch in flight
/// commits everything pending (at most `maxBatch`) with one call of `commit`, which returns
/// one output per item, in order. Each caller returns once its batch is committed, with its
/// own output or the batch's error. So N concurrent callers share the fsyncs of one commit.
final class GroupCommit<Item, Output>: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`; `commit` runs outside it, on
    // one thread at a time (`writing`).
    private let maxBatch: Int
    private let commit: ([Item]) throws -> [Output]
    private let condition = NSCondition()
    private var pending: [(ticket: UInt64, item: Item)] = []
    private var results: [UInt64: Result<Output, Error>] = [:]
    private var nextTicket: UInt64 = 0
    private var writing = false

    init(maxBatch: Int, commit: @escaping ([Item]) throws -> [Output]) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Hands in `item`; blocks until the batch that holds it is committed.
    func submit(_ item: Item) throws -> Output {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, item))
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
                let outcome = Result { try commit(batch.map(\.item)) }
                condition.lock()
                for (offset, entry) in batch.enumerated() {
                    results[entry.ticket] = outcome.flatMap { outputs in
                        outputs.count == batch.count ? .success(outputs[offset]) : .failure(GroupCommitError.outputCount)
                    }
                }
                writing = false
                condition.broadcast()
                continue
            }
            condition.wait()
        }
    }
}

enum GroupCommitError: Error, CustomStringConvertible {
    case outputCount
    var description: String { "a group commit returned a different number of results than items" }
}
