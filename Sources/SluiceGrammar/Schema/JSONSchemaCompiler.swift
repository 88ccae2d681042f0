// JSON Schema → byte grammar, for `response_format: json_schema` and tool parameters.
//
// Every document the grammar accepts validates against the schema; the converse need not hold
// (number bounds, formats, patterns and a few combinations are enforced conservatively). A
// schema feature the compiler cannot enforce is REFUSED with a JSONSchemaError naming the
// keyword, never skipped (a skipped keyword would let the model emit JSON that does not validate).
//
// Keywords
// - enforced: `type` (a name or an array of names, `null` included), `properties`, `required`,
//   `additionalProperties` (true / false / a schema; absent means true for an object without
//   `properties`, and no extra keys generated beside declared `properties`: see
//   `JSONSchemaOptions.additionalPropertiesWhenAbsent`), `enum`, `const`,
//   `anyOf`, `oneOf` (compiled as anyOf: the output matches at least one alternative, so
//   alternatives that overlap can produce output that is invalid for oneOf; OpenAI's strict mode
//   does not accept oneOf at all), `allOf` (one element, or several plain object schemas merged),
//   `$ref` (`#`, `#/$defs/X`, `#/definitions/X`, any local JSON pointer; recursion through
//   objects and arrays), `$defs`, `definitions`, `items` (a schema, or draft-4's array form with
//   `additionalItems`), `prefixItems` (≤ 100), `minItems`, `maxItems`, `uniqueItems: false`,
//   `minLength`/`maxLength` (code points), `pattern` (the subset in SchemaPattern.swift),
//   `format` (date-time, date, time, duration, uuid, email, hostname, ipv4, ipv6, uri:
//   StringFormats.swift), `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`
//   (numbers, or draft-4 booleans), `multipleOf` (1: integers; another factor only with both a
//   minimum and a maximum, as the list of the multiples, at most maxEnumValues of them).
// - ignored (annotations): description, title, default, examples, $schema, $id, $comment,
//   strict, deprecated, readOnly, writeOnly, discriminator (OpenAPI's tag hint for `oneOf`).
// - refused: every other keyword; `minLength`/`maxLength` with a `pattern` or `format` unless
//   all its strings already fit, or the pattern is one anchored class run (`^[a-z0-9_]+$`, which
//   gets the bounds); `enum`/`const` with keywords other than `type`; `$ref` and the combinators
//   with assertions beside them; `multipleOf` ≠ 1 without both bounds; `uniqueItems: true`;
//   bounds no value within the digit limits satisfies; references nested > 100 deep.
// Without `type`, the types are inferred from the keywords present (`properties` → object,
// `items` → array, `pattern` → string, `minimum` → number…); with none, any value.
//
// Objects: the declared properties come in a fixed order: first those named in `required`, in
// that array's order, then the optional ones sorted by name (`JSONValue.object` is a dictionary,
// so the schema's own order is not known), or, through `compile(_:keyOrder:into:)`, the order of
// the schema document. Additional properties, when allowed, come after the declared ones, and
// their keys are never a declared name (else the value would escape the declared property's
// schema, or a `false` property would appear): with declared properties, additional keys are
// written without escapes (any character but `"`, `\` and controls), at most 64 characters, and
// a key trie keeps them off the declared names. Additional keys are not kept distinct from each
// other (a repeated key is valid JSON; parsers keep the last).
//
// Numbers: at most `maxIntegerDigits` digits before the point, `maxFractionDigits` after it and
// `maxExponentDigits` in the exponent. Integers in a bounded range get an exact digit-range
// grammar. Numbers with a bound get no exponent; with D one more than the fraction digits the
// bounds are written with (≤ 6), every decimal with ≤ D fraction digits within bounds is allowed,
// and longer ones only when their D-digit truncation and the next D-digit step are both within
// bounds (`maximum: 10` allows 10, 10.0, 9.5 and 9.99…, not 10.01 or 10.00): every value produced
// is in range (checked on the doubles a parser reads), not every value in range is reachable.
// Strings: JSON string syntax (escapes, no raw control bytes, well-formed UTF-8 only); `enum`
// and `const` values are written in one canonical serialization (compact, object keys sorted).
// Whitespace: none, or at most one space after `:` and `,` (JSONWhitespace); never elsewhere.

