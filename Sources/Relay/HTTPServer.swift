import CMicroHTTPD
import Crypto
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Why the server did not start.
public enum HTTPServerError: Error, Equatable, CustomStringConvertible {
    /// The host is not a numeric IPv4/IPv6 address (or "localhost").
    case invalidHost(String)
    /// Plain HTTP on a non-loopback address without `allowInsecure`.
    case insecureBindRefused(host: String)
    case invalidLimits(String)
    /// TLS was configured, but this libmicrohttpd was built without it.
    case tlsUnsupported
    /// libmicrohttpd refused to start: the port is taken (errno EADDRINUSE), the address is
    /// not local, or (with TLS) the certificate or key did not load.
    case startFailed(host: String, port: UInt16, errno: Int32, tls: Bool)

    public var description: String {
        switch self {
        case .invalidHost(let h): return "cannot listen on \"\(h)\": give a numeric IPv4 or IPv6 address"
        case .insecureBindRefused(let h):
            return "refusing plain HTTP on non-loopback address \(h): configure TLS or set allowInsecure"
        case .invalidLimits(let why): return "invalid server limits: \(why)"
        case .tlsUnsupported: return "TLS is configured but libmicrohttpd was built without TLS support"
        case .startFailed(let h, let p, let e, let tls):
            let reason = e == 0 ? "unknown reason" : String(cString: strerror(e))
            return "cannot start HTTP\(tls ? "S" : "") server on \(h) port \(p): \(reason)"
                + (tls ? " (or the TLS certificate/key was rejected)" : "")
        }
    }
}

/// An HTTP/1.1 server on libmicrohttpd: a pool of worker threads, each polling its own
/// connections. Handlers and body sinks' `write` run on those threads, synchronously; one
/// connection's calls are always sequential. A body sink's `finish` (which may wait for
/// fsyncs) runs on a `WorkerPool` thread while its connection is suspended, so that the
/// polling threads go on serving others. The one file that touches libmicrohttpd.
///
/// Do not call `stop()` from inside a handler (it waits for the worker threads).
public final class HTTPServer: Sendable {
    public struct TLS: Sendable {
        public var certificatePEM: String
        public var privateKeyPEM: String
        public init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    public struct Configuration: Sendable {
        /// A numeric IPv4 or IPv6 address, or "localhost" (127.0.0.1).
        public var host: String
        /// 0 picks a free port; see `HTTPServer.port`.
        public var port: UInt16
        /// Polling threads (about one per core is best).
        public var threads: Int
        /// Most threads finishing uploads at once (each waits for its batch's fsyncs);
        /// started on demand.
        public var finishThreads: Int
        public var limits: Limits
        public var tls: TLS?
        /// Allows plain HTTP on a non-loopback address (for a TLS-terminating proxy in front).
        public var allowInsecure: Bool

        public init(host: String = "127.0.0.1", port: UInt16 = 0, threads: Int = 2, finishThreads: Int = 64,
                    limits: Limits = Limits(), tls: TLS? = nil, allowInsecure: Bool = false) {
            self.host = host
            self.port = port
            self.threads = threads
            self.finishThreads = finishThreads
            self.limits = limits
            self.tls = tls
            self.allowInsecure = allowInsecure
        }
    }

    public let configuration: Configuration
    /// The port the server listens on (the chosen one when configured with port 0).
    public let port: UInt16
    private let core: ServerCore
    private let running: Locked<RunningDaemon?>

