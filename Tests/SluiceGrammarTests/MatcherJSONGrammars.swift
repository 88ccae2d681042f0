@testable import SluiceGrammar

/// Hand-built JSON grammars for the matcher tests and benchmarks (the schema compiler builds
/// the real ones): generic JSON, and an object shaped like a typical tool-call schema.
enum MatcherJSONGrammars {
    static let digit = GrammarExpr.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
    static let whitespace = GrammarExpr.repetition(.bytes(ByteSet(Array(" \t\n".utf8))), min: 0, max: nil)

    /// One JSON string character: printable ASCII but `"` and `\`, an escape, or one valid
    /// UTF-8 multi-byte sequence.
    static let stringCharacter: GrammarExpr = {
        var plain = ByteSet(0x20...0x7F)
        plain = plain.subtracting(ByteSet([UInt8(ascii: "\""), UInt8(ascii: "\\")]))
        let tail = GrammarExpr.bytes(ByteSet(0x80...0xBF))
        let hex = GrammarExpr.bytes(ByteSet(Array("0123456789abcdefABCDEF".utf8)))
        return .choice([
            .bytes(plain),
            .sequence([.literal("\\"), .choice([.bytes(ByteSet(Array("\"\\/bfnrt".utf8))), .sequence([.literal("u"), hex, hex, hex, hex])])]),
            .sequence([.bytes(ByteSet(0xC2...0xDF)), tail]),
            .sequence([.literal([0xE0]), .bytes(ByteSet(0xA0...0xBF)), tail]),
            .sequence([.bytes(ByteSet(Array(0xE1...0xEC) + [0xEE, 0xEF])), tail, tail]),
            .sequence([.literal([0xED]), .bytes(ByteSet(0x80...0x9F)), tail]),
            .sequence([.literal([0xF0]), .bytes(ByteSet(0x90...0xBF)), tail, tail]),
            .sequence([.bytes(ByteSet(0xF1...0xF3)), tail, tail, tail]),
            .sequence([.literal([0xF4]), .bytes(ByteSet(0x80...0x8F)), tail, tail]),
        ])
    }()

    static func string(maxLength: Int? = nil) -> GrammarExpr {
        .sequence([.literal("\""), .repetition(stringCharacter, min: 0, max: maxLength), .literal("\"")])
    }

    static let integer = GrammarExpr.sequence([
        .optional(.literal("-")),
        .choice([.literal("0"), .sequence([.bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9"))), .repetition(digit, min: 0, max: nil)])]),
    ])

    /// Exponents of at most two digits, so every document Foundation's parser can represent.
    static let number = GrammarExpr.sequence([
        integer,
        .optional(.sequence([.literal("."), .repetition(digit, min: 1, max: nil)])),
        .optional(.sequence([.bytes(ByteSet(Array("eE".utf8))), .optional(.bytes(ByteSet(Array("+-".utf8)))), .repetition(digit, min: 1, max: 2)])),
    ])

    /// Any JSON object (values nest through rule references).
    static func generic() -> Grammar {
        var builder = GrammarBuilder()
        let ws = builder.add("ws", whitespace)
        let string = builder.add("string", string())
        let number = builder.add("number", number)
        let value = builder.declare("value")
        let object = builder.declare("object")
        let array = builder.declare("array")
        let member = GrammarExpr.sequence([.rule(string), .rule(ws), .literal(":"), .rule(ws), .rule(value), .rule(ws)])
        builder.define(object, .sequence([
            .literal("{"), .rule(ws),
            .optional(.sequence([member, .repetition(.sequence([.literal(","), .rule(ws), member]), min: 0, max: nil)])),
            .literal("}"),
        ]))
        let element = GrammarExpr.sequence([.rule(value), .rule(ws)])
        builder.define(array, .sequence([
            .literal("["), .rule(ws),
            .optional(.sequence([element, .repetition(.sequence([.literal(","), .rule(ws), element]), min: 0, max: nil)])),
            .literal("]"),
        ]))
        builder.define(value, .choice([
            .rule(object), .rule(array), .rule(string), .rule(number), .literal("true"), .literal("false"), .literal("null"),
        ]))
        return builder.build(root: .rule(object))
    }

    /// `{"name": <string ≤ 40>, "age": <integer>, "tags": [<string>, …], "kind": "a" | "b"}`
    /// with optional whitespace, the shape a tool's arguments schema compiles to.
    static func toolArguments() -> Grammar {
        var builder = GrammarBuilder()
        let ws = builder.add("ws", .repetition(.bytes(ByteSet(Array(" \n".utf8))), min: 0, max: 2))
        let name = builder.add("name", string(maxLength: 40))
        let tag = builder.add("tag", string())
        let age = builder.add("age", integer)
        func key(_ text: String) -> GrammarExpr { .sequence([.rule(ws), .literal("\"\(text)\""), .rule(ws), .literal(":"), .rule(ws)]) }
        let tags = GrammarExpr.sequence([
            .literal("["), .rule(ws),
            .optional(.sequence([.rule(tag), .repetition(.sequence([.rule(ws), .literal(","), .rule(ws), .rule(tag)]), min: 0, max: 4)])),
            .rule(ws), .literal("]"),
        ])
        return builder.build(root: .sequence([
            .literal("{"), key("name"), .rule(name), .rule(ws), .literal(","),
            key("age"), .rule(age), .rule(ws), .literal(","),
            key("tags"), tags, .rule(ws),
            .optional(.sequence([.literal(","), key("kind"), .choice([.literal("\"a\""), .literal("\"b\"")]), .rule(ws)])),
            .literal("}"),
        ]))
    }

    /// anyOf two objects sharing the prefix `{"type": "` (nondeterministic until the value).
    static func anyOfObjects() -> Grammar {
        var builder = GrammarBuilder()
        let string = builder.add("string", string(maxLength: 30))
        let number = builder.add("number", number)
        let first = builder.add("circle", .sequence([.literal("{\"type\": \"circle\", \"radius\": "), .rule(number), .literal("}")]))
        let second = builder.add("label", .sequence([.literal("{\"type\": \"label\", \"text\": "), .rule(string), .literal("}")]))
        let third = builder.add("labelled-circle", .sequence([.literal("{\"type\": \"circle\", \"text\": "), .rule(string), .literal("}")]))
        return builder.build(root: .choice([.rule(first), .rule(second), .rule(third)]))
    }
}
