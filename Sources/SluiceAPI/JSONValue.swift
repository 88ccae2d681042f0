// A parsed JSON document. Request bodies are parsed into this and validated by hand, so every
// type or range error can name its JSON path (`messages[2].content[0].type`), which Codable cannot.

public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in Int64.
    case integer(Int64)
    /// Any other number (including integers too large for Int64: tolerated, not truncated).
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Duplicate keys: the last one wins, as in most parsers (RFC 8259 §4 leaves it open).
    case object([String: JSONValue])

    /// The JSON type name used in error messages ("expected integer, got string").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members[key] }
        return nil
    }
}
