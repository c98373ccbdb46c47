import Crypto
import Relay
import Vault

/// Targets for the relay's request parsing: the Authorization header and the router.
enum RelayTargets {
    static func requestAuth(_ data: [UInt8]) {
        let name = "request-auth"
        let header = String(decoding: data, as: UTF8.self)
        guard let c = try? RequestAuth.Credentials(parsing: header) else { return }
        let value = c.headerValue
        require((try? RequestAuth.Credentials(parsing: value)) == c, name, "a printed header does not parse back")
        // The scheme is case-insensitive; everything after it is written one way only.
        let scheme = RequestAuth.scheme.utf8.count
        require(Array(header.utf8).dropFirst(scheme).elementsEqual(Array(value.utf8).dropFirst(scheme)), name,
                "an accepted header is not the canonical form after its scheme")
        require(c.nonce.count == RequestAuth.nonceLength && c.signature.count == 64 && c.time >= 0, name,
                "accepted credentials with a bad nonce, signature or time")
    }

    /// Input: the method, a LF, then the request target.
    static func router(_ data: [UInt8]) {
        let name = "router"
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let method = String(parts[0])
        let target = parts.count > 1 ? String(parts[1]) : "/"
        let routed = Outcome { try Router.route(method: method, target: target) }
        // Splitting at the first "?" by hand gives the same answer.
        let bytes = Array(target.utf8)
        let split: Outcome<Route>
        if let q = bytes.firstIndex(of: 0x3F) {
            split = Outcome {
                try Router.route(method: method, path: String(decoding: bytes[..<q], as: UTF8.self),
                                 query: String(decoding: bytes[(q + 1)...], as: UTF8.self))
            }
        } else {
            split = Outcome { try Router.route(method: method, path: target, query: nil) }
        }
        require(routed == split, name, "route(method:target:) and route(method:path:query:) disagree: \(routed) vs \(split)")
        guard let route = routed.value else { return }
        require(!target.utf8.contains(0x25), name, "a target with % was routed")
        require(target.utf8.count <= Router.maxTargetLength, name, "an over-long target was routed")
        require(["GET", "HEAD", "POST", "PUT"].contains(method), name, "method \(method) was routed")
        // HEAD routes as GET; a route with a body is POST or PUT, and only those.
        if method == "HEAD" {
            let get = Outcome { try Router.route(method: "GET", target: target) }
            require(get == routed, name, "HEAD and GET route differently")
        }
        require((route.maxBodySize() > 0) == (method == "POST" || method == "PUT"), name,
                "\(method) routed to \(route), whose body limit is \(route.maxBodySize())")
        switch route {
        case let .tile(_, level, _, width): require((0...63).contains(level) && (1...256).contains(width), name, "tile \(level) \(width)")
        case let .entryBundle(_, _, width): require((1...256).contains(width), name, "entry bundle width \(width)")
        case let .consistencyProof(_, old, new): require(old >= 1 && old <= new, name, "consistency \(old) \(new)")
        case let .inclusionProof(_, .index(index, size)): require(index < size, name, "inclusion \(index) \(size)")
        case let .envelope(id), let .envelopeSignature(id), let .envelopeReceipt(id):
            require(Manifest.isValidID(id), name, "envelope id \(id)")
        case let .statements(_, limit): require((1...1000).contains(limit), name, "statements limit \(limit)")
        case let .listEnvelopes(f): require((1...EnvelopeFilter.maxLimit).contains(f.limit), name, "envelope list limit \(f.limit)")
        default: break
        }
    }
}
