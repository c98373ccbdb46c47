#if canImport(Glibc)
import Glibc
#endif

/// Value types for the relay's HTTP layer. Nothing here touches libmicrohttpd; the server
/// (HTTPServer.swift) turns these into and out of the C library's calls.

/// What arrived before the body: request line, headers and the peer's address.
public struct HTTPRequestHead: Sendable {
    /// The method as sent (`GET`, `POST`, …).
    public var method: String
    /// The path of the request target as sent, still percent-encoded (`/a%2Fb` stays so).
    public var path: String
    /// The raw query string after `?` (percent-encoded), or nil if the target had no `?`.
    public var query: String?
    /// Every header line in arrival order; names as sent, duplicates kept.
    public var headers: [(name: String, value: String)]
    /// The client's IP address as text (`127.0.0.1`, `::1`), or "" if unknown.
    public var remoteAddress: String

    public init(method: String, path: String, query: String? = nil,
                headers: [(name: String, value: String)] = [], remoteAddress: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
    }

    /// Splits a raw request target into path and query.
    public init(method: String, target: String, headers: [(name: String, value: String)], remoteAddress: String) {
        if let q = target.firstIndex(of: "?") {
            self.init(method: method, path: String(target[..<q]), query: String(target[target.index(after: q)...]),
                      headers: headers, remoteAddress: remoteAddress)
        } else {
            self.init(method: method, path: target, query: nil, headers: headers, remoteAddress: remoteAddress)
        }
    }

    /// The request target as sent: path, then `?` and the query if there was one.
    public var target: String { query.map { path + "?" + $0 } ?? path }

    /// The first value of a header, compared case-insensitively (ASCII).
    public func header(_ name: String) -> String? {
        headers.first { httpASCIICaseInsensitiveEqual($0.name, name) }?.value
    }

    /// All values of a header, in arrival order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { httpASCIICaseInsensitiveEqual($0.name, name) }.map(\.value)
    }
}

func httpASCIICaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
    let a = a.utf8, b = b.utf8
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
        (x | (x >= 0x41 && x <= 0x5A ? 0x20 : 0)) == (y | (y >= 0x41 && y <= 0x5A ? 0x20 : 0))
    }
}

/// A response. The server adds Content-Length (and Date) itself; a `Content-Length` or
/// `Transfer-Encoding` given here is ignored.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: HTTPResponseBody

    public init(status: Int, headers: [(name: String, value: String)] = [], body: HTTPResponseBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A short `text/plain` response (a newline is appended).
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")],
                     body: .bytes(Array((text + "\n").utf8)))
    }

    /// A status with an empty body.
    public static func empty(_ status: Int) -> HTTPResponse { HTTPResponse(status: status) }
}

public enum HTTPResponseBody: Sendable {
    /// Bytes held in memory (copied once into the server).
    case bytes([UInt8])
    /// A range of an open file, sent from the descriptor (sendfile where possible).
    case file(HTTPFileBody)
    /// A whole regular file whose bytes never change under this path (content-addressed).
    /// The server may keep a copy in memory, as a built response, and send it again for the
    /// same path, status and headers while the file's device, inode, size and times are
    /// unchanged (`HTTPServer.Limits.reusableResponses` and `reusableResponseBytes`). A
    /// file that cannot be opened is answered 503 when the server is out of descriptors or
    /// memory, 500 otherwise.
    case immutableFile(path: String)
}

/// An open file (or a range of one) to send. It owns its descriptor: the server takes it
/// over when the response is sent, and a body that is never sent closes it in `deinit`.
public final class HTTPFileBody: Sendable {
    private let descriptor: Locked<Int32?>
    public let offset: UInt64
    public let length: UInt64

    /// Takes ownership of `descriptor`.
    public init(descriptor: Int32, offset: UInt64, length: UInt64) {
        self.descriptor = Locked(descriptor)
        self.offset = offset
        self.length = length
    }

    /// Opens `path` read-only and sends all of it (or `length` bytes from `offset`).
    public convenience init(path: String, offset: UInt64 = 0, length: UInt64? = nil) throws(HTTPFileOpenError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPFileOpenError(path: path, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw HTTPFileOpenError(path: path, errno: e)
        }
        let size = UInt64(max(0, st.st_size))
        guard (st.st_mode & S_IFMT) == S_IFREG, offset <= size, length.map({ $0 <= size - offset }) ?? true else {
            close(fd)
            throw HTTPFileOpenError(path: path, errno: EINVAL)
        }
        self.init(descriptor: fd, offset: offset, length: length ?? size - offset)
    }

    /// Hands the descriptor over (once); nil if it was already taken.
    func takeDescriptor() -> Int32? {
        descriptor.withLock { d in
            defer { d = nil }
            return d
        }
    }

    deinit {
        if let fd = takeDescriptor() { close(fd) }
    }
}

public struct HTTPFileOpenError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "cannot send \(path): \(String(cString: strerror(errno)))" }
}

/// An error that carries an HTTP status. When a handler or sink throws one, the client gets
/// `status`, `headers` and `publicMessage` as a short text body. Any other error (or a
/// status outside 400…599) becomes a bare 500 with an empty body.
/// (The relay's `HTTPError` already has these three members: `extension HTTPError:
/// HTTPStatusError {}` is all it needs.)
public protocol HTTPStatusError: Error {
    var status: Int { get }
    /// Text that is safe to show the client (no paths, no internals).
    var publicMessage: String { get }
    /// Extra response headers (`Allow`, `Retry-After`, `WWW-Authenticate`, …).
    var headers: [(name: String, value: String)] { get }
}

extension HTTPStatusError {
    public var headers: [(name: String, value: String)] { [] }
}

/// Receives one request's body, chunk by chunk, on the server's worker thread for that
/// connection. The server calls `write` zero or more times, then exactly one of `finish`
/// (the whole body arrived) or `abort` (the body was too big, the client went away, a write
/// threw, or the server stopped). After `abort`, nothing else is called.
public protocol HTTPBodySink: AnyObject {
    /// One chunk of the body; the buffer is only valid during the call. Throwing aborts the
    /// request: the rest of the body is discarded and the error becomes the response.
    func write(_ chunk: UnsafeRawBufferPointer) throws
    /// The body is complete: produce the response.
    func finish() throws -> HTTPResponse
    /// The request failed; discard what was written (delete the temp file, …).
    func abort()
}

/// What a handler decides from the request head alone.
public enum HTTPRequestDisposition {
    /// Answer at once. A body the client sends anyway is not read; the connection closes.
    case respond(HTTPResponse)
    /// Read a body of at most `maxBytes` (also capped by the server's limit). `open` is only
    /// called once the head passed the checks (a Content-Length over the limit is answered
    /// with 413 before `open` and before any body is read).
    case readBody(maxBytes: Int, open: () throws -> any HTTPBodySink)
}

/// The application side of the server. Called on the server's worker threads, concurrently
/// for different connections, so it must be `Sendable`.
public protocol HTTPHandler: Sendable {
    /// Decides what to do with a request once its head has arrived.
    func handle(_ head: HTTPRequestHead) throws -> HTTPRequestDisposition
}
