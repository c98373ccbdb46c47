import Foundation

/// Locates `../shared/vectors` (relative to the package root) and reads the age vectors.
public enum Vectors {
    /// The package root, found from this source file's path.
    public static let packageRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["ATT_VECTORS"] { return URL(fileURLWithPath: env) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    public static func data(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relative)))
    }

    public static func names(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []).sorted()
    }
}

/// One CCTV age test vector: `key: value` lines, a blank line, then the age file.
public struct AgeVector: Sendable {
    public let name: String
    public let expect: String
    public let payloadSHA256: String?
    public let fileKey: [UInt8]?
    public let identities: [String]
    public let passphrases: [String]
    public let armored: Bool
    public let comment: String?
    public let file: [UInt8]

    /// Vectors that use post-quantum (ML-KEM) recipients, which libsodium 1.0.18 lacks.
    public var isPostQuantum: Bool { name.hasPrefix("hybrid") || name.contains("_hybrid") }

    public static func load(_ name: String) throws -> AgeVector {
        let raw = try Vectors.data("age/\(name)")
        guard let split = raw.firstRange(of: [0x0A, 0x0A]) else { throw VectorError.malformed(name) }
        let headerText = String(decoding: raw[..<split.lowerBound], as: UTF8.self)
        var body = Array(raw[split.upperBound...])
        var fields: [String: [String]] = [:]
        for line in headerText.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { throw VectorError.malformed(name) }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[key, default: []].append(value)
        }
        if fields["compressed"]?.first == "zlib" { body = try Zlib.inflate(body) }
        return AgeVector(
            name: name, expect: fields["expect"]?.first ?? "",
            payloadSHA256: fields["payload"]?.first,
            fileKey: fields["file key"]?.first.map(hexBytes),
            identities: fields["identity"] ?? [], passphrases: fields["passphrase"] ?? [],
            armored: fields["armored"]?.first == "yes", comment: fields["comment"]?.first, file: body)
    }

    public static func all() -> [String] { Vectors.names(in: "age") }
}


public enum VectorError: Error { case malformed(String) }

public func hexBytes(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var it = s.utf8.makeIterator()
    while let h = it.next(), let l = it.next() {
        out.append(UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)!)
    }
    return out
}

public func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
