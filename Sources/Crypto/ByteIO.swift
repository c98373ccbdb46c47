#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming byte sources and sinks. Everything that can be large (payloads, files to sign)
/// goes through these, so memory does not grow with the input.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at end of input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// I/O failures, with the path or descriptor they happened on.
public enum IOError: Error, Equatable, CustomStringConvertible {
    case open(path: String, reason: String)
    case read(what: String, reason: String)
    case write(what: String, reason: String)
    case commit(path: String, reason: String)
    case exists(path: String)
    case tooLarge(what: String, limit: Int)

    public var description: String {
        switch self {
        case let .open(p, r): return "cannot open \(p): \(r)"
        case let .read(w, r): return "cannot read \(w): \(r)"
        case let .write(w, r): return "cannot write \(w): \(r)"
        case let .commit(p, r): return "cannot finish writing \(p): \(r)"
        case let .exists(p): return "\(p) already exists"
        case let .tooLarge(w, l): return "\(w) is larger than \(l) bytes"
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

extension ByteSource {
    /// Reads until `buffer` is full or the input ends; returns the number of bytes read.
    public func readFull(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Reads everything, refusing inputs over `limit` bytes (checked before allocating more).
    public func readAll(limit: Int) throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            guard out.count + n <= limit else { throw IOError.tooLarge(what: "input", limit: limit) }
            out += chunk[0..<n]
        }
    }
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws { try write(Array(text.utf8)) }
}

/// A file descriptor read with read(2). Owns and closes the descriptor when `owned`.
public final class FileSource: ByteSource {
    private let fd: Int32
    private let owned: Bool
    public let name: String

    public init(fd: Int32, name: String, owned: Bool = false) {
        self.fd = fd; self.name = name; self.owned = owned
    }

    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError.open(path: path, reason: IOError.errnoText()) }
        self.init(fd: fd, name: path, owned: true)
    }

    public static func standardInput() -> FileSource { FileSource(fd: 0, name: "standard input") }

    deinit { if owned { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw IOError.read(what: name, reason: IOError.errnoText())
        }
    }
}

/// A file descriptor written with write(2). Does not close it.
public final class FileSink: ByteSink {
    private let fd: Int32
    public let name: String

    public init(fd: Int32, name: String) { self.fd = fd; self.name = name }
    public static func standardOutput() -> FileSink { FileSink(fd: 1, name: "standard output") }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileSink.writeAll(fd: fd, bytes, name: name)
    }

    static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.write(what: name, reason: IOError.errnoText())
            }
            done += n
        }
    }
}

/// An in-memory source, for tests and small inputs.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// An in-memory sink, for tests and small outputs.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ b: UnsafeRawBufferPointer) throws { bytes += b }
}

/// A source with a read-ahead buffer, for line-oriented parsing (age headers, armor) that
/// then hands the rest of the stream on unbuffered.
public final class BufferedSource: ByteSource {
    private let inner: ByteSource
    private var buffer: [UInt8]
    private var start = 0, end = 0
    private var atEOF = false

    public init(_ inner: ByteSource, capacity: Int = 64 * 1024) {
        self.inner = inner
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    private func refill() throws -> Bool {
        if atEOF { return false }
        if start > 0 {
            let live = end - start
            if live > 0 { buffer.withUnsafeMutableBytes { b in b.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: live) } }
            start = 0; end = live
        }
        guard end < buffer.count else { return false }
        let n = try buffer.withUnsafeMutableBytes { b in try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end...])) }
        if n == 0 { atEOF = true; return false }
        end += n
        return true
    }

    /// Ensures at least `count` bytes are buffered if the input has them; returns them.
    public func peek(_ count: Int) throws -> ArraySlice<UInt8> {
        precondition(count <= buffer.count)
        while end - start < count, try refill() {}
        return buffer[start..<min(end, start + count)]
    }

    public func skip(_ count: Int) {
        precondition(count <= end - start)
        start += count
    }

    public enum LineResult: Equatable { case line([UInt8]), tooLong, endOfInput }

    /// The next line including its "\n", or the unterminated rest of the input at its end.
    /// Lines over `maxLength` bytes (with the newline) are refused without reading further.
    public func readLine(maxLength: Int) throws -> LineResult {
        precondition(maxLength <= buffer.count)
        var scanned = 0
        while true {
            if let i = buffer[(start + scanned)..<end].firstIndex(of: UInt8(ascii: "\n")) {
                let length = i - start + 1
                guard length <= maxLength else { return .tooLong }
                let line = Array(buffer[start..<(i + 1)])
                start = i + 1
                return .line(line)
            }
            scanned = end - start
            if scanned >= maxLength { return .tooLong }
            if try !refill() {
                if end == start { return .endOfInput }
                let line = Array(buffer[start..<end])
                start = end
                return .line(line)
            }
        }
    }

    public func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if end > start {
            let n = min(out.count, end - start)
            buffer.withUnsafeBytes { b in out.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: n) }
            start += n
            return n
        }
        if atEOF { return 0 }
        return try inner.read(into: out)
    }
}
