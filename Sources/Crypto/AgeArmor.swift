/// age's ASCII armor: strict RFC 7468 PEM with the label `AGE ENCRYPTED FILE`, padded
/// base64 in 64-column lines. Both directions stream.
public enum AgeArmor {
    public static let beginLine = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    public static let endLine = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let columns = 64
    /// Leading whitespace we skip before deciding whether input is armored.
    static let maxLeadingWhitespace = 4096

    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// True when `source` (after optional whitespace) starts with the armor's BEGIN line.
    /// Consumes nothing.
    public static func looksArmored(_ source: BufferedSource) throws -> Bool {
        let head = try source.peek(maxLeadingWhitespace + beginLine.count)
        guard let firstNonSpace = head.firstIndex(where: { !isWhitespace($0) }) else { return false }
        return head[firstNonSpace...].starts(with: Array("-----BEGIN".utf8))
    }
}

/// Encodes everything written to it and passes the armor on to `inner`. Call `finish()`.
public final class ArmorEncoder: ByteSink {
    private let inner: ByteSink
    private var pending: [UInt8] = []   // < 48 bytes awaiting a full line
    private var started = false
    private let lineBytes = 48

    public init(_ inner: ByteSink) { self.inner = inner }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if !started { try inner.write(AgeArmor.beginLine + [0x0A]); started = true }
        var input = bytes[...]
        var out: [UInt8] = []
        out.reserveCapacity((pending.count + bytes.count) / lineBytes * 65 + 65)
        if !pending.isEmpty {
            let take = min(lineBytes - pending.count, input.count)
            pending += input.prefix(take)
            input = input.dropFirst(take)
            if pending.count == lineBytes { appendLine(pending[...], to: &out); pending.removeAll(keepingCapacity: true) }
        }
        let whole = input.count / lineBytes * lineBytes
        if whole > 0 {
            // One base64 call for all whole lines, then a newline after every 64 characters.
            let text = Array(Base64.encode(Array(input.prefix(whole)), padded: true).utf8)
            var i = 0
            while i < text.count {
                out += text[i..<(i + AgeArmor.columns)]
                out.append(0x0A)
                i += AgeArmor.columns
            }
            input = input.dropFirst(whole)
        }
        pending += input
        if !out.isEmpty { try inner.write(out) }
    }

    private func appendLine<C: Collection>(_ bytes: C, to out: inout [UInt8]) where C.Element == UInt8 {
        out += Array(Base64.encode(Array(bytes), padded: true).utf8)
        out.append(0x0A)
    }

    /// Writes the last (possibly short) line and the END line.
    public func finish() throws {
        if !started { try inner.write(AgeArmor.beginLine + [0x0A]); started = true }
        var out: [UInt8] = []
        if !pending.isEmpty { appendLine(pending, to: &out) }
        out += AgeArmor.endLine + [0x0A]
        try inner.write(out)
        pending.removeAll()
    }
}

/// Decodes armored input. Every deviation from the strict form is an `AgeError.armor`,
/// including anything but whitespace after the END line, which is checked before the
/// last decoded bytes are handed out.
public final class ArmorDecoder: ByteSource {
    private let inner: BufferedSource
    private var decoded: [UInt8] = []
    private var decodedOffset = 0
    private var state: State = .start
    private var lineNumber = 0

    private enum State { case start, body, sawShortLine, done }

    public init(_ inner: BufferedSource) { self.inner = inner }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while decodedOffset == decoded.count {
            if state == .done { return 0 }
            decoded.removeAll(keepingCapacity: true)
            decodedOffset = 0
            try step()
        }
        let n = min(buffer.count, decoded.count - decodedOffset)
        decoded.withUnsafeBytes { d in buffer.baseAddress!.copyMemory(from: d.baseAddress! + decodedOffset, byteCount: n) }
        decodedOffset += n
        return n
    }

    /// Reads one line, strips LF or CRLF. Returns nil at end of input.
    private func nextLine(allowUnterminated: Bool) throws -> [UInt8]? {
        switch try inner.readLine(maxLength: AgeArmor.columns + 2) {
        case .endOfInput: return nil
        case .tooLong: throw AgeError.armor("line \(lineNumber + 1) is longer than \(AgeArmor.columns) columns")
        case .line(var line):
            lineNumber += 1
            if line.last == 0x0A {
                line.removeLast()
                if line.last == 0x0D { line.removeLast() }
            } else if !allowUnterminated {
                throw AgeError.armor("line \(lineNumber) has no line ending")
            }
            return line
        }
    }

    private func step() throws {
        switch state {
        case .start:
            // Whitespace may precede the armor.
            var skipped = 0
            while true {
                let b = try inner.peek(1)
                guard let c = b.first else { throw AgeError.armor("input is empty") }
                guard AgeArmor.isWhitespace(c) else { break }
                inner.skip(1)
                skipped += 1
                if skipped > AgeArmor.maxLeadingWhitespace { throw AgeError.armor("too much whitespace before the armor") }
            }
            guard let begin = try nextLine(allowUnterminated: false), begin == AgeArmor.beginLine else {
                throw AgeError.armor("first line is not \"\(String(decoding: AgeArmor.beginLine, as: UTF8.self))\"")
            }
            state = .body
        case .body, .sawShortLine:
            guard let line = try nextLine(allowUnterminated: true) else {
                throw AgeError.armor("missing END line")
            }
            if line == AgeArmor.endLine {
                // BEGIN then END decodes to nothing, which the age header parser refuses.
                try expectOnlyWhitespace()
                state = .done
                return
            }
            guard state == .body else { throw AgeError.armor("line \(lineNumber): data after the short last line") }
            guard !line.isEmpty else { throw AgeError.armor("line \(lineNumber) is empty") }
            guard line.count <= AgeArmor.columns else { throw AgeError.armor("line \(lineNumber) is longer than 64 columns") }
            guard line.count % 4 == 0 else { throw AgeError.armor("line \(lineNumber) is not a whole number of base64 quanta") }
            guard let bytes = Base64.decode(line, padded: true) else {
                throw AgeError.armor("line \(lineNumber) is not canonical padded base64")
            }
            if line.count < AgeArmor.columns || line.last == UInt8(ascii: "=") { state = .sawShortLine }
            decoded = bytes
        case .done:
            return
        }
    }

    private func expectOnlyWhitespace() throws {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { try inner.read(into: $0) }
            if n == 0 { return }
            guard buffer[0..<n].allSatisfy(AgeArmor.isWhitespace) else { throw AgeError.armor("data after the END line") }
            total += n
            if total > 1 << 20 { throw AgeError.armor("too much whitespace after the END line") }
        }
    }
}