    /// Starts listening at once.
    public init(configuration: Configuration, handler: any HTTPHandler) throws(HTTPServerError) {
        let host = configuration.host == "localhost" ? "127.0.0.1" : configuration.host
        if let why = configuration.limits.problem(threads: configuration.threads) { throw .invalidLimits(why) }
        guard (1...1024).contains(configuration.finishThreads) else {
            throw .invalidLimits("finishThreads must be 1…1024, not \(configuration.finishThreads)")
        }
        var address = sockaddr_in6()
        guard att_mhd_make_sockaddr(host, configuration.port, &address) != 0 else {
            throw .invalidHost(configuration.host)
        }
        if configuration.tls == nil, !configuration.allowInsecure, att_mhd_is_loopback(&address) == 0 {
            throw .insecureBindRefused(host: configuration.host)
        }
        if configuration.tls != nil, MHD_is_feature_supported(.FEATURE_TLS) != .YES { throw .tlsUnsupported }

        let core = ServerCore(handler: handler, limits: configuration.limits,
                              finishers: WorkerPool(maxThreads: configuration.finishThreads, name: "http-finish"))
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_AUTO.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if Int32(address.sin6_family) == AF_INET6 { flags |= MHD_USE_IPv6.rawValue }
        let limits = configuration.limits
        let secrets = TLSStrings(configuration.tls)
        if secrets != nil { flags |= MHD_USE_TLS.rawValue }

        func item(_ option: MHD_OPTION, _ value: Int, _ pointer: UnsafeMutableRawPointer? = nil) -> MHD_OptionItem {
            MHD_OptionItem(option: option, value: value, ptr_value: pointer)
        }
        let daemon: OpaquePointer? = withUnsafeMutablePointer(to: &address) { addressPointer in
            var options = [
                item(.THREAD_POOL_SIZE, configuration.threads),
                item(.CONNECTION_LIMIT, limits.maxConnections),
                item(.PER_IP_CONNECTION_LIMIT, limits.maxConnectionsPerIP),
                item(.CONNECTION_TIMEOUT, limits.idleTimeoutSeconds),
                item(.CONNECTION_MEMORY_LIMIT, limits.maxHeaderBytes),
                item(.STRICT_FOR_CLIENT, 1),
                item(.SOCK_ADDR, 0, UnsafeMutableRawPointer(addressPointer)),
            ]
            if let secrets {
                options.append(item(.HTTPS_MEM_KEY, 0, UnsafeMutableRawPointer(secrets.key)))
                options.append(item(.HTTPS_MEM_CERT, 0, UnsafeMutableRawPointer(secrets.certificate)))
            }
            options.append(item(.END, 0))
            errno = 0
            return att_mhd_start(
                flags,
                { cls, connection, _, method, _, uploadData, uploadDataSize, requestContext in
                    guard let cls, let connection, let method, let uploadDataSize,
                          let slot = requestContext, let raw = slot.pointee
                    else { return .NO }
                    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
                    let request = Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()
                    return core.access(connection, request: request, method: method,
                                       data: uploadData, size: uploadDataSize)
                },
                Unmanaged.passUnretained(core).toOpaque(),
                { cls, _, requestContext, termination in
                    guard let cls, let slot = requestContext, let raw = slot.pointee else { return }
                    slot.pointee = nil
                    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
                    let request = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
                    request.terminate(completedOK: termination == .REQUEST_TERMINATED_COMPLETED_OK)
                    core.openRequests.subtract(1, ordering: .relaxed)
                },
                Unmanaged.passUnretained(core).toOpaque(),
                { cls, uri, _ in
                    guard let cls else { return nil }
                    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
                    core.openRequests.add(1, ordering: .relaxed)
                    let target = uri.map { String(cString: $0) } ?? ""
                    return Unmanaged.passRetained(RequestContext(target: target)).toOpaque()
                },
                Unmanaged.passUnretained(core).toOpaque(),
                options)
        }
        guard let daemon else {
            let e = errno
            secrets?.wipe()
            core.finishers.shutdown()
            throw .startFailed(host: configuration.host, port: configuration.port, errno: e, tls: secrets != nil)
        }
        self.configuration = configuration
        self.core = core
        self.port = configuration.port != 0 ? configuration.port : att_mhd_bound_port(daemon)
        running = Locked(RunningDaemon(daemon: daemon, secrets: secrets))
    }

    /// Stops listening, closes every connection (aborting bodies in flight) and waits for the
    /// worker threads. Uploads being finished complete first (libmicrohttpd may not stop with
    /// a connection suspended). Safe to call more than once; `deinit` calls it too.
    public func stop() {
        guard let daemon = running.withLock({ $0.take() }) else { return }
        core.stopSuspending()
        MHD_stop_daemon(daemon.daemon)
        core.finishers.shutdown()
        core.dropReusableResponses()
        daemon.secrets?.wipe()
    }

    /// Requests whose context exists (between the request line and the end of the exchange).
    /// Zero once the server is stopped.
    public var openRequests: Int { core.openRequests.load(ordering: .relaxed) }

    deinit { stop() }
}

/// The daemon pointer and the TLS PEM copies it may read, owned by the server.
private struct RunningDaemon: @unchecked Sendable {
    // @unchecked: the pointers are only used by `stop()`, once, after taking them out of
    // the mutex.
    let daemon: OpaquePointer
    var secrets: TLSStrings?
}

/// C copies of the certificate and key, kept alive while the daemon runs; the key is zeroed
/// before it is freed.
private struct TLSStrings {
    let certificate: UnsafeMutablePointer<CChar>
    let key: UnsafeMutablePointer<CChar>

