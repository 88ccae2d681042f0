import SluiceAPI

// Array schemas (items, prefixItems, item counts) and string schemas (lengths, pattern, format).
extension SchemaCompilation {
    // MARK: array

    func nonNegativeInt(_ members: [String: JSONValue], _ keyword: String, path: [String]) throws(JSONSchemaError) -> Int? {
        guard let value = members[keyword] else { return nil }
        switch value {
        case let .integer(number) where number >= 0: return Int(min(number, Int64(Int32.max)))
        case let .number(number) where number >= 0 && number == number.rounded(): return Int(min(number, Double(Int32.max)))
        default: throw fail(path, keyword, "'\(keyword)' must be a non-negative integer")
        }
    }

    mutating func array(_ members: [String: JSONValue], path: [String], depth: Int,
                        builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        if depth > options.maxNestingDepth {
            throw fail(path, nil, "objects and arrays are nested deeper than \(options.maxNestingDepth) levels (limit maxNestingDepth)")
        }
        if let unique = members["uniqueItems"], unique != .bool(false) {
            throw fail(path, "uniqueItems", "uniqueItems is not supported")
        }
        let minItems = try nonNegativeInt(members, "minItems", path: path) ?? 0
        let maxItems = try nonNegativeInt(members, "maxItems", path: path)
        var prefixSchemas: [JSONValue] = []
        var prefixKeyword = "prefixItems"
        var restSchema: JSONValue = .bool(true)
        var restKeyword = "items"
        if let prefix = members["prefixItems"] {
            guard case let .array(list) = prefix else { throw fail(path, "prefixItems", "'prefixItems' must be an array of schemas") }
            prefixSchemas = list
            if members["additionalItems"] != nil { throw fail(path, "additionalItems", "'additionalItems' goes with the array form of 'items', not with 'prefixItems'") }
            if let items = members["items"] { restSchema = items }
        } else if case let .array(list)? = members["items"] {
            prefixSchemas = list
            prefixKeyword = "items"
            if let additionalItems = members["additionalItems"] { restSchema = additionalItems }
            restKeyword = "additionalItems"
        } else {
            if members["additionalItems"] != nil { throw fail(path, "additionalItems", "'additionalItems' needs the array form of 'items'") }
            if let items = members["items"] { restSchema = items }
        }
        if prefixSchemas.isEmpty, minItems == 0, maxItems == nil, restSchema == .bool(true) {
            return .rule(anyArrayRule(&builder))
        }
        guard prefixSchemas.count <= Self.maxPrefixItems else {
            throw fail(path, prefixKeyword, "more than \(Self.maxPrefixItems) positional item schemas")
        }
        var prefix: [GrammarExpr] = []
        for (index, schema) in prefixSchemas.enumerated() {
            prefix.append(try compile(schema, path: path + [prefixKeyword, String(index)], depth: depth, left: [], builder: &builder))
        }
        var rest: GrammarExpr? = try compile(restSchema, path: path + [restKeyword], depth: depth, left: [], builder: &builder)
        if rest == .choice([]) { rest = nil }
        if let item = rest { rest = shared(item, name: path + [restKeyword], builder: &builder) }
        let longest = rest == nil ? prefix.count : Int.max
        if minItems > min(maxItems ?? Int.max, longest) {
            throw fail(path, "minItems", "no array satisfies minItems \(minItems) with the other array keywords")
        }
        let comma = pieces.comma
        // Elements from index i on (i ≥ 1), each comma-first.
        func tail(_ index: Int) -> GrammarExpr {
            if let maxItems, index >= maxItems { return .empty }
            if index < prefix.count {
                let element = GrammarExpr.sequence([comma, prefix[index], tail(index + 1)])
                return index < minItems ? element : .optional(element)
            }
            guard let rest else { return .empty }
            return .repetition(.sequence([comma, rest]), min: max(minItems - index, 0), max: maxItems.map { $0 - index })
        }
        var content: GrammarExpr = .empty
        if maxItems != 0 {
            var first: GrammarExpr?
            if let element = prefix.first {
                first = .sequence([element, tail(1)])
            } else if let rest {
                first = .sequence([rest, tail(1)])
            }
            if let first { content = minItems > 0 ? first : .optional(first) }
        }
        return .sequence([.literal("["), content, .literal("]")])
    }

    func anyArrayRule(_ builder: inout GrammarBuilder) -> RuleID { pieces.arrayRule(&builder) }

    // MARK: string

    mutating func string(_ members: [String: JSONValue], path: [String], builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        let minLength = try nonNegativeInt(members, "minLength", path: path)
        let maxLength = try nonNegativeInt(members, "maxLength", path: path)
        let quote = GrammarExpr.literal("\"")
        if let format = members["format"] {
            guard case let .string(name) = format else { throw fail(path, "format", "'format' must be a string") }
            if members["pattern"] != nil { throw fail(path, "pattern", "'pattern' together with 'format' is not supported") }
            guard let content = StringFormats.content(name, into: &builder) else {
                throw fail(path, "format", "unsupported format '\(name)' (supported: \(StringFormats.supported.joined(separator: ", ")))")
            }
            // Length bounds: the format as is when all its strings fit, else the format's pattern
            // narrowed to the bounds (PatternLengthFit.swift).
            if minLength != nil || maxLength != nil, let (low, high) = StringFormats.lengthRange(name),
               low < (minLength ?? 0) || (maxLength.map { limit in high.map { $0 > limit } ?? true } ?? false) {
                if let minLength, let maxLength, minLength > maxLength {
                    throw fail(path, "minLength", "minLength is greater than maxLength")
                }
                guard let fitted = StringFormats.content(name, minLength: minLength ?? 0, maxLength: maxLength, into: &builder) else {
                    let keyword = maxLength != nil ? "maxLength" : "minLength"
                    throw fail(path, keyword, "no string of format '\(name)' has a length within minLength and maxLength")
                }
                return .sequence([quote, fitted, quote])
            }
            return .sequence([quote, content, quote])
        }
        if let pattern = members["pattern"] {
            guard case let .string(text) = pattern else { throw fail(path, "pattern", "'pattern' must be a string") }
            let lengths: (Int, Int?)? = minLength == nil && maxLength == nil ? nil : (minLength ?? 0, maxLength)
            let compiled: GrammarExpr?
            do {
                compiled = try PatternCompiler.compile(text, maxRepetition: options.maxPatternRepetition, lengths: lengths, into: &builder)
            } catch {
                throw fail(path, "pattern", "unsupported pattern: \(error.message)")
            }
            guard let content = compiled else {
                let keyword = minLength != nil ? "minLength" : "maxLength"
                throw fail(path, keyword, "no string matching this 'pattern' has a length within minLength and maxLength")
            }
            return .sequence([quote, content, quote])
        }
        if minLength == nil, maxLength == nil { return .rule(JSONPieces.stringRule(&builder)) }
        if let minLength, let maxLength, minLength > maxLength {
            throw fail(path, "minLength", "minLength is greater than maxLength")
        }
        let char = GrammarExpr.rule(JSONPieces.stringCharRule(&builder))
        return .sequence([quote, .repetition(char, min: minLength ?? 0, max: maxLength), quote])
    }
}
