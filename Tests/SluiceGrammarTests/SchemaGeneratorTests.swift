import Foundation
import SluiceAPI
import Testing
@testable import SluiceGrammar

/// Documents generated at random FROM the grammars parse as JSON (Foundation's
/// JSONSerialization and SluiceAPI's parser) and validate against their schema (a small
/// validator for the keywords of the corpus, written independently of the compiler).
@Suite struct SchemaGeneratorTests {
    static let corpus: [String] = [
        #"{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":130},"email":{"type":"string","format":"email"}},"required":["name","age"],"additionalProperties":false}"#,
        #"{"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"null"},"c":{"type":"number","minimum":-3.5,"exclusiveMaximum":7}},"additionalProperties":false}"#,
        #"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],"additionalProperties":{"type":"string","minLength":1,"maxLength":4}}"#,
        #"{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}-\\d{2,4}$"},"qty":{"type":"integer","exclusiveMinimum":0,"maximum":1000}},"required":["sku","qty"],"additionalProperties":false},"minItems":1,"maxItems":4}"#,
        ##"{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":-50,"maximum":50},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":3}},"required":["v","kids"],"additionalProperties":false}},"$ref":"#/$defs/node"}"##,
        #"{"type":"object","properties":{"when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},"at":{"type":"string","format":"time"},"id":{"type":"string","format":"uuid"},"ip":{"type":"string","format":"ipv4"},"site":{"type":"string","format":"uri"},"host":{"type":"string","format":"hostname"},"span":{"type":"string","format":"duration"},"ip6":{"type":"string","format":"ipv6"}},"required":["when","day","at","id","ip","site","host","span","ip6"],"additionalProperties":false}"#,
        #"{"anyOf":[{"type":"string","enum":["red","green","a\"b\\c"]},{"type":["integer","null"],"minimum":10,"maximum":20},{"type":"array","prefixItems":[{"type":"string"},{"const":{"k":[1,2]}}],"items":{"type":"boolean"},"maxItems":5}]}"#,
        #"{"type":"object","properties":{"text":{"type":"string","pattern":"[^a-z]{2}x?$"},"word":{"type":"string","pattern":"^(foo|ba[rz])+\\.(?:json|txt)$"},"any":{}},"required":["text","word","any"]}"#,
        #"{"type":"number"}"#,
        #"{"type":"number","minimum":0.25,"maximum":99.5}"#,
        #"{"type":"string","minLength":3,"maxLength":6}"#,
        #"{"type":"object"}"#,
        // Length bounds beside a format or a pattern: the pattern narrowed to fit (PatternLengthFit).
        #"{"type":"object","properties":{"email":{"type":"string","format":"email","minLength":12,"maxLength":20},"site":{"type":"string","format":"uri","maxLength":24},"code":{"type":"string","pattern":"^[A-Z]{2}\\d+$","minLength":4,"maxLength":5},"note":{"type":"string","pattern":"ok","maxLength":6},"host":{"type":"string","format":"hostname","minLength":30}},"required":["email","site","code","note","host"],"additionalProperties":false}"#,
    ]

