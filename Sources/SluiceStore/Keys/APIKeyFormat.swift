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
        let bytes = presented.utf8
        guard bytes.count == totalLength else { return nil }
        let prefixBytes = prefix.utf8
        guard bytes.starts(with: prefixBytes) else { return nil }
        var index = bytes.index(bytes.startIndex, offsetBy: prefixBytes.count)
        let idStart = index
        let idEnd = bytes.index(idStart, offsetBy: keyIDLength)
        let separator = idEnd
        let secretStart = bytes.index(after: separator)
        guard bytes[separator] == UInt8(ascii: "-") else { return nil }
        while index < idEnd {
            guard isBase62(bytes[index]) else { return nil }
            index = bytes.index(after: index)
        }
        index = secretStart
        while index < bytes.endIndex {
            guard isBase62(bytes[index]) else { return nil }
            index = bytes.index(after: index)
        }
        return ParsedAPIKey(keyID: String(decoding: Array(bytes[idStart..<idEnd]), as: UTF8.self),
                            secret: String(decoding: Array(bytes[secretStart...]), as: UTF8.self))
    }

    /// A key id is accepted from admin routes as-is; check it before it becomes part of a Redis key.
    public static func isValidKeyID(_ id: some StringProtocol) -> Bool {
        id.utf8.count == keyIDLength && id.utf8.allSatisfy(isBase62)
    }

    static func isBase62(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
