import Foundation

/// A value behind a lock, for state that threads share. It uses `NSLock` (a pthread mutex)
/// rather than the standard library's `Mutex`: on Linux, `Mutex` locks through futex calls
/// that ThreadSanitizer does not see, so it reports every access to the guarded value as a
/// race (measured with Swift 6.3.1), and `make test-tsan` could not tell real races apart.
final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched inside `withLock`, under `lock`.
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
