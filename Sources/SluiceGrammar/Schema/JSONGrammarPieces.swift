// The JSON building blocks every schema grammar is made of, each built once per builder
// (`GrammarBuilder.sharedRule`): the string character, strings, numbers, integers, any value.
// All of them follow the whitespace policy of the options they were built for (the key of each
// shared rule names it, so two policies in one builder do not mix).

import SluiceAPI

/// How much whitespace the grammar lets the model write between JSON tokens. Always bounded, so
/// the model cannot pad forever; no whitespace before or after the document.
public enum JSONWhitespace: Sendable, Hashable {
    /// None at all: `{"a":1,"b":[1,2]}`. The default: easiest for small models, fewest tokens.
    case compact
    /// At most one space after each `:` and `,` (`{"a": 1, "b": [1, 2]}`), nowhere else.
    case spaceAfterSeparators
}

/// Bytes of the JSON encoding of `text` as a string, quotes included: `"` and `\` escaped,
/// control characters as `\n`-style or `\u00XX` escapes, everything else raw UTF-8.
func jsonStringBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = [UInt8(ascii: "\"")]
    for scalar in text.unicodeScalars { out += jsonEncodedScalar(scalar.value) }
    out.append(UInt8(ascii: "\""))
    return out
}

/// The canonical bytes of one character inside a JSON string.
func jsonEncodedScalar(_ value: UInt32) -> [UInt8] {
    switch value {
    case 0x22: return Array(#"\""#.utf8)
    case 0x5C: return Array(#"\\"#.utf8)
    case 0x08: return Array(#"\b"#.utf8)
    case 0x0C: return Array(#"\f"#.utf8)
    case 0x0A: return Array(#"\n"#.utf8)
    case 0x0D: return Array(#"\r"#.utf8)
    case 0x09: return Array(#"\t"#.utf8)
    case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        return Array(#"\u00"#.utf8) + [hex[Int(value >> 4)], hex[Int(value & 15)]]
    default:
        guard let scalar = Unicode.Scalar(value) else { return [] }  // a surrogate: never asked for
        return Array(String(Character(scalar)).utf8)
    }
}

/// Canonical compact JSON text of a value (object keys sorted), for `enum` and `const`.
func jsonSerialization(_ value: JSONValue) -> [UInt8] {
    switch value {
    case .null: return Array("null".utf8)
    case let .bool(flag): return Array((flag ? "true" : "false").utf8)
    case let .integer(number): return Array(String(number).utf8)
    case let .number(number):
        if number == number.rounded(), abs(number) < 1e15 { return Array(String(Int64(number)).utf8) }
        return Array("\(number)".utf8)
    case let .string(text): return jsonStringBytes(text)
    case let .array(elements):
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += jsonSerialization(element)
        }
        out.append(UInt8(ascii: "]"))
        return out
    case let .object(members):
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += jsonStringBytes(key) + [UInt8(ascii: ":")] + jsonSerialization(members[key]!)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// The shared JSON rules of one builder under one whitespace policy.
struct JSONPieces {
    let whitespace: JSONWhitespace
    let options: JSONSchemaOptions

    init(options: JSONSchemaOptions) {
        whitespace = options.whitespace
        self.options = options
    }

    /// Distinguishes the shared rules of other whitespace or number-digit options (nothing for
    /// the defaults, so the common rules have plain names).
    private var suffix: String {
        let defaults = JSONSchemaOptions()
        var suffix = whitespace == .compact ? "" : "/ws1"
        if (options.maxIntegerDigits, options.maxFractionDigits, options.maxExponentDigits)
            != (defaults.maxIntegerDigits, defaults.maxFractionDigits, defaults.maxExponentDigits) {
            suffix += "/\(options.maxIntegerDigits)/\(options.maxFractionDigits)/\(options.maxExponentDigits)"
        }
        return suffix
    }

    /// What may follow a `:` or a `,` (and nothing else has whitespace).
    var separatorSpace: GrammarExpr {
        switch whitespace {
        case .compact: return .empty
        case .spaceAfterSeparators: return .optional(.literal(" "))
        }
    }

    var comma: GrammarExpr { whitespace == .compact ? .literal(",") : .sequence([.literal(","), separatorSpace]) }
    var colon: GrammarExpr { whitespace == .compact ? .literal(":") : .sequence([.literal(":"), separatorSpace]) }

    static let hexDigit = GrammarExpr.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))
        .union(ByteSet(UInt8(ascii: "a")...UInt8(ascii: "f"))).union(ByteSet(UInt8(ascii: "A")...UInt8(ascii: "F"))))
    static let digit = GrammarExpr.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9")))
    static let nonZeroDigit = GrammarExpr.bytes(ByteSet(UInt8(ascii: "1")...UInt8(ascii: "9")))

    /// One character of a JSON string: unescaped printable ASCII but `"` and `\`, an escape
    /// (`\" \\ \/ \b \f \n \r \t`, `\uXXXX` that is not a surrogate, or a surrogate pair of
    /// `\u` escapes), or one well-formed UTF-8 sequence per RFC 3629 §4 (no overlongs, no
    /// surrogates, nothing above U+10FFFF). Whatever the form, it is one character (code point).
    static func stringCharRule(_ builder: inout GrammarBuilder) -> RuleID {
        builder.sharedRule("json-char") { _, _ in
            let b = { (range: ClosedRange<UInt8>) in GrammarExpr.bytes(ByteSet(range)) }
            let cont = b(0x80...0xBF)
            let plain = ByteSet(0x20...0x7F).subtracting(ByteSet([0x22, 0x5C]))
            let hex = hexDigit
            let nonD = GrammarExpr.bytes(ByteSet(Array("0123456789abcefABCEF".utf8)))
            let d = GrammarExpr.bytes(ByteSet(Array("dD".utf8)))
            let escape = GrammarExpr.sequence([
                .literal("\\"),
                .choice([
                    .bytes(ByteSet(Array("\"\\/bfnrt".utf8))),
                    .sequence([.literal("u"), .choice([
                        .sequence([nonD, hex, hex, hex]),
                        .sequence([d, b(0x30...0x37), hex, hex]),
                        .sequence([d, .bytes(ByteSet(Array("89abAB".utf8))), hex, hex,
                                   .literal("\\u"), d, .bytes(ByteSet(Array("cdefCDEF".utf8))), hex, hex]),
                    ])]),
                ]),
            ])
            return .choice([
                .bytes(plain),
                escape,
                .sequence([b(0xC2...0xDF), cont]),
                .sequence([.literal([0xE0]), b(0xA0...0xBF), cont]),
                .sequence([b(0xE1...0xEC), cont, cont]),
                .sequence([.literal([0xED]), b(0x80...0x9F), cont]),
                .sequence([b(0xEE...0xEF), cont, cont]),
                .sequence([.literal([0xF0]), b(0x90...0xBF), cont, cont]),
                .sequence([b(0xF1...0xF3), cont, cont, cont]),
                .sequence([.literal([0xF4]), b(0x80...0x8F), cont, cont]),
            ])
        }
    }

    /// Any JSON string.
    static func stringRule(_ builder: inout GrammarBuilder) -> RuleID {
        builder.sharedRule("json-string") { builder, _ in
            let char = stringCharRule(&builder)
            return .sequence([.literal("\""), .repetition(.rule(char), min: 0, max: nil), .literal("\"")])
        }
    }

    /// A JSON integer: `-?(0|[1-9][0-9]{0,d-1})`, at most `d` digits.
    static func integerRule(_ builder: inout GrammarBuilder, digits: Int) -> RuleID {
        builder.sharedRule("json-integer/\(digits)") { _, _ in
            .sequence([.optional(.literal("-")),
                       .choice([.literal("0"), .sequence([nonZeroDigit, .repetition(digit, min: 0, max: max(digits - 1, 0))])])])
        }
    }

    /// A JSON number with bounded digit counts: integer part ≤ `intDigits` digits, fraction
    /// ≤ `fracDigits`, exponent ≤ `expDigits` digits.
    static func numberRule(_ builder: inout GrammarBuilder, intDigits: Int, fracDigits: Int, expDigits: Int) -> RuleID {
        builder.sharedRule("json-number/\(intDigits)/\(fracDigits)/\(expDigits)") { builder, _ in
            let integer = integerRule(&builder, digits: intDigits)
            var parts: [GrammarExpr] = [.rule(integer), .optional(.sequence([.literal("."), .repetition(digit, min: 1, max: fracDigits)]))]
            if expDigits > 0 {
                parts.append(.optional(.sequence([.bytes(ByteSet(Array("eE".utf8))), .optional(.bytes(ByteSet(Array("+-".utf8)))),
                                                  .repetition(digit, min: 1, max: expDigits)])))
            }
            return .sequence(parts)
        }
    }

    /// Any JSON value (objects and arrays to any depth; numbers as `numberRule`).
    func valueRule(_ builder: inout GrammarBuilder) -> RuleID {
        let pieces = self
        let options = self.options
        return builder.sharedRule("json-value\(suffix)") { builder, value in
            let string = JSONPieces.stringRule(&builder)
            let number = JSONPieces.numberRule(&builder, intDigits: options.maxIntegerDigits,
                                               fracDigits: options.maxFractionDigits, expDigits: options.maxExponentDigits)
            let object = pieces.objectRule(&builder, value: value, string: string)
            let array = builder.sharedRule("json-array\(pieces.suffix)") { _, _ in
                .sequence([.literal("["), .optional(.sequence([.rule(value), .repetition(.sequence([pieces.comma, .rule(value)]), min: 0, max: nil)])),
                           .literal("]")])
            }
            return .choice([.rule(object), .rule(array), .rule(string), .rule(number),
                            .literal("true"), .literal("false"), .literal("null")])
        }
    }

    /// Any JSON array (built with `valueRule`).
    func arrayRule(_ builder: inout GrammarBuilder) -> RuleID {
        _ = valueRule(&builder)
        return builder.sharedRule("json-array\(suffix)") { _, _ in .choice([]) }  // defined by valueRule: never runs
    }

    /// Any JSON object, members of any value.
    func objectRule(_ builder: inout GrammarBuilder, value: RuleID, string: RuleID) -> RuleID {
        let pieces = self
        return builder.sharedRule("json-object\(suffix)") { _, _ in
            let member = GrammarExpr.sequence([.rule(string), pieces.colon, .rule(value)])
            return .sequence([.literal("{"), .optional(.sequence([member, .repetition(.sequence([pieces.comma, member]), min: 0, max: nil)])),
                              .literal("}")])
        }
    }
}
