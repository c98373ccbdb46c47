import CZlib

/// The one file that talks to zlib: inflates the zlib-compressed age test vectors.
public enum Zlib {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "zlib inflate failed (\(code))" }
    }

    public static func inflate(_ input: [UInt8], limit: Int = 64 << 20) throws -> [UInt8] {
        var stream = z_stream()
        guard att_inflate_init(&stream) == Z_OK else { throw Error(code: -1) }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output += chunk[0..<produced]
                if rc == Z_STREAM_END { return Z_OK }
                if rc != Z_OK || output.count > limit { return rc == Z_OK ? Z_BUF_ERROR : rc }
                if produced == 0 && stream.avail_in == 0 { return Z_DATA_ERROR }
            }
        }
        guard status == Z_OK else { throw Error(code: status) }
        return output
    }
}