import SluiceAPI

public struct JSONSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the schema, as path components from the schema root (e.g. ["properties","tags","items","pattern"]).
    public var path: [String]
    /// The offending keyword when one is at fault (unsupported keyword → its name), for the 400's message.
    public var keyword: String?
    public var message: String

    public init(path: [String], keyword: String?, message: String) {
        self.path = path
        self.keyword = keyword
        self.message = message
    }

    /// The path as a JSON pointer (`#/properties/tags/items/pattern`).
    public var pointer: String {
        "#" + path.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
    }

    public var description: String {
        if let keyword { return "\(message) (keyword '\(keyword)' at \(pointer))" }
        return "\(message) (at \(pointer))"
    }
}

public struct JSONSchemaOptions: Sendable {
    /// Whitespace between tokens (none before or after the document).
    public var whitespace: JSONWhitespace = .compact
    /// Object and array schemas nested deeper than this are refused (OpenAI: 10).
    /// Generate extra keys beside declared `properties` when `additionalProperties` is absent
    /// (JSON Schema allows them). Off by default, as in llama.cpp, XGrammar and Outlines: the
    /// output validates either way, and small models otherwise invent keys until `max_tokens`.
    public var additionalPropertiesWhenAbsent = false
    public var maxNestingDepth = 10
    /// Properties over the whole schema (OpenAI: 5000).
    public var maxProperties = 5000
    /// `enum` values over the whole schema (OpenAI: 1000).
    public var maxEnumValues = 1000
    /// Characters of property names, definition names, enum and const string values over the
    /// whole schema (OpenAI: 120,000).
    public var maxTotalStringLength = 120_000
    /// An enum with more values than this…
    public var largeEnumValueCount = 250
    /// …may have at most this many characters of string values (OpenAI: 15,000).
    public var maxLargeEnumStringLength = 15_000
    /// Digits of a number's integer part (and of an integer without bounds).
    public var maxIntegerDigits = 15
    /// Digits after a number's decimal point.
    public var maxFractionDigits = 15
    /// Digits of a number's exponent (0: no exponent).
    public var maxExponentDigits = 2
    /// The largest `{n,m}` bound a `pattern` may use.
    public var maxPatternRepetition = 1000

    public init() {}
}

public struct JSONSchemaCompiler: Sendable {
    public var options: JSONSchemaOptions

    public init(options: JSONSchemaOptions = JSONSchemaOptions()) {
        self.options = options
    }

    /// Adds the rules for `schema` to `builder`; returns the expression one JSON value matching it must match.
    /// Several schemas can be compiled into one builder (tool calling composes them).
    public func compile(_ schema: JSONValue, into builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        var compilation = SchemaCompilation(root: schema, options: options)
        return try compilation.compileRoot(into: &builder)
    }

    /// As `compile(_:into:)`, with the declared order of properties: `keyOrder` maps the JSON
    /// path of objects of the schema document (`["properties"]`, `["$defs","Node","properties"]`)
    /// to their keys in document order, as a parser that records key order would report them.
    /// Properties of an object schema whose `properties` has an entry follow it (required or
    /// not); others keep the default order (required first, then by name).
    public func compile(_ schema: JSONValue, keyOrder: [[String]: [String]], into builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        var compilation = SchemaCompilation(root: schema, options: options)
        compilation.keyOrder = keyOrder
        return try compilation.compileRoot(into: &builder)
    }

