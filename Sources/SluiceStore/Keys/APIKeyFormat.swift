/// The presented key: `sk-sluice-<id>-<secret>`.
///  - id: 12 base62 characters (≈71 bits), public, used to find the record;
///  - secret: 43 base62 characters (≈256 bits) from OpenSSL `RAND_bytes`.
/// Base62 has no `-` or `_`, so the separators are unambiguous and a double-click
/// selects the whole key (the same reasoning as GitHub's token format).
public struct ParsedAPIKey: Sendable, Equatable {
    public let keyID: String
    public let secret: String
}

public enum APIKeyFormat {
    public static let prefix = "sk-sluice-"
    public static let keyIDLength = 12
    public static let secretLength = 43
    public static let totalLength = prefix.utf8.count + keyIDLength + 1 + secretLength

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func format(keyID: String, secret: String) -> String {
        "\(prefix)\(keyID)-\(secret)"
    }

    /// Parses a presented key (from an `Authorization` header: hostile input).
    /// Works on bytes, checks the exact length first, so any size or content is
    /// answered in bounded time without allocation beyond the two result strings.
    public static func parse(_ presented: some StringProtocol) -> ParsedAPIKey? {
        var text = String(presented)
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> ParsedAPIKey? {
        let prefixLength = prefix.utf8.count
        guard bytes.count == totalLength, bytes.starts(with: prefix.utf8) else { return nil }
        let idEnd = prefixLength + keyIDLength
        guard bytes[idEnd] == UInt8(ascii: "-") else { return nil }
        for index in prefixLength..<idEnd where !isBase62(bytes[index]) { return nil }
        for index in (idEnd + 1)..<bytes.count where !isBase62(bytes[index]) { return nil }
        return ParsedAPIKey(keyID: String(decoding: UnsafeBufferPointer(rebasing: bytes[prefixLength..<idEnd]), as: UTF8.self),
                            secret: String(decoding: UnsafeBufferPointer(rebasing: bytes[(idEnd + 1)...]), as: UTF8.self))
    }

    /// A key id is accepted from admin routes as-is; check it before it becomes part of a Redis key.
    public static func isValidKeyID(_ id: some StringProtocol) -> Bool {
        id.utf8.count == keyIDLength && id.utf8.allSatisfy(isBase62)
    }

    static func isBase62(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
