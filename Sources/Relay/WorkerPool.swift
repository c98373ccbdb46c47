import Foundation

/// Threads for blocking work the HTTP server hands off, so that its polling threads stay
/// free: finishing an upload waits for fsyncs and for a group commit (tens of
/// milliseconds), while a poll thread can answer thousands of reads in that time.
///
/// Threads start on demand, up to `maxThreads`, and wait for more work once idle; jobs
/// beyond that wait in a FIFO queue. `shutdown()` lets every thread exit once the queue is
/// empty. Jobs must not wait for one another (a job waiting on a later one could starve).
final class WorkerPool: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let maxThreads: Int
    private let name: String
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private var stopping = false

    init(maxThreads: Int, name: String) {
        precondition(maxThreads >= 1)
        self.maxThreads = maxThreads
        self.name = name
    }

    /// Runs `job` on a pool thread. After `shutdown()`, runs it on the caller's thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            job()
            return
        }
        jobs.append(job)
        // Each idle thread will take one queued job; start a thread for any job left over.
        let spawn = jobs.count - head > idle && threads < maxThreads
        if spawn { threads += 1 }
        if idle > 0 { condition.signal() }
        condition.unlock()
        if spawn { Thread { [self] in run() }.start() }
    }

    /// Threads exit once the queued jobs are done. Later jobs run on their caller's thread.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Threads started and not yet exited.
    var threadCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads
    }

    private func run() {
        Thread.current.name = name
        condition.lock()
        while true {
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                if head == jobs.count || head >= 1024 {
                    jobs.removeFirst(head)
                    head = 0
                }
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            if stopping { break }
            idle += 1
            condition.wait()
            idle -= 1
        }
        threads -= 1
        condition.unlock()
    }
}
