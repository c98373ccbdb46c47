import Crypto
import Foundation
import Relay
import Testing
import TestSupport
import Vault

/// Points of contact on a real relay (docs/FORMATS.md §7.3, §7.4): who may read, who may
/// upload, and that only the document the directory commits to is taken and served.
@Suite("Contacts, live", .serialized)
struct ContactsLiveTests {
    typealias Live = RelayEnvelopesLiveTests

    static func document(_ party: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Vectors.packageRoot.appendingPathComponent("keys-example/contacts/\(party).txt")))
    }

    static func put(_ relay: Live.RelayProcess, _ world: Live.World, _ party: String, body: [UInt8], as caller: String?) async throws -> Live.Reply {
        let target = "/v1/contacts/\(party)"
        let auth = try Live.authorization(world, party: caller, method: "PUT", target: target, body: body)
        return try await Live.request(relay, target, method: "PUT", body: body, authorization: auth, scratch: world.scratch)
    }

    @Test("readers are States Parties and the Secretariat; a party (or the Secretariat) uploads its own committed document")
    func contacts() async throws {
        let world = try Live.World()
        defer { try? FileManager.default.removeItem(at: world.scratch) }
        let data = world.scratch.appendingPathComponent("data")
        var relay = try await Live.RelayProcess(data: data, directory: world.directory, scratch: world.scratch)

        let fra = try Self.document("FRA"), nga = try Self.document("NGA")
        // Nothing held yet: the list is empty and a document is 404.
        #expect(try await Live.get(relay, world, "/v1/contacts", as: "NGA").text == "")
        #expect(try await Live.get(relay, world, "/v1/contacts/FRA", as: "NGA").status == 404)

        // Uploads: unsigned 401; another State 403; a signatory or an auditor 403; a
        // document that is not the committed one 422; the party itself, or the Secretariat, 204.
        #expect(try await Self.put(relay, world, "FRA", body: fra, as: nil).status == 401)
        #expect(try await Self.put(relay, world, "FRA", body: fra, as: "NGA").status == 403)
        #expect(try await Self.put(relay, world, "FRA", body: fra, as: "SGP").status == 403)
        #expect(try await Self.put(relay, world, "FRA", body: fra, as: "XAU").status == 403)
        var altered = fra
        altered[altered.count / 2] ^= 0x20
        let mismatch = try await Self.put(relay, world, "FRA", body: altered, as: "FRA")
        #expect(mismatch.status == 422)
        #expect(mismatch.text.contains("contacts-sha256"))
        #expect(try await Self.put(relay, world, "FRA", body: nga, as: "FRA").status == 422)
        #expect(try await Self.put(relay, world, "FRA", body: fra, as: "FRA").status == 204)
        #expect(try await Self.put(relay, world, "NGA", body: nga, as: "SEC").status == 204)
        let tooLarge = try await Self.put(relay, world, "FRA", body: [UInt8](repeating: 0x41, count: ContactsStore.maxSize + 1), as: "FRA")
        #expect(tooLarge.status == 413)

        // Reading: the matrix of callers.
        let fraHash = hexString(SHA256.hash(fra)), ngaHash = hexString(SHA256.hash(nga))
        for caller in ["FRA", "NGA", "ARG", "JPN", "SEC"] {
            let list = try await Live.get(relay, world, "/v1/contacts", as: caller)
            #expect(list.status == 200, "\(caller)")
            #expect(list.text == "FRA \(fraHash)\nNGA \(ngaHash)\n", "\(caller)")
            #expect(list.headers.contains("Cache-Control: private, no-store"))
            let doc = try await Live.get(relay, world, "/v1/contacts/FRA", as: caller)
            #expect(doc.status == 200 && doc.body == fra, "\(caller)")
        }
        for caller in ["SGP", "XAU"] {
            #expect(try await Live.get(relay, world, "/v1/contacts", as: caller).status == 403, "\(caller)")
            #expect(try await Live.get(relay, world, "/v1/contacts/FRA", as: caller).status == 403, "\(caller)")
        }
        #expect(try await Live.get(relay, world, "/v1/contacts", as: nil).status == 401)
        #expect(try await Live.get(relay, world, "/v1/contacts/FRA", as: nil).status == 401)
        #expect(try await Live.get(relay, world, "/v1/contacts/ARG", as: "FRA").status == 404, "none uploaded")

        // Held as 0600 files; a restart keeps them.
        let path = data.appendingPathComponent("contacts/FRA.txt").path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0)
        _ = try await relay.stop()
        relay = try await Live.RelayProcess(data: data, directory: world.directory, scratch: world.scratch)
        #expect(try await Live.get(relay, world, "/v1/contacts/FRA", as: "SEC").body == fra)
    }
}
