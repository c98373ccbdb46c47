/// Every error the relay answers with (docs/FORMATS.md §7.5). Each case carries its HTTP
/// status, a short public message and the headers that go with it. Messages are fixed
/// texts: they never echo request bytes, and never tell a caller that a restricted
/// envelope exists (a non-reader gets `notFound`, exactly as for an id that was never
/// used). Anything thrown that is not an `HTTPError` is answered as a bare 500
/// (`HTTPErrorResponse(for:)`), its details kept for the log.
public enum HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 400: the request is malformed (path syntax, query parameters, headers, body framing).
    case badRequest(BadRequest)
    /// 401: authentication is required and missing, or present and not valid. The reason is
    /// public: everything it depends on (the directory, the clock) is public too.
    case unauthenticated(AuthFailure)
    /// 403: authenticated, but this caller may not do this. Only where the resource's
    /// existence is public anyway (points of contact, uploading as another party).
    case forbidden(Forbidden)
    /// 404: no such resource, or one the caller may not know exists.
    case notFound
    /// 405: the path exists but not with this method. `allow` is sent as the `Allow` header.
    case methodNotAllowed(allow: [String])
    /// 409: the request conflicts with what the relay holds.
    case conflict(Conflict)
    /// 413: the body is longer than the route's limit (`limit` bytes).
    case payloadTooLarge(limit: Int)
    /// 414: the request target is longer than `Router.maxTargetLength`.
    case uriTooLong
    /// 422: well-formed, but refused on its content (envelope or statement checks).
    case unprocessable(Unprocessable)
    /// 429: this client sends too much; retry after the given seconds.
    case tooManyRequests(retryAfter: Int)
    /// 503: the relay cannot take the request now (shutting down, nonce cache full, store
    /// unavailable); retry after the given seconds if any.
    case unavailable(retryAfter: Int?)
    /// 501: the route exists but this relay does not serve it yet.
    case notImplemented

    public enum BadRequest: String, Equatable, Sendable, CaseIterable {
        case malformedTarget = "the request target is not an absolute path"
        case invalidPathCharacter = "the path contains a character that is not allowed"
        case percentEncoding = "percent-encoding is not used in the relay's URLs"
        case emptySegment = "the path contains an empty segment (//)"
        case dotSegment = "the path contains a . or .. segment"
        case malformedSegment = "a path parameter is malformed"
        case malformedQuery = "the query string is malformed"
        case unknownParameter = "unknown query parameter"
        case repeatedParameter = "a query parameter is given twice"
        case missingParameter = "a required query parameter is missing"
        case invalidParameter = "a query parameter has an invalid value"
        case unexpectedQuery = "this endpoint takes no query parameters"
        case invalidMethod = "the method is not a valid token"
        case malformedHeaders = "the request headers are malformed"
        case conflictingLength = "Content-Length and Transfer-Encoding given together"
        case malformedBody = "the request body is malformed"
        case truncatedBody = "the request body ended early"
    }

    public enum AuthFailure: String, Equatable, Sendable, CaseIterable {
        case missing = "this request must be signed (Authorization: ATT-Ed25519)"
        case multipleHeaders = "more than one Authorization header"
        case malformed = "the Authorization header is malformed"
        case unsupportedScheme = "the authorization scheme is not ATT-Ed25519"
        case staleTime = "the request time is outside the accepted window"
        case unknownParty = "the party is not in the directory"
        case unknownKey = "the key is not a key of the party"
        case keyRevoked = "the key is revoked"
        case keyExpired = "the key has expired"
        case keyNotYetValid = "the key is not yet valid"
        case badSignature = "the request signature does not verify"
        case replayedNonce = "the nonce was already used"
    }

    public enum Forbidden: String, Equatable, Sendable, CaseIterable {
        case contactsRestricted = "points of contact are for States Parties and the Secretariat"
        case notTheSender = "an envelope may only be uploaded by its sender"
        case notYourContacts = "a contacts document may only be uploaded by its party or the Secretariat"
    }

    public enum Conflict: String, Equatable, Sendable, CaseIterable {
        case ciphertextHeldForAnotherSender = "this ciphertext is already held under another sender"
        case idInUse = "an envelope with this id is already held"
        case supersededMismatch = "the superseded envelope is not the same sender's same report"
    }

    public enum Unprocessable: String, Equatable, Sendable, CaseIterable {
        case outerSignatureInvalid = "the outer signature does not verify with the sender's directory key"
        case unknownSigner = "the envelope is signed by a key the directory does not know"
        case signerMismatch = "the envelope's signer is not the key named in its manifest"
        case signingKeyNotValid = "the signing key was not valid at the manifest time"
        case malformedManifest = "the outer trusted comment is not a manifest"
        case sealedSizeMismatch = "the sealed file's size is not the one signed"
        case malformedEnvelope = "the upload is not an outer signature followed by a sealed file"
        case statementRejected = "the directory statement is rejected by replay"
        case contactsMismatch = "the contacts document does not match the directory's contacts-sha256"
        case publicEnvelopeDoesNotOpen = "a public envelope must open: its container or inner signature is not valid"
    }

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .unauthenticated: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .conflict: return 409
        case .payloadTooLarge: return 413
        case .uriTooLong: return 414
        case .unprocessable: return 422
        case .tooManyRequests: return 429
        case .unavailable: return 503
        case .notImplemented: return 501
        }
    }

    /// The standard reason phrase of `status`.
    public var reasonPhrase: String { HTTPErrorResponse.reasonPhrase(status) }

    /// One short line of ASCII, safe to show anyone.
    public var publicMessage: String {
        switch self {
        case let .badRequest(r): return "bad request: \(r.rawValue)"
        case let .unauthenticated(r): return "unauthenticated: \(r.rawValue)"
        case let .forbidden(r): return "forbidden: \(r.rawValue)"
        case .notFound: return "not found"
        case let .methodNotAllowed(allow): return "method not allowed (allowed: \(allow.joined(separator: ", ")))"
        case let .conflict(r): return "conflict: \(r.rawValue)"
        case let .payloadTooLarge(limit): return "request body too large (limit \(limit) bytes)"
        case .uriTooLong: return "request target too long"
        case let .unprocessable(r): return "refused: \(r.rawValue)"
        case .tooManyRequests: return "too many requests"
        case .unavailable: return "service unavailable"
        case .notImplemented: return "not implemented"
        }
    }

    /// Headers that go with the status, besides the body's own.
    public var headers: [(name: String, value: String)] {
        switch self {
        case .unauthenticated: return [("WWW-Authenticate", RequestAuth.scheme)]
        case let .methodNotAllowed(allow): return [("Allow", allow.joined(separator: ", "))]
        case let .tooManyRequests(s): return [("Retry-After", String(max(0, s)))]
        case let .unavailable(s?): return [("Retry-After", String(max(0, s)))]
        default: return []
        }
    }

    public var description: String { "\(status) \(publicMessage)" }
}

/// The server's error protocol (HTTPTypes.swift) asks for exactly these three members.
extension HTTPError: HTTPStatusError {}

/// What the relay sends for an error: status, headers and a one-line `text/plain` body
/// (the public message and LF). Errors other than `HTTPError` become a bare 500 with an
/// empty body.
public struct HTTPErrorResponse: Equatable, Sendable {
    public let status: Int
    public let headers: [Header]
    public let body: [UInt8]

    public struct Header: Equatable, Sendable {
        public let name: String, value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public static let contentType = "text/plain; charset=utf-8"

    public init(for error: any Error) {
        let message: String
        var headers: [Header] = []
        if let e = error as? HTTPError {
            status = e.status
            message = e.publicMessage
            headers = e.headers.map { Header(name: $0.name, value: $0.value) }
        } else {
            status = 500
            message = ""
        }
        headers.append(Header(name: "Content-Type", value: HTTPErrorResponse.contentType))
        headers.append(Header(name: "Cache-Control", value: "no-store"))
        self.headers = headers
        body = message.isEmpty ? [] : Array((message + "\n").utf8)
    }

    /// RFC 9110 reason phrases for the statuses the relay sends.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
