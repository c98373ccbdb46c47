import Crypto
import Foundation
import Relay
import Vault

/// `att-logbench requests RELAY_NAME HOME DIRECTORY COUNT SIZE OUT`: COUNT distinct envelopes
/// of a SIZE-byte report, sealed by FRA for NGA with the example keys, each with a signed
/// `POST /v1/envelopes` Authorization header for relay RELAY_NAME, written to OUT for
/// scripts/wrk-post.lua: per request, the header value and LF, the body length in decimal
/// and LF, then the body. Signed now, so they must be sent within the relay's time window.
enum RequestGenerator {
    static func run(relayName: String, home: URL, directory: URL, count: Int, size: Int, out: String) throws {
        let state = try LocalDirectory(url: directory).state()
        let fra = try PartyCode("FRA"), nga = try PartyCode("NGA")
        let key = try Keystore(home: home).signingKey(party: fra, label: "example-1") {
            throw RequestGeneratorError("the example keys have no passphrase")
        }
        let now = UTCTime(seconds: Int64(Date().timeIntervalSince1970))
        let recipients = try Disclosure.resolve(directory: state, sender: fra, level: .selected, selected: [nga], at: now)
        let sink = try AtomicFileSink(path: out)
        for i in 0..<count {
            var report = [UInt8](repeating: 0, count: size)
            let tag = Array("request \(i)\n".utf8)
            report.replaceSubrange(0..<tag.count, with: tag)
            let sealed = MemorySink()
            let envelope = try Envelope.seal(report: MemorySource(report), reportSize: UInt64(size), fileName: "bench.bin",
                                             sender: fra, signingKey: key, type: .annual, year: 2025, level: .selected,
                                             recipients: recipients, supersedes: nil, time: now, directory: state, to: sealed)
            let body = Array(envelope.outerSignature.encodeFile().utf8) + sealed.bytes
            let auth = try RequestAuth.sign(relay: relayName, method: "POST", target: "/v1/envelopes", bodySHA256: SHA256.hash(body),
                                            party: fra, key: key, time: Int64(Date().timeIntervalSince1970))
            try sink.write(Array("\(auth)\n\(body.count)\n".utf8) + body)
        }
        try sink.commit()
    }
}

struct RequestGeneratorError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
