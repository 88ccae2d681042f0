import SluiceAPI

// Object schemas: properties in order, required and optional members, additional properties
// (see the policy in JSONSchemaCompiler.swift).
extension SchemaCompilation {
    // MARK: object

    /// `expr` itself when it is cheap to repeat, else a rule holding it.
    func shared(_ expr: GrammarExpr, name: [String], builder: inout GrammarBuilder) -> GrammarExpr {
        switch expr {
        case .rule, .literal, .bytes: return expr
        default: return .rule(builder.add("#/" + name.joined(separator: "/"), expr))
        }
    }

    mutating func object(_ members: [String: JSONValue], path: [String], depth: Int,
                         builder: inout GrammarBuilder) throws(JSONSchemaError) -> GrammarExpr {
        if depth > options.maxNestingDepth {
            throw fail(path, nil, "objects and arrays are nested deeper than \(options.maxNestingDepth) levels (limit maxNestingDepth)")
        }
        var properties: [String: JSONValue] = [:]
        if let value = members["properties"] {
            guard case let .object(object) = value else { throw fail(path, "properties", "'properties' must be an object") }
            properties = object
        }
        var requiredNames: [String] = []
        var requiredSet = Set<String>()
        if let value = members["required"] {
            guard case let .array(names) = value else { throw fail(path, "required", "'required' must be an array of strings") }
            for name in names {
                guard case let .string(text) = name else { throw fail(path, "required", "'required' must be an array of strings") }
                guard requiredSet.insert(text).inserted else { throw fail(path, "required", "'\(text)' is listed twice") }
                requiredNames.append(text)
            }
        }
        propertyCount += properties.count
        if propertyCount > options.maxProperties {
            throw fail(path, "properties", "more than \(options.maxProperties) properties in the schema (limit maxProperties)")
        }
        var nameLength = 0
        for name in properties.keys { nameLength += name.unicodeScalars.count }
        try countStrings(nameLength, path: path, keyword: "properties")

        var additional: GrammarExpr?
        switch members["additionalProperties"] {
        case nil where !properties.isEmpty && !options.additionalPropertiesWhenAbsent:
            // Properties declared, extras not mentioned: none generated (llama.cpp, XGrammar and
            // Outlines do the same). Every output still validates; what it prevents is a small
            // model inventing keys after the declared ones until `max_tokens`.
            additional = nil
        case nil, .bool(true)?: additional = .rule(pieces.valueRule(&builder))
        case .bool(false)?: additional = nil
        case let schema?:
            let expr = try compile(schema, path: path + ["additionalProperties"], depth: depth, left: [], builder: &builder)
            if expr == .choice([]) { additional = nil } else { additional = expr }
        }
        if properties.isEmpty, requiredNames.isEmpty, members["additionalProperties"] == nil || members["additionalProperties"] == .bool(true) {
            return .rule(pieces.objectRule(&builder, value: pieces.valueRule(&builder), string: JSONPieces.stringRule(&builder)))
        }
        for name in requiredNames where properties[name] == nil {
            guard additional != nil || members["additionalProperties"] == nil else {
                throw fail(path, "required", "required property '\(name)' is not allowed: it is not in 'properties' and additionalProperties is false")
            }
            properties[name] = members["additionalProperties"] ?? .bool(true)
        }
        // The order: the schema document's own (when the caller recorded it), else required
        // ones in `required` order, then the rest by name.
        var order: [String]
        if let recorded = keyOrder[path + ["properties"]] {
            order = recorded.filter { properties[$0] != nil }
            let listed = Set(order)
            order += requiredNames.filter { !listed.contains($0) } + properties.keys.filter { !listed.contains($0) && !requiredSet.contains($0) }.sorted()
        } else {
            order = requiredNames + properties.keys.filter { !requiredSet.contains($0) }.sorted()
        }

        var items: [(name: String, expr: GrammarExpr, required: Bool)] = []
        for name in order {
            let value = try compile(properties[name]!, path: path + ["properties", name], depth: depth, left: [], builder: &builder)
            let isRequired = requiredSet.contains(name)
            if value == .choice([]) {
                if isRequired { throw fail(path + ["properties", name], nil, "required property '\(name)' has the schema false") }
                continue  // `false`: the property must be absent
            }
            items.append((name, .sequence([.literal(jsonStringBytes(name)), pieces.colon, value]), isRequired))
        }
        let declaredNames = Set(properties.keys)
        let extraKey: GrammarExpr? = additional == nil ? nil
            : declaredNames.isEmpty ? .rule(JSONPieces.stringRule(&builder)) : Self.keyExcluding(declaredNames, builder: &builder)
        let extra = additional.map { GrammarExpr.sequence([extraKey!, pieces.colon, $0]) }
        let comma = pieces.comma
        let extras: GrammarExpr? = extra.map { .repetition(.sequence([comma, $0]), min: 0, max: nil) }

        // The member written first has no comma before it. It is one of the optional members
        // before the first required one, or that required one (or, with no required member,
        // any member or an additional one, or there is none at all). Every later member is
        // comma-first: tails[k] is members k… so, each optional one optional.
        let firstRequired = items.firstIndex { $0.required }
        let firstCandidates = firstRequired.map { $0 + 1 } ?? items.count
        var exprs = items.map(\.expr)
        if firstCandidates > 1 || (firstCandidates == 1 && firstRequired == nil && extra != nil) {
            // Members reachable from several first choices are rules, so they exist once.
            for index in exprs.indices { exprs[index] = shared(exprs[index], name: path + ["properties", items[index].name], builder: &builder) }
        }
        // Flat sequences (no nesting as deep as the member count), except with many members and
        // several first choices, where the tails become a chain of rules (linear size).
        let elements = items.indices.map { index -> GrammarExpr in
            let element = GrammarExpr.sequence([comma, exprs[index]])
            return items[index].required ? element : .optional(element)
        }
        let chained = firstCandidates > 1 && items.count > 16
        var tailRules = [GrammarExpr?](repeating: nil, count: items.count + 1)
        if chained {
            var next: GrammarExpr = extras ?? .empty
            for index in stride(from: items.count - 1, through: 1, by: -1) {
                next = .rule(builder.add("#/" + (path + ["tail", String(index)]).joined(separator: "/"), .sequence([elements[index], next])))
                tailRules[index] = next
            }
        }
        func tail(_ start: Int) -> [GrammarExpr] {
            if start >= items.count { return extras.map { [$0] } ?? [] }
            if let rule = tailRules[start] { return [rule] }
            return Array(elements[start...]) + (extras.map { [$0] } ?? [])
        }
        var firsts: [GrammarExpr] = []
        for index in 0..<firstCandidates { firsts.append(.sequence([exprs[index]] + tail(index + 1))) }
        if firstRequired == nil, let extra, let extras { firsts.append(.sequence([extra, extras])) }
        var content: [GrammarExpr] = []
        if !firsts.isEmpty {
            let first = firsts.count == 1 ? firsts[0] : .choice(firsts)
            content.append(firstRequired == nil ? .optional(first) : first)
        }
        return .sequence([.literal("{")] + content + [.literal("}")])
    }