    /// Any JSON object (response_format json_object).
    public static func anyObject(into builder: inout GrammarBuilder, whitespace: JSONWhitespace = .compact) -> GrammarExpr {
        var options = JSONSchemaOptions()
        options.whitespace = whitespace
        let pieces = JSONPieces(options: options)
        let value = pieces.valueRule(&builder)
        return .rule(pieces.objectRule(&builder, value: value, string: JSONPieces.stringRule(&builder)))
    }

    /// Any JSON value.
    public static func anyValue(into builder: inout GrammarBuilder, whitespace: JSONWhitespace = .compact) -> GrammarExpr {
        var options = JSONSchemaOptions()
        options.whitespace = whitespace
        return .rule(JSONPieces(options: options).valueRule(&builder))
    }
}

/// The state of one `compile` call: reference rules, limit counters.
struct SchemaCompilation {
    let root: JSONValue
    let options: JSONSchemaOptions
    let pieces: JSONPieces
    /// Keys in document order of the schema's objects, by JSON path (see `compile(_:keyOrder:into:)`).
    var keyOrder: [[String]: [String]] = [:]
    var refRules: [[String]: RuleID] = [:]
    var propertyCount = 0
    var referenceNesting = 0
    static let maxReferenceNesting = 100
    var countedDefinitions = Set<[String]>()
    var enumValueCount = 0
    var stringLength = 0

    init(root: JSONValue, options: JSONSchemaOptions) {
        self.root = root
        self.options = options
        pieces = JSONPieces(options: options)
    }