    init?(_ tls: HTTPServer.TLS?) {
        guard let tls, let c = strdup(tls.certificatePEM) else { return nil }
        guard let k = strdup(tls.privateKeyPEM) else { free(c); return nil }
        certificate = c
        key = k
    }

    func wipe() {
        explicit_bzero(key, strlen(key))
        free(key)
        free(certificate)
    }
}

/// What the C callbacks need, shared by all worker threads.
private final class ServerCore: Sendable {
    let handler: any HTTPHandler
    let limits: HTTPServer.Limits
    let openRequests = Atomic<Int>(0)
    let finishers: WorkerPool
    /// Connections suspended while their upload is finished, and whether `stop()` began
    /// (after which uploads are finished on the polling thread instead).
    private let suspensions = Locked<(count: Int, stopping: Bool)>((0, false))
    /// Built responses for `.immutableFile` bodies, by polling thread, status, path and
    /// headers. Each thread has its own: libmicrohttpd locks a response each time a
    /// connection takes or drops it, and threads sharing one wait on that lock.
    private let reusable: Locked<ResponseCache<ResponseHandle>>

    init(handler: any HTTPHandler, limits: HTTPServer.Limits, finishers: WorkerPool) {
        self.handler = handler
        self.limits = limits
        self.finishers = finishers
        reusable = Locked(ResponseCache(maxEntries: limits.reusableResponses, maxBytes: limits.reusableResponseBytes) {
            MHD_destroy_response($0.pointer)
        })
    }

    /// No connection is suspended from now on; returns once every suspended one resumed.
    func stopSuspending() {
        suspensions.withLock { $0.stopping = true }
        while suspensions.withLock({ $0.count }) > 0 { usleep(1000) }
    }

    /// libmicrohttpd's access handler: called once when the head is in, then once per body
    /// chunk, then once with size 0 when the body is complete.
    func access(_ connection: OpaquePointer, request: RequestContext, method: UnsafePointer<CChar>,
                data: UnsafePointer<CChar>?, size: UnsafeMutablePointer<Int>) -> MHD_Result {
        switch request.state {
        case .new:
            return begin(connection, request: request, method: String(cString: method))

        case .reading(let sink, let limit, let received):
            let n = size.pointee
            guard n > 0 else { return finish(connection, request: request, sink: sink) }
            guard n <= limit - received else {
                // Only a chunked body can get here (libmicrohttpd enforces Content-Length);
                // with 0.9.75 the only way out is to close the connection.
                request.state = .done
                sink.abort()
                return .NO
            }
            do {
                try sink.write(UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: data == nil ? 0 : n))
                request.state = .reading(sink, limit: limit, received: received + n)
            } catch {
                sink.abort()
                request.state = .discarding(Self.errorResponse(error), limit: limit, received: received + n)
            }
            size.pointee = 0
            return .YES

        case .discarding(let response, let limit, let received):
            let n = size.pointee
            guard n > 0 else {
                request.state = .done
                return queue(connection, response)
            }
            guard n <= limit - received else { request.state = .done; return .NO }
            request.state = .discarding(response, limit: limit, received: received + n)
            size.pointee = 0
            return .YES

        case .suspended:
            // Called again once `finish` resumed the connection.
            request.state = .done
            guard let response = request.finished.withLock({ $0.take() }) else { return .NO }
            return queue(connection, response)

        case .done:
            return .NO
        }
    }

    /// The body is complete: suspends the connection and finishes the sink on a pool thread,
    /// which hands the response back and resumes the connection.
    private func finish(_ connection: OpaquePointer, request: RequestContext, sink: any HTTPBodySink) -> MHD_Result {
        let suspend = suspensions.withLock { s in
            if !s.stopping { s.count += 1 }
            return !s.stopping
        }
        guard suspend else {
            request.state = .done
            return queue(connection, Self.finished(sink))
        }
        request.state = .suspended
        MHD_suspend_connection(connection)
        let upload = SuspendedUpload(connection: connection, request: request, sink: sink)
        finishers.submit { [self] in
            upload.request.finished.withLock { $0 = Self.finished(upload.sink) }
            MHD_resume_connection(upload.connection)
            suspensions.withLock { $0.count -= 1 }
        }
        return .YES
    }

