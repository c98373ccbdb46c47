import Foundation

extension AssistanceMetadata {
    /// Reads a metadata document strictly (docs/FORMATS.md §8.7): it must be the canonical
    /// JSON of the metadata it holds, byte for byte.
    public init(canonicalJSON bytes: [UInt8]) throws {
        func bad(_ why: String) -> AssistanceMetadataError { AssistanceMetadataError(reason: why) }
        guard bytes.count <= 65_536, let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        func string(_ key: String) throws -> String {
            guard let s = object[key] as? String else { throw bad("\(key) is not a string") }
            return s
        }
        func strings(_ key: String) throws -> [String]? {
            if object[key] is NSNull { return nil }
            guard let a = object[key] as? [String] else { throw bad("\(key) is not a list of strings") }
            return a
        }
        guard let direction = AssistanceDirection(rawValue: try string("direction")) else { throw bad("unknown direction") }
        guard let kinds = try strings("kinds") else { throw bad("kinds is null") }
        guard let provisions = try strings("provisions") else { throw bad("provisions is null") }
        let expires: CivilDate? = object["expires"] is NSNull ? nil : try CivilDate(parsing: try string("expires"))
        guard let withdrawn = object["withdrawn"] as? Bool else { throw bad("withdrawn is not a boolean") }
        try self.init(
            id: try string("id"), direction: direction, party: try PartyCode(try string("party")),
            kinds: try kinds.map { k in
                guard let kind = AssistanceKind(rawValue: k) else { throw bad("unknown kind \"\(k.prefix(40))\"") }
                return kind
            },
            provisions: try provisions.map(TreatyProvision.init(parsing:)), posted: try CivilDate(parsing: try string("posted")),
            expires: expires, withdrawn: withdrawn, openTo: try strings("open_to")?.map(PartyCode.init))
        guard canonicalJSON == bytes else { throw bad("not in canonical form (docs/FORMATS.md §8.7)") }
    }
}

/// Why a metadata document was refused: one phrase, e.g. "not in canonical form (…)".
public struct AssistanceMetadataError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
