import Crypto
import Testing
import TestSupport

/// The CCTV age vectors in ../shared/vectors/age, one test case per vector.
@Suite("age test vectors (C2SP CCTV)")
struct AgeVectorTests {
    static let all = AgeVector.all()
    static let classical = all.filter { !((try? AgeVector.load($0))?.isPostQuantum ?? false) }
    static let postQuantum = all.filter { (try? AgeVector.load($0))?.isPostQuantum ?? false }

    @Test("the vector set is complete: 143 files, 124 classical, 19 post-quantum")
    func inventory() {
        #expect(Self.all.count == 143)
        #expect(Self.classical.count == 124)
        #expect(Self.postQuantum.count == 19)
    }

    /// Runs a vector; returns the error class and the output.
    static func run(_ v: AgeVector, chunksPerBatch: Int) -> (String, [UInt8]) {
        var identities: [AgeIdentity] = []
        for id in v.identities { if let i = try? AgeX25519Identity(parsing: id) { identities.append(i) } }
        for p in v.passphrases { identities.append(AgeScryptIdentity { SecureBytes(copying: Array(p.utf8)) }) }
        let sink = MemorySink()
        do {
            try Age.decrypt(from: MemorySource(v.file), to: sink, identities: identities, armored: v.armored,
                            chunksPerBatch: chunksPerBatch)
            return ("success", sink.bytes)
        } catch let e as AgeError {
            switch e {
            case .header: return ("header failure", sink.bytes)
            case .headerMAC: return ("HMAC failure", sink.bytes)
            case .noMatchingIdentity: return ("no match", sink.bytes)
            case .payload: return ("payload failure", sink.bytes)
            case .armor: return ("armor failure", sink.bytes)
            case let .usage(u): return ("usage: \(u)", sink.bytes)
            }
        } catch {
            return ("unexpected \(error)", sink.bytes)
        }
    }

    @Test("classical vector", arguments: classical)
    func vector(_ name: String) throws {
        let v = try AgeVector.load(name)
        // Chunk by chunk, output is exactly the authenticated prefix the vector names.
        let (result, output) = Self.run(v, chunksPerBatch: 1)
        #expect(result == v.expect, "\(name): \(v.comment ?? "")")
        if let want = v.payloadSHA256 {
            #expect(hex(SHA256.hash(output)) == want, "\(name): payload hash")
        } else {
            #expect(output.count == 0, "\(name): no output expected")
        }
        // Batched (the default): the same verdict and the same authenticated output.
        let (batchedResult, batchedOutput) = Self.run(v, chunksPerBatch: STREAM.defaultBatch)
        #expect(batchedResult == v.expect)
        #expect(hex(SHA256.hash(batchedOutput)) == hex(SHA256.hash(output)))
    }

    @Test("post-quantum vector", .disabled("ML-KEM-768 hybrid recipients (age1pq…) need ML-KEM, which libsodium 1.0.18 lacks"),
          arguments: postQuantum)
    func postQuantumVector(_ name: String) {}
}
