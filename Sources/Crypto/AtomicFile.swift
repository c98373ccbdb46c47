#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// A file that appears at its path only when complete: data goes to a temporary file in
/// the same directory, which `commit()` fsyncs and renames into place (then fsyncs the
/// directory). If the sink is dropped or `abort()`ed first, the temporary file is removed,
/// so a failed decryption or signature never leaves a partial file behind.
public final class AtomicFileSink: ByteSink {
    public let path: String
    private let tempPath: String
    private var fd: Int32
    private var finished = false
    private let overwrite: Bool

    /// `mode` is applied to the new file (0600 for key files); by default it is
    /// 0666 less the process umask, as for any new file. The temporary file is created 0600
    /// and exclusive, so nobody can read it while it is written.
    public init(path: String, mode: mode_t? = nil, overwrite: Bool = true) throws {
        let mode = mode ?? (0o666 & ~AtomicFileSink.currentUmask())
        self.path = path
        self.overwrite = overwrite
        if !overwrite, access(path, F_OK) == 0 { throw IOError.exists(path: path) }
        let (dir, base) = AtomicFileSink.split(path)
        var template = Array("\(dir)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw IOError.open(path: path, reason: IOError.errnoText()) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.fd = fd
        guard fchmod(fd, mode) == 0 else {
            let reason = IOError.errnoText()
            close(fd); unlink(tempPath)
            throw IOError.open(path: path, reason: reason)
        }
    }

    deinit { abort() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after commit or abort")
        try FileSink.writeAll(fd: fd, bytes, name: path)
        unsynced += bytes.count
        if unsynced >= AtomicFileSink.syncInterval {
            // Start writing back what we have on another thread, so the fsync in commit()
            // only waits for the tail instead of the whole file.
            unsynced = 0
            let fd = self.fd
            if syncing.wait(timeout: .now()) == .success {
                syncQueue.async { [syncing] in _ = fdatasync(fd); syncing.signal() }
            }
        }
    }

    /// Bytes written between background flushes.
    static let syncInterval = 16 << 20
    private var unsynced = 0
    private let syncQueue = DispatchQueue(label: "att-report.atomic-file-sync")
    private let syncing = PipelinedWriter.semaphore(1)

    /// Makes the file durable and visible at `path`.
    public func commit() throws {
        precondition(!finished)
        syncQueue.sync {}  // a background flush of this fd must end before fsync and close
        guard fsync(fd) == 0 else { let r = IOError.errnoText(); abort(); throw IOError.commit(path: path, reason: r) }
        guard close(fd) == 0 else { let r = IOError.errnoText(); fd = -1; abort(); throw IOError.commit(path: path, reason: r) }
        fd = -1
        if overwrite {
            guard rename(tempPath, path) == 0 else { let r = IOError.errnoText(); abort(); throw IOError.commit(path: path, reason: r) }
        } else {
            // link(2) fails if the target exists, so a racing writer cannot be clobbered.
            guard link(tempPath, path) == 0 else {
                let e = errno; let r = IOError.errnoText(); abort()
                throw e == EEXIST ? IOError.exists(path: path) : IOError.commit(path: path, reason: r)
            }
            unlink(tempPath)
        }
        finished = true
        let (dir, _) = AtomicFileSink.split(path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Removes the temporary file. Safe to call more than once.
    public func abort() {
        guard !finished else { return }
        finished = true
        syncQueue.sync {}
        if fd >= 0 { close(fd); fd = -1 }
        unlink(tempPath)
    }

    static func split(_ path: String) -> (dir: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    /// Writes `bytes` to `path` atomically.
    /// The process umask, read from /proc (changing it to read it would race other threads).
    static func currentUmask() -> mode_t {
        if let status = try? readSmallFile("/proc/self/status", limit: 64 * 1024) {
            let text = String(decoding: status, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
               let value = mode_t(line.dropFirst(6).trimmingPrefixWhitespace(), radix: 8) {
                return value
            }
        }
        return 0o077  // unknown: be conservative
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t? = nil, overwrite: Bool = true) throws {
        let sink = try AtomicFileSink(path: path, mode: mode, overwrite: overwrite)
        try sink.write(bytes)
        try sink.commit()
    }
}

/// Reads a whole small file (keys, signatures), refusing files over `limit` bytes.
public func readSmallFile(_ path: String, limit: Int = 1 << 20) throws -> [UInt8] {
    try FileSource(path: path).readAll(limit: limit)
}

extension Substring {
    func trimmingPrefixWhitespace() -> Substring { drop { $0 == " " || $0 == "\t" } }
}