    /// A JSON string key (quotes included) that is none of `names`: unescaped characters only
    /// (so each key has one spelling), at most `maxAdditionalKeyLength` of them (so the trie, and
    /// the expression, stay shallow; longer names can never be spelt), walking the trie of the
    /// names: at each node the key may end (unless the node spells a name), follow a child, or
    /// leave the trie with any other character and then go on freely.
    static let maxAdditionalKeyLength = 64
    /// Positional item schemas (`prefixItems`) of one array: their grammar nests one level each.
    static let maxPrefixItems = 100

    static func keyExcluding(_ names: Set<String>, builder: inout GrammarBuilder) -> GrammarExpr {
        let plain = ScalarSet([0x20...0x21, 0x23...0x5B, 0x5D...ScalarSet.maxScalar])
        let plainRule = builder.sharedRule("json-plain-key-char") { _, _ in PatternCompiler.encode(plain) }
        let quote = GrammarExpr.literal("\"")
        let maxLength = Self.maxAdditionalKeyLength
        final class Node {
            var children: [UInt32: Node] = [:]
            var terminal = false
        }
        let root = Node()
        for name in names {
            let scalars = name.unicodeScalars.map(\.value)
            // Names with escapes or longer than any additional key cannot be spelt anyway.
            guard scalars.count <= maxLength, scalars.allSatisfy({ plain.contains($0) }) else { continue }
            var node = root
            for scalar in scalars {
                if let child = node.children[scalar] { node = child } else {
                    let child = Node()
                    node.children[scalar] = child
                    node = child
                }
            }
            node.terminal = true
        }
        func expression(_ node: Node, depth: Int) -> GrammarExpr {
            var alternatives: [GrammarExpr] = []
            if !node.terminal { alternatives.append(quote) }
            guard depth < maxLength else { return .choice(alternatives) }
            for scalar in node.children.keys.sorted() {
                alternatives.append(.sequence([.literal(jsonEncodedScalar(scalar)), expression(node.children[scalar]!, depth: depth + 1)]))
            }
            let others = ScalarSet(node.children.keys.map { $0...$0 }).union(plain.complement).complement
            let freeTail = GrammarExpr.sequence([.repetition(.rule(plainRule), min: 0, max: maxLength - depth - 1), quote])
            if !others.ranges.isEmpty {
                let key = "json-plain-key-char-but:" + node.children.keys.sorted().map { String($0, radix: 16) }.joined(separator: ",")
                let divergent = node.children.isEmpty ? plainRule : builder.sharedRule(key) { _, _ in PatternCompiler.encode(others) }
                alternatives.append(.sequence([.rule(divergent), freeTail]))
            }
            return .choice(alternatives)
        }
        return .sequence([quote, expression(root, depth: 0)])
    }
}