    @Test(arguments: corpus.indices)
    func generatedDocumentsParseAndValidate(_ index: Int) throws {
        let schema = try JSONParser.parse(Self.corpus[index])
        var builder = GrammarBuilder()
        let root = try JSONSchemaCompiler().compile(schema, into: &builder)
        let grammar = builder.build(root: root)
        var generator = RandomDocumentGenerator(grammar, seed: UInt64(index) * 1000 + 1)
        let recognizer = ReferenceRecognizer(grammar)
        for _ in 0..<150 {
            let document = generator.generate(depth: 14)
            let text = String(decoding: document, as: UTF8.self)
            #expect(recognizer.accepts(document), "generator and recognizer disagree on \(text)")
            #expect((try? JSONSerialization.jsonObject(with: Data(document), options: [.fragmentsAllowed])) != nil,
                    "JSONSerialization rejects \(text)")
            guard let value = try? JSONParser.parse(document) else {
                Issue.record("JSONParser rejects \(text)")
                continue
            }
            if let problem = MiniValidator(root: schema).problem(value, schema) {
                Issue.record("\(text) does not validate: \(problem)")
            }
        }
    }

    @Test func generatedDocumentsWithSpacesParseAndValidate() throws {
        var options = JSONSchemaOptions()
        options.whitespace = .spaceAfterSeparators
        for (index, text) in Self.corpus.enumerated() {
            let schema = try JSONParser.parse(text)
            var builder = GrammarBuilder()
            let root = try JSONSchemaCompiler(options: options).compile(schema, into: &builder)
            var generator = RandomDocumentGenerator(builder.build(root: root), seed: UInt64(index) + 5)
            for _ in 0..<40 {
                let document = generator.generate(depth: 14)
                let text = String(decoding: document, as: UTF8.self)
                #expect(!text.contains("  ") || text.contains("\""), "\(text)")
                #expect((try? JSONSerialization.jsonObject(with: Data(document), options: [.fragmentsAllowed])) != nil, "\(text)")
                guard let value = try? JSONParser.parse(document) else { Issue.record("JSONParser rejects \(text)"); continue }
                if let problem = MiniValidator(root: schema).problem(value, schema) { Issue.record("\(text): \(problem)") }
            }
        }
    }

    /// Tool calling compiles many schemas into one builder: the shared pieces exist once, so
    /// the grammar grows by the schemas' own rules only. (Compile time is measured outside the
    /// tests: no timed assertions here.)
    @Test func manySchemasInOneBuilderShareTheirPieces() throws {
        var builder = GrammarBuilder()
        var roots: [GrammarExpr] = []
        for text in Self.corpus + Self.corpus {
            roots.append(try JSONSchemaCompiler().compile(try JSONParser.parse(text), into: &builder))
        }
        let grammar = builder.build(root: .choice(roots))
        var single = 0
        for text in Self.corpus {
            var alone = GrammarBuilder()
            let root = try JSONSchemaCompiler().compile(try JSONParser.parse(text), into: &alone)
            single += alone.build(root: root).rules.count
        }
        #expect(grammar.rules.count < 2 * single)
        for name in ["json-char", "json-string", "json-value", "format:date-time", "format:email"] {
            #expect(grammar.ruleNames.filter { $0 == name }.count == 1, "\(name)")
        }
        let recognizer = ReferenceRecognizer(grammar)
        let accepted = recognizer.accepts(#"{"v":1,"kids":[]}"#)
        #expect(accepted)
    }
}

/// Validates the keywords of the corpus (not the compiler's code: its own reading of the spec).
struct MiniValidator {
    let root: JSONValue

    func resolve(_ schema: JSONValue) -> JSONValue {
        guard case let .string(ref)? = schema["$ref"] else { return schema }
        var target = root
        for token in ref.dropFirst(2).split(separator: "/") { target = target[String(token)]! }
        return target
    }

    func matches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    func typeName(_ value: JSONValue) -> String {
        if case let .number(number) = value, number == number.rounded() { return "integer-valued number" }
        return value.typeName
    }

    func number(_ value: JSONValue?) -> Double? {
        switch value {
        case let .integer(number)?: Double(number)
        case let .number(number)?: number
        default: nil
        }
    }

