import Crypto
import Vault

/// Targets for the ATT workflow formats (docs/FORMATS.md §8, §9): structured reports in CSV
/// and JSON, message payload headers, assistance metadata and sealed details.
enum WorkflowTargets {
    /// A report read as CSV: if it is accepted, its canonical JSON reads back to the same
    /// report, and so does the CSV written from it.
    static func reportCSV(_ data: [UInt8]) {
        let name = "report-csv"
        guard let report = ReportValidation.read(data, format: .csv).report else { return }
        roundTrips(report, name)
    }

    /// A report read as JSON: if it is accepted, it reads back from its canonical JSON, and
    /// canonical JSON is a fixed point.
    static func reportJSON(_ data: [UInt8]) {
        let name = "report-json"
        guard let report = ReportValidation.read(data, format: .json).report else { return }
        roundTrips(report, name)
    }

    static func roundTrips(_ report: ParsedReport, _ name: String) {
        let canonical = report.canonicalJSON
        let again = ReportValidation.read(canonical, format: .json)
        require(again.report == report, name, "the canonical JSON does not read back to the report: \(again.issues.prefix(3))")
        require(again.report?.canonicalJSON == canonical, name, "canonical JSON is not a fixed point")
        let csv: [UInt8]
        switch report {
        case .annual(let a): csv = ReportCSV.write(a)
        case .initial(let i): csv = ReportCSV.write(i)
        }
        let fromCSV = ReportValidation.read(csv, format: .csv)
        require(fromCSV.report == report, name, "the CSV written from the report does not read back: \(fromCSV.issues.prefix(3))")
    }

    /// A message payload: an accepted header prints as the bytes it was read from, and names
    /// a file that is a single safe path component.
    static func message(_ data: [UInt8]) {
        let name = "message"
        guard let (header, attachment) = try? MessageHeader.parse(payload: data) else { return }
        require(Array(data.prefix(data.count - attachment.count)) == header.encoded, name, "an accepted header does not print as itself")
        require(MessageHeader.isValidFileName(header.fileName), name, "an accepted file name is not a safe name")
        require(!header.fileName.contains("/") && header.fileName != ".." && header.fileName != ".", name, "a file name leaves its folder")
    }

    /// Assistance: the public metadata (canonical JSON) and the sealed details payload both
    /// print as the bytes they were read from.
    static func assistance(_ data: [UInt8]) {
        let name = "assistance"
        if let d = try? AssistanceDetailsPayload(parsing: data) {
            require(d.encoded == data, name, "accepted details do not print as themselves")
        }
        if let m = try? AssistanceMetadata(canonicalJSON: data) {
            require(m.canonicalJSON == data, name, "accepted metadata is not canonical")
        }
    }
}