    private static func finished(_ sink: any HTTPBodySink) -> HTTPResponse {
        do { return try sink.finish() } catch { return errorResponse(error) }
    }

    private func begin(_ connection: OpaquePointer, request: RequestContext, method: String) -> MHD_Result {
        request.state = .done
        let head = Self.head(connection, method: method, target: request.target)
        let framing = HTTPServer.bodyFraming(head)
        if case .reject(let status, let reason) = framing {
            return queue(connection, .text(status, reason))
        }
        let disposition: HTTPRequestDisposition
        do { disposition = try handler.handle(head) } catch { return queue(connection, Self.errorResponse(error)) }
        switch disposition {
        case .respond(let response):
            // Answered on the next call, once libmicrohttpd knows the (empty) body is read:
            // a response queued from this first call closes the connection. A body the
            // client sends anyway is not read; answering now closes the connection.
            guard framing == .none || framing == .length(0) else { return queue(connection, response) }
            request.state = .discarding(response, limit: 0, received: 0)
            return .YES
        case .readBody(let maxBytes, let open):
            let limit = limits.bodyLimit(route: maxBytes)
            if HTTPServer.precheckBody(framing, limit: limit) != nil {
                return queue(connection, .text(413, "request body too large"))
            }
            do {
                request.state = .reading(try open(), limit: limit, received: 0)
            } catch {
                return queue(connection, Self.errorResponse(error))
            }
            return .YES
        }
    }

    private static func head(_ connection: OpaquePointer, method: String, target: String) -> HTTPRequestHead {
        var headers: [(name: String, value: String)] = []
        _ = withUnsafeMutablePointer(to: &headers) { pointer in
            MHD_get_connection_values(
                connection, .HEADER_KIND,
                { cls, _, key, value in
                    guard let cls, let key else { return .YES }
                    let list = cls.assumingMemoryBound(to: [(name: String, value: String)].self)
                    list.pointee.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
                    return .YES
                }, pointer)
        }
        var buffer = [CChar](repeating: 0, count: 64)
        var remote = ""
        if att_mhd_client_address(connection, &buffer, buffer.count) == 0 {
            remote = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        return HTTPRequestHead(method: method, target: target, headers: headers, remoteAddress: remote)
    }

    static func errorResponse(_ error: any Error) -> HTTPResponse {
        if let e = error as? any HTTPStatusError, (400...599).contains(e.status) {
            var response = HTTPResponse.text(e.status, e.publicMessage)
            response.headers += e.headers
            return response
        }
        return .empty(500)
    }

    /// Queues `response` (falling back to a bare 500 if it cannot be built).
    private func queue(_ connection: OpaquePointer, _ response: HTTPResponse) -> MHD_Result {
        if case .immutableFile(let path) = response.body { return queueImmutableFile(connection, response, path: path) }
        if let built = Self.build(response) {
            defer { MHD_destroy_response(built) }
            return MHD_queue_response(connection, UInt32(response.status), built)
        }
        guard let fallback = Self.build(.empty(500)) else { return .NO }
        defer { MHD_destroy_response(fallback) }
        return MHD_queue_response(connection, 500, fallback)
    }

    /// Queues the kept response for this file, status and headers if the file is unchanged
    /// (`FileIdentity`); otherwise reads the file into a new response, keeps it within the
    /// budget and queues it. libmicrohttpd counts a response's uses, so one dropped here
    /// lives on until its last connection is done with it. A file over the budget is sent
    /// from its descriptor each time.
    private func queueImmutableFile(_ connection: OpaquePointer, _ response: HTTPResponse, path: String) -> MHD_Result {
        guard (100...599).contains(response.status) else { return queue(connection, .empty(500)) }
        var current = stat()
        guard stat(path, &current) == 0 else { return queueOpenFailure(connection, errno: errno) }
        let identity = FileIdentity(current)
        var key = "\(pthread_self()) \(response.status) \(path)"
        for (name, value) in response.headers { key += "\n\(name): \(value)" }
        if let queued = reusable.withLock({ cache in
            cache.lookup(key, identity: identity).map { MHD_queue_response(connection, UInt32(response.status), $0.pointer) }
        }) { return queued }

        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return queueOpenFailure(connection, errno: errno) }
        var opened = stat()
        guard fstat(fd, &opened) == 0, (opened.st_mode & S_IFMT) == S_IFREG, opened.st_size >= 0 else {
            close(fd)
            return queue(connection, .empty(500))
        }
        let size = Int(opened.st_size)
        guard reusable.withLock({ $0.admits(bytes: size) }) else {
            return queue(connection, HTTPResponse(status: response.status, headers: response.headers,
                                                  body: .file(HTTPFileBody(descriptor: fd, offset: 0, length: UInt64(size)))))
        }
        // In memory, libmicrohttpd sends the head and the body with one sendmsg.
        var bytes = [UInt8](repeating: 0, count: size)
        let file = FileSource(fd: fd, name: path, owned: true)
        guard (try? bytes.withUnsafeMutableBytes { try file.readFull(into: $0) }) == size else {
            return queue(connection, .empty(500))
        }
        guard let built = Self.build(HTTPResponse(status: response.status, headers: response.headers, body: .bytes(bytes))) else {
            return queue(connection, .empty(500))
        }
        return reusable.withLock { cache in
            let result = MHD_queue_response(connection, UInt32(response.status), built)
            if !cache.insert(key, ResponseHandle(pointer: built), identity: FileIdentity(opened), bytes: size) {
                MHD_destroy_response(built)
            }
            return result
        }
    }

