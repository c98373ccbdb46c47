/// The server's limits and the pure checks made on a request head before its body is read.
extension HTTPServer {
    public struct Limits: Sendable, Equatable {
        /// Connections open at once, over all worker threads. libmicrohttpd gives each polling
        /// thread an equal share; a thread at its share accepts no more until one of its
        /// connections closes (kept-alive ones count until their idle timeout).
        public var maxConnections: Int
        /// Connections open at once from one IP address (extra ones are closed at accept).
        public var maxConnectionsPerIP: Int
        /// Memory for one connection's request line and headers; a head that does not fit is
        /// answered with 431. (libmicrohttpd's per-connection memory pool: it also holds the
        /// read buffer, so very small values slow uploads down.)
        public var maxHeaderBytes: Int
        /// A connection idle this long is closed.
        public var idleTimeoutSeconds: Int
        /// A ceiling on every body, whatever a route asks for.
        public var maxBodyBytes: Int
        /// Responses with an `.immutableFile` body kept built, in memory, to be sent again
        /// (per polling thread, so a file may be kept once per thread); 0 keeps none.
        public var reusableResponses: Int
        /// The memory those kept responses' bodies may take in all. A larger file is sent
        /// from its descriptor each time.
        public var reusableResponseBytes: Int

        public init(maxConnections: Int = 1024, maxConnectionsPerIP: Int = 64, maxHeaderBytes: Int = 32 * 1024,
                    idleTimeoutSeconds: Int = 30, maxBodyBytes: Int = 256 * 1024 * 1024, reusableResponses: Int = 1024,
                    reusableResponseBytes: Int = 64 * 1024 * 1024) {
            self.reusableResponses = reusableResponses
            self.reusableResponseBytes = reusableResponseBytes
            self.maxConnections = maxConnections
            self.maxConnectionsPerIP = maxConnectionsPerIP
            self.maxHeaderBytes = maxHeaderBytes
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.maxBodyBytes = maxBodyBytes
        }

        /// Why these limits cannot be used, or nil if they can.
        public func problem(threads: Int) -> String? {
            if threads < 1 || threads > 64 { return "thread pool size must be 1…64, not \(threads)" }
            if maxConnections < threads || maxConnections > 1_000_000 {
                return "maxConnections must be at least the thread count (\(threads)) and at most 1000000"
            }
            if maxConnectionsPerIP < 1 || maxConnectionsPerIP > maxConnections {
                return "maxConnectionsPerIP must be 1…maxConnections"
            }
            if maxHeaderBytes < 4096 || maxHeaderBytes > 16 * 1024 * 1024 { return "maxHeaderBytes must be 4 KiB…16 MiB" }
            if idleTimeoutSeconds < 1 || idleTimeoutSeconds > 86_400 { return "idleTimeoutSeconds must be 1…86400" }
            if maxBodyBytes < 0 { return "maxBodyBytes must not be negative" }
            if reusableResponses < 0 || reusableResponses > 65_536 { return "reusableResponses must be 0…65536" }
            if reusableResponseBytes < 0 { return "reusableResponseBytes must not be negative" }
            return nil
        }

        /// The body limit for one request: the route's, capped by the server's.
        public func bodyLimit(route: Int) -> Int { max(0, min(route, maxBodyBytes)) }
    }

    /// How a request declares its body (RFC 9112 §6), checked before routing.
    public enum BodyFraming: Equatable, Sendable {
        /// No Content-Length and no Transfer-Encoding: no body.
        case none
        case length(Int)
        case chunked
        /// Refuse the request with this status (400 for ambiguous framing, 501 for a
        /// transfer coding other than chunked).
        case reject(status: Int, reason: String)
    }

    /// Reads the framing headers. Both Content-Length and Transfer-Encoding (a smuggling
    /// vector libmicrohttpd 0.9.75 accepts), several Content-Length values, or one that is
    /// not a plain decimal are refused.
    public static func bodyFraming(_ head: HTTPRequestHead) -> BodyFraming {
        let lengths = head.headerValues("Content-Length")
        let codings = head.headerValues("Transfer-Encoding")
        if !lengths.isEmpty && !codings.isEmpty {
            return .reject(status: 400, reason: "both Content-Length and Transfer-Encoding")
        }
        if !codings.isEmpty {
            let parts = codings.flatMap { $0.split(separator: ",") }
                .map { $0.trimmingASCIISpaces() }
            guard parts.count == 1, httpASCIICaseInsensitiveEqual(parts[0], "chunked") else {
                return .reject(status: 501, reason: "unsupported transfer coding")
            }
            return .chunked
        }
        guard let first = lengths.first else { return .none }
        guard lengths.count == 1 else { return .reject(status: 400, reason: "several Content-Length headers") }
        let text = first.trimmingASCIISpaces()
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(text)
        else {
            // Longer than 18 digits cannot fit a sane body limit: treat as too large later.
            if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return .length(Int.max) }
            return .reject(status: 400, reason: "invalid Content-Length")
        }
        return .length(n)
    }

    /// The status to answer before reading a body, or nil to go on reading it.
    public static func precheckBody(_ framing: BodyFraming, limit: Int) -> Int? {
        switch framing {
        case .none, .chunked: return nil  // a chunked body is counted as it arrives
        case .length(let n): return n > limit ? 413 : nil
        case .reject(let status, _): return status
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingASCIISpaces() -> String {
        let u = Array(utf8)
        var lo = 0, hi = u.count
        while lo < hi, u[lo] == 0x20 || u[lo] == 0x09 { lo += 1 }
        while hi > lo, u[hi - 1] == 0x20 || u[hi - 1] == 0x09 { hi -= 1 }
        return String(decoding: u[lo..<hi], as: UTF8.self)
    }
}
