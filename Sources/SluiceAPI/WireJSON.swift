// Encoding of wire types. Foundation's JSONEncoder, configured once: no escaped slashes, and
// non-finite doubles (a logprob of -inf) must never reach it: builders clamp them first.
import Foundation

public enum WireJSON {
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Every wire type is plain strings, integers, finite doubles, arrays and objects, which
        // JSONEncoder always encodes; the fallback keeps a bug from becoming a crash.
        guard let data = try? encoder.encode(value) else {
            return Array(#"{"error":{"message":"response encoding failed","type":"server_error","param":null,"code":null}}"#.utf8)
        }
        return Array(data)
    }

    public static func string<T: Encodable>(_ value: T) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// Decodes a wire type (used for upstream responses and by tests).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
