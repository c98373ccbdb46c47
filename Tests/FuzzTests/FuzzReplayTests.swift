import Foundation
import FuzzTargets
import Testing
import TestSupport

/// Replays every committed seed (`fuzz/corpus/<target>/`) and every input that once made
/// a target crash (`fuzz/regressions/<target>/`) through its fuzz target. A target traps on
/// a violated property, so a regression that comes back fails (crashes) this test.
@Suite("fuzz corpus and regressions replay")
struct FuzzReplayTests {
    static let fuzzRoot = Vectors.packageRoot.appendingPathComponent("fuzz")

    static func files(_ folder: String, _ target: String) -> [URL] {
        let dir = fuzzRoot.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test("every target has seeds, and every folder names a target")
    func layout() throws {
        for target in FuzzTarget.all {
            #expect(!Self.files("corpus", target.name).isEmpty, "fuzz/corpus/\(target.name) is empty")
        }
        let names = Set(FuzzTarget.all.map(\.name))
        #expect(names.count == FuzzTarget.all.count, "two targets share a name")
        for folder in ["corpus", "regressions"] {
            let dirs = (try? FileManager.default.contentsOfDirectory(atPath: Self.fuzzRoot.appendingPathComponent(folder).path)) ?? []
            for d in dirs where !d.hasPrefix(".") {
                #expect(names.contains(d), "fuzz/\(folder)/\(d) is not a fuzz target")
            }
        }
    }

    @Test("replay", arguments: FuzzTarget.all.map(\.name))
    func replay(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        for file in Self.files("corpus", name) + Self.files("regressions", name) {
            let bytes = [UInt8](try Data(contentsOf: file))
            // Inputs longer than -max_len are what libFuzzer would cut; replay them whole anyway.
            target.run(bytes)
        }
    }
}
