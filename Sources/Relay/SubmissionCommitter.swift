import Crypto
import Foundation

/// Group commit of envelope submissions (docs/FORMATS.md §3.12, §7.3): the uploading threads
/// write and fsync their files in parallel; then one batch, for any number of them, links
/// the files into place with one directory fsync, inserts their index rows in one
/// transaction, appends their leaves in one log transaction with one signed checkpoint, and
/// records their log indexes. Each caller returns once its envelope is durable and in a
/// signed checkpoint. A failed batch releases its claims, so each may be sent again.
public final class SubmissionCommitter: Sendable {
    public let store: EnvelopeStore
    public let log: LogStore
    private let group: GroupCommit<EnvelopeStore.Pending, LogAppender.Receipt>

    public init(store: EnvelopeStore, log: LogStore, maxBatch: Int = 1024) {
        self.store = store
        self.log = log
        group = GroupCommit(maxBatch: maxBatch) { batch in
            do {
                try store.commit(batch)
                let appended = try log.append(batch.map(\.envelope.leaf))
                let receipts = batch.indices.map {
                    LogAppender.Receipt(index: appended.firstIndex + UInt64($0), checkpoint: appended.checkpoint)
                }
                try store.recordLogIndexes(zip(batch, receipts).map { ($0.envelope.id, $1.index, $1.checkpoint.size) })
                return receipts
            } catch {
                store.release(ids: batch.map(\.envelope.id))
                throw error
            }
        }
    }

    /// Stores a claimed envelope and appends its leaf; blocks until both are durable.
    func submit(_ pending: EnvelopeStore.Pending) throws -> LogAppender.Receipt { try group.submit(pending) }
}
