import CCurl
import Crypto

/// What an HTTP request through `HTTPClient` can fail with.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The URL is not an http:// or https:// URL.
    case badURL(String)
    /// Plain http:// to a host that is not a loopback address (set ATT_REPORT_ALLOW_HTTP=1 to allow).
    case plainHTTP(String)
    /// libcurl could not complete the transfer: its error text (connection refused, timeout…).
    case transport(url: String, message: String)
    /// The server answered with a status other than 2xx: the status and the first line of
    /// its body (sanitized, possibly empty).
    case status(code: Int, message: String)
    /// The response body was longer than the caller allows.
    case tooLarge(limit: Int)
    /// Reading the request body or writing the response body failed.
    case io(String)

    public var description: String {
        switch self {
        case let .badURL(u): return "\"\(HTTPClient.printable(u, limit: 200))\" is not an http:// or https:// URL"
        case let .plainHTTP(u):
            return "\"\(HTTPClient.printable(u, limit: 200))\" is plain HTTP to another machine: use https:// (or set ATT_REPORT_ALLOW_HTTP=1 behind a trusted tunnel)"
        case let .transport(u, m): return "cannot reach \(HTTPClient.printable(u, limit: 200)): \(m)"
        case let .status(c, m): return "the relay answered \(c)" + (m.isEmpty ? "" : ": \(m)")
        case let .tooLarge(l): return "the response is larger than \(l) bytes"
        case let .io(m): return m
        }
    }
}

