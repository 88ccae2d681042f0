/// A JSON-like value handed to a chat template (messages, tools, extra variables).
/// Objects keep their key order, because templates that print them with
/// `tojson` or iterate `items()` must render in the order the client sent.
public enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    case object([TemplateEntry])

    /// Builds an object from key/value pairs in the given order.
    public static func object(_ pairs: KeyValuePairs<String, TemplateValue>) -> TemplateValue {
        .object(pairs.map { TemplateEntry(key: $0.key, value: $0.value) })
    }
}

extension TemplateValue {
    /// Levels of arrays/objects below this value, counted up to `limit`.
    func nestingDepth(limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        let children: [TemplateValue]
        switch self {
        case .array(let items): children = items
        case .object(let entries): children = entries.map(\.value)
        default: return 0
        }
        var deepest = 0
        for child in children {
            deepest = max(deepest, child.nestingDepth(limit: limit - 1))
            if deepest + 1 >= limit { break }
        }
        return deepest + 1
    }
}

public struct TemplateEntry: Sendable, Equatable {
    public var key: String
    public var value: TemplateValue
    public init(key: String, value: TemplateValue) {
        self.key = key
        self.value = value
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}
