/// One libFuzzer target: a parser that meets outside bytes, and a property that must hold
/// for every input it accepts. `run` never throws and never traps on bad input; it traps
/// (`fatalError`) only when a property is violated, which is a bug for libFuzzer to report.
public struct FuzzTarget: Sendable {
    /// The target's name: `make fuzz` runs it, `fuzz/corpus/<name>/` seeds it and
    /// `fuzz/regressions/<name>/` holds the inputs that once crashed it.
    public let name: String
    /// libFuzzer's `-max_len` for this target (bytes).
    public let maxLength: Int
    /// What the target parses.
    public let summary: String
    public let run: @Sendable ([UInt8]) -> Void

    public init(name: String, maxLength: Int, summary: String, run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name; self.maxLength = maxLength; self.summary = summary; self.run = run
    }

    /// Every target, in the order `make fuzz` runs them.
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "age-header", maxLength: 4096, summary: "age v1 header (AgeHeader.parse, Age.decryptHeader)",
                   run: CryptoTargets.ageHeader),
        FuzzTarget(name: "age-armor", maxLength: 8192, summary: "age ASCII armor (ArmorDecoder)",
                   run: CryptoTargets.ageArmor),
        FuzzTarget(name: "stream", maxLength: 140_000, summary: "STREAM payload decryption with a fixed file key",
                   run: CryptoTargets.stream),
        FuzzTarget(name: "minisign-pubkey", maxLength: 2048, summary: "minisign public key file",
                   run: CryptoTargets.minisignPublicKey),
        FuzzTarget(name: "minisign-seckey", maxLength: 2048, summary: "minisign secret key file (never decrypted)",
                   run: CryptoTargets.minisignSecretKey),
        FuzzTarget(name: "minisign-sig", maxLength: 12_288, summary: "minisign signature file",
                   run: CryptoTargets.minisignSignature),
        FuzzTarget(name: "manifest", maxLength: 12_288, summary: "envelope manifest line, outer comment, manifest.txt",
                   run: VaultTargets.manifest),
        FuzzTarget(name: "ustar", maxLength: 24_576, summary: "envelope ustar container (UstarContainerReader)",
                   run: VaultTargets.ustar),
        FuzzTarget(name: "signed-note", maxLength: 8192, summary: "C2SP signed note",
                   run: CryptoTargets.signedNote),
        FuzzTarget(name: "checkpoint", maxLength: 4096, summary: "tlog checkpoint text and signed checkpoint",
                   run: CryptoTargets.checkpoint),
        FuzzTarget(name: "tlog-proof", maxLength: 8192, summary: "c2sp.org/tlog-proof receipt",
                   run: CryptoTargets.tlogProof),
        FuzzTarget(name: "statement", maxLength: 17_000, summary: "directory statement",
                   run: VaultTargets.statement),
        FuzzTarget(name: "contacts", maxLength: 16_384, summary: "contacts document",
                   run: VaultTargets.contacts),
        FuzzTarget(name: "request-auth", maxLength: 1024, summary: "Authorization: ATT-Ed25519 header value",
                   run: RelayTargets.requestAuth),
        FuzzTarget(name: "router", maxLength: 4096, summary: "Router.route(method:target:)",
                   run: RelayTargets.router),
        FuzzTarget(name: "report-csv", maxLength: 65_536, summary: "structured report, CSV (ReportValidation.read)",
                   run: WorkflowTargets.reportCSV),
        FuzzTarget(name: "report-json", maxLength: 65_536, summary: "structured report, JSON (ReportValidation.read)",
                   run: WorkflowTargets.reportJSON),
        FuzzTarget(name: "message", maxLength: 8192, summary: "message payload header (MessageHeader.parse)",
                   run: WorkflowTargets.message),
        FuzzTarget(name: "assistance", maxLength: 16_384, summary: "assistance metadata (canonical JSON) and sealed details",
                   run: WorkflowTargets.assistance),
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Stops the process with the target's name and the property that failed.
func violated(_ target: String, _ property: String) -> Never {
    fatalError("fuzz target \(target): \(property)")
}

/// Traps unless `condition` holds.
func require(_ condition: @autoclosure () -> Bool, _ target: String, _ property: @autoclosure () -> String) {
    if !condition() { violated(target, property()) }
}

/// A small deterministic hash of the input, to derive parameters (buffer sizes, split
/// points) that must not change a parser's verdict.
func mix(_ data: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

/// Outcome of a parse, for comparing two runs of the same input.
enum Outcome<T: Equatable>: Equatable {
    case value(T)
    case failure(String)

    init(_ body: () throws -> T) {
        do { self = .value(try body()) } catch { self = .failure(String(describing: error)) }
    }

    var value: T? { if case let .value(v) = self { return v }; return nil }
}

/// Splits text into LF-terminated lines (a CR before the LF stays in the line).
func lines(_ data: [UInt8]) -> [ArraySlice<UInt8>] {
    var out = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    if out.last?.isEmpty == true { out.removeLast() }
    return out
}