    private func queueOpenFailure(_ connection: OpaquePointer, errno e: Int32) -> MHD_Result {
        queue(connection, e == EMFILE || e == ENFILE || e == ENOMEM ? .text(503, "service unavailable") : .empty(500))
    }

    /// Drops every kept response (at `stop()`, once no connection can use them).
    func dropReusableResponses() {
        reusable.withLock { $0.removeAll() }
    }

    private static func addHeaders(_ headers: [(name: String, value: String)], to built: OpaquePointer) -> Bool {
        for (name, value) in headers {
            if httpASCIICaseInsensitiveEqual(name, "Content-Length")
                || httpASCIICaseInsensitiveEqual(name, "Transfer-Encoding") { continue }
            guard MHD_add_response_header(built, name, value) == .YES else { return false }
        }
        return true
    }

    private static func build(_ response: HTTPResponse) -> OpaquePointer? {
        guard (100...599).contains(response.status) else { return nil }
        let built: OpaquePointer?
        switch response.body {
        case .immutableFile:
            return nil  // queued by `queueImmutableFile`
        case .bytes(let bytes):
            built = bytes.withUnsafeBytes {
                MHD_create_response_from_buffer($0.count, UnsafeMutableRawPointer(mutating: $0.baseAddress),
                                                .RESPMEM_MUST_COPY)
            }
        case .file(let file):
            guard let fd = file.takeDescriptor() else { return nil }
            built = MHD_create_response_from_fd_at_offset64(file.length, fd, file.offset)
            if built == nil { close(fd) }
        }
        guard let built else { return nil }
        guard addHeaders(response.headers, to: built) else {
            MHD_destroy_response(built)
            return nil
        }
        return built
    }
}

/// One request's state, created by the URI log callback and released (exactly once) by the
/// request-completed callback. Only the connection's worker thread touches `state`; while
/// the connection is suspended, a pool thread finishes the sink and leaves the response in
/// `finished`.
private final class RequestContext {
    enum State {
        case new
        case reading(any HTTPBodySink, limit: Int, received: Int)
        case discarding(HTTPResponse, limit: Int, received: Int)
        /// The connection is suspended while a pool thread finishes the sink.
        case suspended
        case done
    }

    let target: String
    var state: State = .new
    let finished = Locked<HTTPResponse?>(nil)

    init(target: String) { self.target = target }

    /// The exchange is over. A body still being read is aborted.
    func terminate(completedOK: Bool) {
        if case .reading(let sink, _, _) = state { sink.abort() }
        state = .done
    }
}

/// A built libmicrohttpd response, owned by the server's `ResponseCache`.
private struct ResponseHandle: @unchecked Sendable {
    // @unchecked: only used under the cache's mutex; libmicrohttpd locks the response
    // itself when a connection queues or releases it.
    let pointer: OpaquePointer
}

/// What a pool thread needs to finish an upload: the connection stays suspended, so its
/// polling thread does not touch the request or the sink until `MHD_resume_connection`.
private struct SuspendedUpload: @unchecked Sendable {
    // @unchecked: handed from the polling thread to one pool thread and used there only,
    // while libmicrohttpd leaves the suspended connection alone.
    let connection: OpaquePointer
    let request: RequestContext
    let sink: any HTTPBodySink
}