    func validDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return false }
        let (year, month, day) = (parts[0], parts[1], parts[2])
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(month) && (1...days[month - 1]).contains(day)
    }

    func formatProblem(_ format: String, _ text: String) -> String? {
        let time = #"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"#
        switch format {
        case "date": return validDate(text) ? nil : "not a date"
        case "time": return matches(time, text) ? nil : "not a time"
        case "date-time":
            let parts = text.split(separator: "T", maxSplits: 1).map(String.init)
            return parts.count == 2 && validDate(parts[0]) && matches(time, parts[1]) ? nil : "not a date-time"
        case "uuid": return matches(#"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"#, text) ? nil : "not a uuid"
        case "email":
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && parts[0].count <= 64 && parts[1].contains(".")
                && !parts[0].hasPrefix(".") && !parts[0].hasSuffix(".") && !parts[0].contains("..") ? nil : "not an email"
        case "ipv4":
            let octets = text.split(separator: ".", omittingEmptySubsequences: false)
            return octets.count == 4 && octets.allSatisfy { Int($0).map { (0...255).contains($0) } == true && ($0 == "0" || !$0.hasPrefix("0")) }
                ? nil : "not an ipv4"
        case "duration":
            return matches(#"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"#, text)
                && !(text.contains("W") && text.count(where: \.isLetter) > 2) ? nil : "not a duration"
        case "ipv6":
            var address = in6_addr()
            return inet_pton(AF_INET6, text, &address) == 1 ? nil : "not an ipv6"
        case "uri", "hostname":
            let allowed = #"^[A-Za-z0-9\-._~!$&'()*+,;=:@/?#%]+$"#
            guard matches(allowed, text) else { return "bad characters" }
            if format == "uri", let url = URL(string: text), url.scheme != nil, url.host != nil { return nil }
            if format == "hostname", text.count <= 253, text.split(separator: ".").allSatisfy({ !$0.hasPrefix("-") && !$0.hasSuffix("-") && $0.count <= 63 }) { return nil }
            return "not a \(format)"
        default: return "unknown format"
        }
    }

    func problem(_ value: JSONValue, _ schema: JSONValue) -> String? {
        let schema = resolve(schema)
        if case .bool(true) = schema { return nil }
        if let constant = schema["const"], constant != value { return "not the const" }
        if case let .array(options)? = schema["enum"], !options.contains(value) { return "not in enum" }
        if case let .array(alternatives)? = schema["anyOf"] {
            return alternatives.contains { problem(value, $0) == nil } ? nil : "no anyOf alternative"
        }
        var types: [String] = []
        switch schema["type"] {
        case let .string(type)?: types = [type]
        case let .array(list)?: types = list.compactMap { if case let .string(type) = $0 { type } else { nil } }
        default: break
        }
        if !types.isEmpty {
            let ok = types.contains { type in
                switch (type, value) {
                case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
                     ("integer", .integer), ("number", .integer), ("number", .number): true
                default: false
                }
            }
            if !ok { return "type \(typeName(value)) not in \(types)" }
        }
        switch value {
        case let .string(text):
            let length = text.unicodeScalars.count
            if let min = number(schema["minLength"]), Double(length) < min { return "shorter than minLength" }
            if let max = number(schema["maxLength"]), Double(length) > max { return "longer than maxLength" }
            if case let .string(pattern)? = schema["pattern"], !matches(pattern, text) { return "does not match \(pattern)" }
            if case let .string(format)? = schema["format"], let problem = formatProblem(format, text) { return problem }
        case .integer, .number:
            let x = number(value)!
            if let min = number(schema["minimum"]), x < min { return "below minimum" }
            if let max = number(schema["maximum"]), x > max { return "above maximum" }
            if let min = number(schema["exclusiveMinimum"]), x <= min { return "not above exclusiveMinimum" }
            if let max = number(schema["exclusiveMaximum"]), x >= max { return "not below exclusiveMaximum" }
        case let .array(elements):
            if let min = number(schema["minItems"]), Double(elements.count) < min { return "fewer than minItems" }
            if let max = number(schema["maxItems"]), Double(elements.count) > max { return "more than maxItems" }
            var prefix: [JSONValue] = []
            if case let .array(list)? = schema["prefixItems"] { prefix = list }
            for (index, element) in elements.enumerated() {
                let itemSchema = index < prefix.count ? prefix[index] : (schema["items"] ?? .bool(true))
                if itemSchema == .bool(false) { return "item \(index) not allowed" }
                if let problem = problem(element, itemSchema) { return "[\(index)]: \(problem)" }
            }
        case let .object(members):
            let properties: [String: JSONValue]
            if case let .object(declared)? = schema["properties"] { properties = declared } else { properties = [:] }
            if case let .array(required)? = schema["required"] {
                for case let .string(name) in required where members[name] == nil { return "missing \(name)" }
            }
            for (name, member) in members {
                if let propertySchema = properties[name] {
                    if let problem = problem(member, propertySchema) { return ".\(name): \(problem)" }
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) { return "additional property \(name)" }
                    if let problem = problem(member, additional) { return ".\(name): \(problem)" }
                }
            }
        default: break
        }
        return nil
    }
}
