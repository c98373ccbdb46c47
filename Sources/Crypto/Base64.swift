/// Strict RFC 4648 base64 (standard alphabet) on libsodium's decoder, which refuses
/// non-canonical encodings, stray characters and wrong padding. Foundation's decoder is
/// lenient and must not be used for anything we parse.
public enum Base64 {
    /// Padded (minisign, age armor) or unpadded (age header).
    public static func encode<D: BorrowableBytes>(_ data: D, padded: Bool) -> String {
        data.withUnsafeBytes { Sodium.base64Encode($0, padded ? .padded : .unpadded) }
    }

    public static func decode<D: BorrowableBytes>(_ text: D, padded: Bool) -> [UInt8]? {
        text.withUnsafeBytes { Sodium.base64Decode($0, padded ? .padded : .unpadded) }
    }

    public static func decode(_ text: String, padded: Bool) -> [UInt8]? {
        decode(Array(text.utf8), padded: padded)
    }
}
