import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

/// Uploads a relay must refuse even though their outer signature verifies (docs/FORMATS.md §7.3).
@Suite("Relay refusals, live", .serialized)
struct RelayRefusalsLiveTests {
    typealias Live = RelayEnvelopesLiveTests

    @Test("a public envelope that does not open in full is 422 and nothing is stored; superseding another sender's envelope is 409")
    func refusals() async throws {
        let world = try Live.World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        let relay = try await Live.RelayProcess(data: data, directory: world.directory, scratch: world.scratch)

        // FRA's public envelope with one byte of the report changed, and the outer signature
        // made again over the changed file (same manifest, same size): the outer signature
        // verifies, the inner one does not.
        let good = try await world.seal("public.att", ["--level", "public"])
        var bytes = good.sealed
        bytes[2048] ^= 0x01
        let comment = try MinisignSignature(parsing: good.signature).trustedComment
        let resigned = try MinisignSignature.sign(MemorySource(bytes), with: try world.key("FRA"), trustedComment: comment)
        let broken = Live.Sealed(sealed: bytes, signature: Array(resigned.encodeFile().utf8), id: good.id)
        let refused = try await Live.upload(relay, world, broken, as: "FRA")
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.text.contains("a public envelope must open"))
        #expect(try await Live.get(relay, world, "/v1/envelopes/\(good.id)", as: nil).status == 404)
        let stored = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("envelopes").path)
        #expect(stored.filter { $0.hasSuffix(".sealed") }.isEmpty)
        // The sound one is taken.
        #expect(try await Live.upload(relay, world, good, as: "FRA").status == 201)

        // NGA names FRA's envelope as the one it supersedes: 409, whatever its own content.
        let hijack = try await world.seal("hijack.att", party: "NGA", ["--level", "public", "--supersedes", good.id])
        let conflict = try await Live.upload(relay, world, hijack, as: "NGA")
        #expect(conflict.status == 409, "\(conflict.text)")
        #expect(conflict.text.contains("superseded envelope is not the same sender's same report"))
        // So is FRA superseding its own report with another year's.
        let otherYear = try await world.seal("other-year.att", year: "2024", ["--level", "public", "--supersedes", good.id])
        #expect(try await Live.upload(relay, world, otherYear, as: "FRA").status == 409)
    }
}