    static let annotations: Set<String> = [
        "description", "title", "default", "examples", "$schema", "$id", "$comment", "strict", "deprecated",
        "readOnly", "writeOnly",
        // OpenAPI's hint of which `oneOf` branch a tag selects (Pydantic writes it for tagged
        // unions); the branches' own `const` tags already decide it, so it asks for nothing more.
        "discriminator",
    ]
    static let definitionKeywords: Set<String> = ["$defs", "definitions"]
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties"]
    static let arrayKeywords: Set<String> = ["items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems"]
    static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern", "format"]
    static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]
    static let otherKeywords: Set<String> = ["type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref"]
    static let known: Set<String> = annotations.union(definitionKeywords).union(objectKeywords).union(arrayKeywords)
        .union(stringKeywords).union(numberKeywords).union(otherKeywords)
    static let typeNames = ["null", "boolean", "object", "array", "number", "integer", "string"]

    var cap: Int64 { IntegerRangeGrammar.pow10(min(options.maxIntegerDigits, 18)) - 1 }

    func fail(_ path: [String], _ keyword: String?, _ message: String) -> JSONSchemaError {
        JSONSchemaError(path: keyword.map { path + [$0] } ?? path, keyword: keyword, message: message)
    }

    mutating func compileRoot(into builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        if case .bool(false) = root { throw fail([], nil, "the schema `false` matches no document") }
        // The root is a rule so that `#` references to it recurse.
        return try reference([], path: [], depth: 0, left: [], builder: &builder)
    }

    /// The rule of the schema at `pointer` (path tokens from the root), compiled on first use.
    /// `left` holds the references entered since the last byte was consumed: meeting one again
    /// would be left recursion (`{"anyOf":[{"$ref":"#"}]}`), a grammar that never ends.
    mutating func reference(_ pointer: [String], path: [String], depth: Int, left: Set<[String]>,
                            builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        if left.contains(pointer) {
            throw fail(path, "$ref", "the reference recurses without an object or array in between")
        }
        if let rule = refRules[pointer] { return .rule(rule) }
        var target = root
        for token in pointer {
            switch target {
            case let .object(members) where members[token] != nil: target = members[token]!
            case let .array(elements) where Int(token).map({ elements.indices.contains($0) }) == true: target = elements[Int(token)!]
            default: throw fail(path, "$ref", "the reference #/\(pointer.joined(separator: "/")) points to nothing")
            }
        }
        // Each reference compiled inside another is a level of recursion here: bounded, so a
        // long chain of references cannot exhaust the stack.
        guard referenceNesting < Self.maxReferenceNesting else {
            throw fail(path, "$ref", "references nest deeper than \(Self.maxReferenceNesting) levels")
        }
        let rule = builder.declare(pointer.isEmpty ? "#" : "#/" + pointer.joined(separator: "/"))
        refRules[pointer] = rule
        var inner = left
        inner.insert(pointer)
        referenceNesting += 1
        defer { referenceNesting -= 1 }
        let body = try compile(target, path: pointer, depth: depth, left: inner, builder: &builder)
        builder.define(rule, body)
        return .rule(rule)
    }

    /// A `$ref` value → pointer tokens.
    func pointerTokens(_ ref: String, path: [String]) throws(JSONSchemaError) -> [String] {
        guard ref.hasPrefix("#") else {
            throw fail(path, "$ref", "only local references (starting with '#') are supported")
        }
        let fragment = String(ref.dropFirst()).removingPercentEncodingIfPossible
        if fragment.isEmpty { return [] }
        guard fragment.hasPrefix("/") else {
            throw fail(path, "$ref", "only JSON-pointer references (#/…) are supported, not anchors")
        }
        return fragment.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacing("~1", with: "/").replacing("~0", with: "~")
        }
    }

    // MARK: Schemas

    mutating func compile(_ schema: JSONValue, path: [String], depth: Int, left: Set<[String]>,
                          builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        let members: [String: JSONValue]
        switch schema {
        case .bool(true): return .rule(pieces.valueRule(&builder))
        case .bool(false): return .choice([])
        case let .object(object): members = object
        default: throw fail(path, nil, "a schema must be an object or a boolean, not \(schema.typeName)")
        }
        for key in members.keys.sorted() where !Self.known.contains(key) {
            throw fail(path, key, "unsupported JSON Schema keyword '\(key)'")
        }
        for key in Self.definitionKeywords.sorted() where members[key] != nil {
            guard case let .object(definitions) = members[key]! else { throw fail(path, key, "'\(key)' must be an object") }
            // Definition names count toward the string limit, as in OpenAI's (once per compile).
            if countedDefinitions.insert(path + [key]).inserted {
                try countStrings(definitions.keys.reduce(0) { $0 + $1.unicodeScalars.count }, path: path, keyword: key)
            }
        }
        let assertions = members.keys.filter { !Self.annotations.contains($0) && !Self.definitionKeywords.contains($0) }.sorted()

        if let ref = members["$ref"] {
            if let other = assertions.first(where: { $0 != "$ref" }) {
                throw fail(path, other, "keywords beside '$ref' are not supported")
            }
            guard case let .string(text) = ref else { throw fail(path, "$ref", "'$ref' must be a string") }
            return try reference(try pointerTokens(text, path: path), path: path + ["$ref"], depth: depth, left: left, builder: &builder)
        }
        for combinator in ["anyOf", "oneOf", "allOf"] where members[combinator] != nil {
            if let other = assertions.first(where: { $0 != combinator }) {
                throw fail(path, other, "keywords beside '\(combinator)' are not supported")
            }
            guard case let .array(schemas) = members[combinator]!, !schemas.isEmpty else {
                throw fail(path, combinator, "'\(combinator)' must be a non-empty array of schemas")
            }
            if combinator == "allOf" {
                return try allOf(schemas, path: path + ["allOf"], depth: depth, left: left, builder: &builder)
            }
            var alternatives: [GrammarExpr] = []
            for (index, sub) in schemas.enumerated() {
                alternatives.append(try compile(sub, path: path + [combinator, String(index)], depth: depth, left: left, builder: &builder))
            }
            return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
        }
        let types = try typeSet(members, path: path)
        if members["enum"] != nil || members["const"] != nil {
            return try enumeration(members, types: types, assertions: assertions, path: path)
        }
        var alternatives: [GrammarExpr] = []
        for type in Self.typeNames where types.contains(type) {
            if type == "integer", types.contains("number"), members["multipleOf"] == nil { continue }  // number covers it
            switch type {
            case "null": alternatives.append(.literal("null"))
            case "boolean": alternatives.append(.choice([.literal("true"), .literal("false")]))
            case "object": alternatives.append(try object(members, path: path, depth: depth + 1, builder: &builder))
            case "array": alternatives.append(try array(members, path: path, depth: depth + 1, builder: &builder))
            case "string": alternatives.append(try string(members, path: path, builder: &builder))
            default: alternatives.append(try number(members, integer: type == "integer", path: path, builder: &builder))
            }
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// The types a schema allows: its `type`, or inferred from the keywords present.
    func typeSet(_ members: [String: JSONValue], path: [String]) throws(JSONSchemaError) -> Set<String> {
        if let type = members["type"] {
            var names: [String] = []
            switch type {
            case let .string(name): names = [name]
            case let .array(elements):
                for element in elements {
                    guard case let .string(name) = element else { throw fail(path, "type", "'type' must be a string or an array of strings") }
                    names.append(name)
                }
            default: throw fail(path, "type", "'type' must be a string or an array of strings")
            }
            for name in names where !Self.typeNames.contains(name) { throw fail(path, "type", "unknown type '\(name)'") }
            guard !names.isEmpty else { throw fail(path, "type", "'type' must name at least one type") }
            return Set(names)
        }
        var inferred = Set<String>()
        let keys = Set(members.keys)
        if !keys.isDisjoint(with: Self.objectKeywords) { inferred.insert("object") }
        if !keys.isDisjoint(with: Self.arrayKeywords) { inferred.insert("array") }
        if !keys.isDisjoint(with: Self.stringKeywords) { inferred.insert("string") }
        if !keys.isDisjoint(with: Self.numberKeywords) { inferred.insert("number") }
        return inferred.isEmpty ? Set(Self.typeNames) : inferred
    }

    // MARK: enum, const

    static func matches(_ value: JSONValue, _ types: Set<String>) -> Bool {
        switch value {
        case .null: return types.contains("null")
        case .bool: return types.contains("boolean")
        case .integer: return types.contains("integer") || types.contains("number")
        case let .number(number): return types.contains("number") || (types.contains("integer") && number == number.rounded())
        case .string: return types.contains("string")
        case .array: return types.contains("array")
        case .object: return types.contains("object")
        }
    }

    mutating func enumeration(_ members: [String: JSONValue], types: Set<String>, assertions: [String],
                              path: [String]) throws(JSONSchemaError) -> GrammarExpr {
        let keyword = members["enum"] != nil ? "enum" : "const"
        if let other = assertions.first(where: { $0 != "enum" && $0 != "const" && $0 != "type" }) {
            throw fail(path, other, "keywords beside '\(keyword)' other than 'type' are not supported")
        }
        var values: [JSONValue]
        if let constant = members["const"] {
            values = [constant]
            if let list = members["enum"] {
                guard case let .array(options) = list, options.contains(constant) else {
                    throw fail(path, "enum", "'const' is not one of the 'enum' values")
                }
            }
        } else {
            guard case let .array(list) = members["enum"]!, !list.isEmpty else {
                throw fail(path, "enum", "'enum' must be a non-empty array")
            }
            values = list
            enumValueCount += list.count
            if enumValueCount > options.maxEnumValues {
                throw fail(path, "enum", "more than \(options.maxEnumValues) enum values in the schema (limit maxEnumValues)")
            }
        }
        var length = 0
        for case let .string(text) in values { length += text.unicodeScalars.count }
        if values.count > options.largeEnumValueCount, length > options.maxLargeEnumStringLength {
            throw fail(path, keyword, "an enum of more than \(options.largeEnumValueCount) values may have at most \(options.maxLargeEnumStringLength) characters of strings")
        }
        try countStrings(length, path: path, keyword: keyword)
        let allowed = values.filter { Self.matches($0, types) }
        guard !allowed.isEmpty else { throw fail(path, keyword, "no '\(keyword)' value has the schema's type") }
        var seen = Set<[UInt8]>()
        var literals: [GrammarExpr] = []
        for value in allowed {
            let bytes = jsonSerialization(value)
            if seen.insert(bytes).inserted { literals.append(.literal(bytes)) }
        }
        return literals.count == 1 ? literals[0] : .choice(literals)
    }

    mutating func countStrings(_ count: Int, path: [String], keyword: String) throws(JSONSchemaError) {
        stringLength += count
        if stringLength > options.maxTotalStringLength {
            throw fail(path, keyword, "property names and enum values exceed \(options.maxTotalStringLength) characters in total (limit maxTotalStringLength)")
        }
    }

    // MARK: allOf

    mutating func allOf(_ schemas: [JSONValue], path: [String], depth: Int, left: Set<[String]>,
                        builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        if schemas.count == 1 {
            return try compile(schemas[0], path: path + ["0"], depth: depth, left: left, builder: &builder)
        }
        // Several: each a plain object schema (or a reference to one); merged into one object
        // with additionalProperties false (emitting no extra property is valid for every element).
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        var closedSets: [(Set<String>, Int)] = []
        for (index, element) in schemas.enumerated() {
            let elementPath = path + [String(index)]
            var schema = element
            if case let .object(members) = schema, case let .string(ref)? = members["$ref"], members.count == 1 {
                var target = root
                for token in try pointerTokens(ref, path: elementPath) {
                    guard case let .object(object) = target, let next = object[token] else {
                        throw fail(elementPath, "$ref", "the reference \(ref) points to nothing")
                    }
                    target = next
                }
                schema = target
            }
            guard case let .object(members) = schema else { throw fail(elementPath, "allOf", "allOf elements must be object schemas") }
            for key in members.keys.sorted() where !Self.annotations.contains(key) && !Self.definitionKeywords.contains(key)
                && !Self.objectKeywords.contains(key) && key != "type" {
                throw fail(elementPath, key, "allOf with several elements supports only plain object schemas (type, properties, required, additionalProperties)")
            }
            if let type = members["type"], type != .string("object") {
                throw fail(elementPath, "type", "allOf with several elements supports only object schemas")
            }
            if case let .object(props)? = members["properties"] {
                for (name, sub) in props {
                    if let existing = properties[name], existing != sub {
                        throw fail(elementPath + ["properties", name], "allOf", "property '\(name)' is declared differently in two allOf elements")
                    }
                    properties[name] = sub
                }
            }
            if case let .array(names)? = members["required"] {
                for name in names where !required.contains(name) { required.append(name) }
            }
            switch members["additionalProperties"] {
            case nil, .bool(true)?: break
            case .bool(false)?:
                if case let .object(props)? = members["properties"] { closedSets.append((Set(props.keys), index)) } else { closedSets.append(([], index)) }
            default:
                throw fail(elementPath, "additionalProperties", "allOf with several elements supports additionalProperties only as a boolean")
            }
        }
        for (names, index) in closedSets {
            for name in properties.keys.sorted() where !names.contains(name) {
                throw fail(path + [String(index)], "additionalProperties", "property '\(name)' of another allOf element is not allowed by this one")
            }
            for case let .string(name) in required where !names.contains(name) {
                throw fail(path + [String(index)], "additionalProperties", "required property '\(name)' is not allowed by this allOf element")
            }
        }
        let merged: [String: JSONValue] = [
            "properties": .object(properties), "required": .array(required), "additionalProperties": .bool(false),
        ]
        return try object(merged, path: path, depth: depth + 1, builder: &builder)
    }

}

extension String {
    /// `%XX` escapes decoded (a JSON pointer in a URI fragment may use them); self when malformed.
    var removingPercentEncodingIfPossible: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = Array(utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return self }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
