import Dispatch
import Foundation

/// Group commit: many threads hand in one item each; whoever finds no batch in flight
/// leads, committing everything pending (at most `maxBatch`) with one call of `commit`,
/// which returns one output per item, in order. Each caller returns once its batch is
/// committed, with its own output or the batch's error. So N concurrent callers share the
/// fsyncs of one commit.
///
/// Each caller waits on its own semaphore and is woken once: when its result is in, or to
/// lead the next batch (the leader of a batch hands over to the first caller still
/// pending). No herd of waiters wakes to find its batch not done yet.
final class GroupCommit<Item, Output>: @unchecked Sendable {
    // @unchecked: `pending`, `writing` and every waiter's `result` are guarded by `lock`;
    // `commit` runs outside it, on one thread at a time (the leader).
    private final class Waiter {
        let item: Item
        /// Set when its batch is committed; a waiter woken without one leads the next batch.
        var result: Result<Output, Error>?
        let wake = DispatchSemaphore(value: 0)
        init(_ item: Item) { self.item = item }
    }

    private let maxBatch: Int
    private let commit: ([Item]) throws -> [Output]
    private let lock = NSLock()
    /// In arrival order. Not empty only while a batch is being written (`writing`).
    private var pending: [Waiter] = []
    private var writing = false

    init(maxBatch: Int, commit: @escaping ([Item]) throws -> [Output]) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Hands in `item`; blocks until the batch that holds it is committed.
    func submit(_ item: Item) throws -> Output {
        let me = Waiter(item)
        lock.lock()
        pending.append(me)
        if writing {
            lock.unlock()
            me.wake.wait()
            lock.lock()
        } else {
            writing = true
        }
        if let result = me.result {
            lock.unlock()
            return try result.get()
        }
        // Leading: the first pending caller, so the next batch holds this item.
        let batch = Array(pending.prefix(maxBatch))
        pending.removeFirst(batch.count)
        lock.unlock()
        let outcome = Result { try commit(batch.map(\.item)) }
        lock.lock()
        for (offset, waiter) in batch.enumerated() {
            waiter.result = outcome.flatMap { outputs in
                outputs.count == batch.count ? .success(outputs[offset]) : .failure(GroupCommitError.outputCount)
            }
        }
        let next = pending.first
        if next == nil { writing = false }
        let result = me.result!
        lock.unlock()
        next?.wake.signal()
        for waiter in batch where waiter !== me { waiter.wake.signal() }
        return try result.get()
    }
}

enum GroupCommitError: Error, CustomStringConvertible {
    case outputCount
    var description: String { "a group commit returned a different number of results than items" }
}