/// An HTTP client over one libcurl easy handle: the only code that touches libcurl. Not
/// thread-safe (one transfer at a time); the handle, its header list and its error buffer
/// are freed in `deinit`.
public final class HTTPClient {
    /// A completed response with a 2xx status.
    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
    }

    /// Called during a transfer with bytes sent so far, bytes to send, bytes received so far
    /// and bytes to receive (0 when unknown).
    public typealias Progress = (_ sent: Int64, _ sendTotal: Int64, _ received: Int64, _ receiveTotal: Int64) -> Void

    /// Seconds to connect. 0: libcurl's default.
    public var connectTimeout: Int = 15
    /// Seconds for the whole transfer; 0: no limit (large uploads rely on `stallTimeout`).
    public var timeout: Int = 0
    /// A transfer slower than 1 byte/s for this many seconds is abandoned.
    public var stallTimeout: Int = 60
    /// A PEM file of the certificate authorities to trust for https:// (default: the system's).
    public var caFile: String?
    /// The first bytes of an error response body that are read (the relay's is one line).
    public static let errorBodyLimit = 4096

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?

    private static let globalInit: Bool = curl_global_init(att_curl_global_all()) == CURLE_OK

    public init() throws(HTTPClientError) {
        guard Self.globalInit, let h = curl_easy_init() else {
            throw .transport(url: "", message: "libcurl could not be initialised")
        }
        handle = h
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    /// Whether `url` is plain http:// to a host other than a loopback address.
    public static func isPlainHTTPOffLoopback(_ url: String) -> Bool {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") else { return false }
        let authority = lower.dropFirst("http://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        return !(host == "localhost" || host == "::1" || host.hasPrefix("127."))
    }

    /// http:// or https:// followed by something.
    public static func isHTTPURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) && lower.utf8.count > scheme.utf8.count {
            return url.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        }
        return false
    }

    /// GET into memory, refusing bodies over `limit` bytes.
    public func get(_ url: String, headers: [(String, String)] = [], limit: Int = 1 << 20,
                    progress: Progress? = nil) throws(HTTPClientError) -> Response {
        let t = Transfer(limit: limit, sink: nil, source: nil, progress: progress)
        let status = try perform(url: url, method: "GET", headers: headers, transfer: t, uploadLength: nil)
        return Response(status: status, body: t.memory)
    }

    /// GET streamed to `sink` (only a 2xx body reaches it). Returns the status.
    @discardableResult
    public func get(_ url: String, headers: [(String, String)] = [], to sink: ByteSink,
                    progress: Progress? = nil) throws(HTTPClientError) -> Int {
        let t = Transfer(limit: .max, sink: sink, source: nil, progress: progress)
        return try perform(url: url, method: "GET", headers: headers, transfer: t, uploadLength: nil)
    }

    /// POST of `length` bytes read from `body`, the response body into memory (up to `limit`).
    public func post(_ url: String, headers: [(String, String)] = [], body: ByteSource, length: Int64,
                     limit: Int = 1 << 20, progress: Progress? = nil) throws(HTTPClientError) -> Response {
        let t = Transfer(limit: limit, sink: nil, source: body, progress: progress)
        let status = try perform(url: url, method: "POST", headers: headers, transfer: t, uploadLength: length)
        return Response(status: status, body: t.memory)
    }

    /// PUT of `length` bytes read from `body`, the response body into memory (up to `limit`).
    public func put(_ url: String, headers: [(String, String)] = [], body: ByteSource, length: Int64,
                    limit: Int = 1 << 20) throws(HTTPClientError) -> Response {
        let t = Transfer(limit: limit, sink: nil, source: body, progress: nil)
        let status = try perform(url: url, method: "PUT", headers: headers, transfer: t, uploadLength: length)
        return Response(status: status, body: t.memory)
    }

    // MARK: - The transfer

    /// Per-transfer state the C callbacks reach through an unretained pointer (the transfer
    /// outlives `curl_easy_perform`, which runs the callbacks synchronously).
    final class Transfer {
        let limit: Int
        let sink: ByteSink?
        let source: ByteSource?
        let progress: Progress?
        var memory: [UInt8] = []
        var errorBody: [UInt8] = []
        var failure: HTTPClientError?
        var status: Int?
        var handle: UnsafeMutableRawPointer?

        init(limit: Int, sink: ByteSink?, source: ByteSource?, progress: Progress?) {
            self.limit = limit; self.sink = sink; self.source = source; self.progress = progress
        }

        /// The response status, read once the first body bytes arrive.
        func responseStatus() -> Int {
            if let status { return status }
            var code: Int = 0
            if let handle { _ = att_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &code) }
            status = code
            return code
        }

        func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
            let s = responseStatus()
            if !(200...299).contains(s) {
                let room = HTTPClient.errorBodyLimit - errorBody.count
                if room > 0 { errorBody += bytes.prefix(room) }
                return true
            }
            if let sink {
                do { try sink.write(bytes) } catch {
                    failure = .io("\(error)")
                    return false
                }
                return true
            }
            guard memory.count + bytes.count <= limit else {
                failure = .tooLarge(limit: limit)
                return false
            }
            memory += bytes
            return true
        }

        /// Bytes read into `buffer`, 0 at the end, nil on failure.
        func send(_ buffer: UnsafeMutableRawBufferPointer) -> Int? {
            guard let source else { return 0 }
            do { return try source.read(into: buffer) } catch {
                failure = .io("\(error)")
                return nil
            }
        }
    }

    private func check(_ code: CURLcode, _ what: String) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw .transport(url: "", message: "libcurl refused \(what): " + String(cString: curl_easy_strerror(code)))
        }
    }

    private func perform(url: String, method: String, headers: [(String, String)], transfer t: Transfer,
                         uploadLength: Int64?) throws(HTTPClientError) -> Int {
        guard Self.isHTTPURL(url) else { throw .badURL(url) }
        curl_easy_reset(handle)
        if let headerList { curl_slist_free_all(headerList); self.headerList = nil }
        errorBuffer[0] = 0
        t.handle = handle

        try check(att_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "the error buffer")
        try check(att_curl_set_string(handle, CURLOPT_URL, url), "the URL")
        try check(att_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "the protocols")
        try check(att_curl_set_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        // Requests are signed over the target as written: no normalisation of the path.
        try check(att_curl_set_long(handle, CURLOPT_PATH_AS_IS, 1), "PATH_AS_IS")
        try check(att_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        if let caFile { try check(att_curl_set_string(handle, CURLOPT_CAINFO, caFile), "the CA file") }
        try check(att_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout), "the connect timeout")
        try check(att_curl_set_long(handle, CURLOPT_TIMEOUT, timeout), "the timeout")
        if stallTimeout > 0 {
            try check(att_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1), "the low speed limit")
            try check(att_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, stallTimeout), "the low speed time")
        }

        var list: UnsafeMutablePointer<curl_slist>?
        var all = headers
        if uploadLength != nil { all.append(("Content-Type", "application/octet-stream")) }
        for (name, value) in all {
            guard let appended = curl_slist_append(list, "\(name): \(value)") else {
                if let list { curl_slist_free_all(list) }
                throw .transport(url: url, message: "out of memory")
            }
            list = appended
        }
        headerList = list
        if let list { try check(att_curl_set_slist(handle, CURLOPT_HTTPHEADER, list), "the headers") }

        let context = Unmanaged.passUnretained(t).toOpaque()
        try check(att_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION, { buffer, size, count, context in
            let t = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            guard n > 0, let buffer else { return 0 }
            return t.receive(UnsafeRawBufferPointer(start: buffer, count: n)) ? n : 0
        }), "the write callback")
        try check(att_curl_set_pointer(handle, CURLOPT_WRITEDATA, context), "the write context")

        if let uploadLength {
            try check(att_curl_set_long(handle, CURLOPT_POST, 1), "POST")
            try check(att_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(uploadLength)), "the body length")
            try check(att_curl_set_data_callback(handle, CURLOPT_READFUNCTION, { buffer, size, count, context in
                let t = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                guard let buffer else { return att_curl_readfunc_abort() }
                guard let n = t.send(UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) else {
                    return att_curl_readfunc_abort()
                }
                return n
            }), "the read callback")
            try check(att_curl_set_pointer(handle, CURLOPT_READDATA, context), "the read context")
        } else {
            try check(att_curl_set_long(handle, CURLOPT_HTTPGET, 1), "GET")
        }
        // PUT sends its body as a POST does, under its own method name.
        if method != "GET" && method != "POST" { try check(att_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method), "the method") }

        if t.progress != nil {
            try check(att_curl_set_long(handle, CURLOPT_NOPROGRESS, 0), "NOPROGRESS")
            try check(att_curl_set_xferinfo_callback(handle, { context, downTotal, downNow, upTotal, upNow in
                let t = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                t.progress?(Int64(upNow), Int64(upTotal), Int64(downNow), Int64(downTotal))
                return 0
            }), "the progress callback")
            try check(att_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context), "the progress context")
        }

        let code = withExtendedLifetime(t) { curl_easy_perform(handle) }
        if let failure = t.failure { throw failure }
        guard code == CURLE_OK else {
            let text = String(cString: errorBuffer)
            throw .transport(url: url, message: Self.printable(text.isEmpty ? String(cString: curl_easy_strerror(code)) : text,
                                                               limit: 300))
        }
        var status: Int = 0
        _ = att_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard (200...299).contains(status) else {
            let firstLine = t.errorBody.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            throw .status(code: status, message: Self.printable(String(decoding: firstLine, as: UTF8.self), limit: 300))
        }
        return status
    }

    /// Printable ASCII only (no terminal escapes from a server), trimmed and shortened.
    static func printable(_ text: String, limit: Int) -> String {
        var out = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
        while out.hasSuffix(" ") || out.hasSuffix("?") { out.removeLast() }
        while out.hasPrefix(" ") { out.removeFirst() }
        if out.count > limit { out = String(out.prefix(limit)) + "..." }
        return out
    }
}
