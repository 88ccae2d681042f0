import SluiceAPI
import Testing
@testable import SluiceGrammar

/// What the compiler refuses, and that the error names the keyword and where it is.
@Suite struct SchemaErrorTests {
    @Test func unsupportedKeywordsAreNamedWithTheirPath() {
        let error = schemaError(#"{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","pattern":"(?=x)"}}}}"#)
        #expect(error?.keyword == "pattern")
        #expect(error?.path == ["properties", "tags", "items", "pattern"])
        #expect(error?.description.contains("#/properties/tags/items/pattern") == true)

        for keyword in ["not", "contentEncoding", "patternProperties", "propertyNames", "minProperties", "maxProperties",
                        "if", "dependentRequired", "unevaluatedProperties", "contains", "nullable"] {
            let error = schemaError(#"{"type":"object","\#(keyword)":{}}"#)
            #expect(error?.keyword == keyword)
            #expect(error?.path == [keyword])
        }
        #expect(schemaError(#"{"type":"array","items":{"$anchor":"x"}}"#)?.path == ["items", "$anchor"])
        // Pydantic's tagged unions: an OpenAPI annotation over `oneOf`, whose branches' tags decide.
        var builder = GrammarBuilder()
        let tagged = JSONValue.object(["oneOf": .array([.object(["type": .string("object")])]),
                                       "discriminator": .object(["propertyName": .string("kind")])])
        #expect(throws: Never.self) { _ = try JSONSchemaCompiler().compile(tagged, into: &builder) }
    }

    @Test func unenforceableCombinationsAreRefused() {
        let cases: [(String, String)] = [
            (#"{"type":"string","format":"regex"}"#, "format"),
            (#"{"type":"string","format":"date","maxLength":3}"#, "maxLength"),
            (#"{"type":"string","pattern":"^(ab){1,2}$","minLength":5}"#, "minLength"),
            (#"{"type":"string","pattern":"^a{3}b$","maxLength":3}"#, "maxLength"),
            (#"{"type":"string","pattern":"^[a-z]{5}$","maxLength":3}"#, "pattern"),
            (#"{"type":"string","format":"email","maxLength":4}"#, "maxLength"),
            (#"{"type":"string","format":"uuid","pattern":"^a"}"#, "pattern"),
            (#"{"type":"integer","multipleOf":3}"#, "multipleOf"),
            (#"{"type":"number","multipleOf":0.5}"#, "multipleOf"),
            (#"{"type":"integer","multipleOf":2,"minimum":0,"maximum":100000}"#, "multipleOf"),
            (#"{"type":"integer","multipleOf":0,"minimum":0,"maximum":10}"#, "multipleOf"),
            (#"{"type":"number","multipleOf":1e-300,"minimum":1e300,"maximum":1e300}"#, "multipleOf"),
            (#"{"type":"number","multipleOf":1e300,"minimum":1e300,"maximum":1e300}"#, "multipleOf"),
            (#"{"type":"integer","multipleOf":7,"minimum":1,"maximum":6}"#, "multipleOf"),
            (#"{"type":"array","uniqueItems":true}"#, "uniqueItems"),
            (#"{"$ref":"http://example.com/schema"}"#, "$ref"),
            (##"{"$ref":"#/$defs/missing"}"##, "$ref"),
            (##"{"$ref":"#/$defs/a","type":"string","$defs":{"a":{}}}"##, "type"),
            (##"{"anyOf":[{"$ref":"#"},{"type":"null"}]}"##, "$ref"),
            (##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##, "$ref"),
            (#"{"anyOf":[{"type":"string"}],"minLength":2}"#, "minLength"),
            (#"{"enum":["a","b"],"maxLength":1}"#, "maxLength"),
            (#"{"enum":[]}"#, "enum"),
            (#"{"type":"string","enum":[1,2]}"#, "enum"),
            (#"{"type":"integer","minimum":5,"maximum":4}"#, "minimum"),
            (#"{"type":"array","prefixItems":[{}],"items":false,"minItems":2}"#, "minItems"),
            (#"{"type":"string","minLength":3,"maxLength":2}"#, "minLength"),
            (#"{"type":"object","properties":{},"required":["a"],"additionalProperties":false}"#, "required"),
            (#"{"allOf":[{"type":"object","properties":{"a":{}},"additionalProperties":false},{"properties":{"b":{}}}]}"#, "additionalProperties"),
            (#"{"allOf":[{"type":"string"},{"type":"object"}]}"#, "type"),
            (#"{"type":"strin"}"#, "type"),
            (#"{"type":"string","pattern":"(a)\\1"}"#, "pattern"),
            (#"{"type":"string","pattern":"a*?"}"#, "pattern"),
            (#"{"type":"string","pattern":"a^b"}"#, "pattern"),
            (#"{"type":"string","pattern":"(?<!a)b"}"#, "pattern"),
            (#"{"type":"string","pattern":"\\bword"}"#, "pattern"),
            (#"{"type":"string","pattern":"\\p{L}"}"#, "pattern"),
            (#"{"type":"string","pattern":"(a"}"#, "pattern"),
            (#"{"type":"string","pattern":"[a"}"#, "pattern"),
            (#"{"type":"string","pattern":"a{1,5000}"}"#, "pattern"),
            (#"{"type":"string","pattern":"\\q"}"#, "pattern"),
            (#"{"type":"string","pattern":"^a{,2}$"}"#, "pattern"),
        ]
        for (schema, keyword) in cases {
            let error = schemaError(schema)
            #expect(error?.keyword == keyword, "\(schema): \(String(describing: error))")
        }
        #expect(schemaError("false")?.path == [])
        #expect(schemaError("[]") != nil)
    }

    @Test func limits() {
        // Nesting: 10 levels of objects compile, 11 do not.
        func nested(_ levels: Int) -> String {
            var schema = #"{"type":"string"}"#
            for _ in 0..<levels { schema = #"{"type":"object","properties":{"x":\#(schema)},"required":["x"],"additionalProperties":false}"# }
            return schema
        }
        #expect((try? schemaGrammar(nested(10))) != nil)
        let deep = schemaError(nested(11))
        #expect(deep?.message.contains("maxNestingDepth") == true)
        #expect(deep?.path.count == 20)

        // Properties: 5000 in all.
        func properties(_ count: Int) -> String {
            #"{"type":"object","properties":{"# + (0..<count).map { #""p\#($0)":{"type":"integer"}"# }.joined(separator: ",") + "}}"
        }
        #expect((try? schemaGrammar(properties(5000))) != nil)
        #expect(schemaError(properties(5001))?.message.contains("maxProperties") == true)

        // Enum values: 1000 in all.
        func enumeration(_ count: Int, length: Int = 1) -> String {
            let pad = String(repeating: "x", count: length)
            return #"{"enum":["# + (0..<count).map { #""\#(pad)\#($0)""# }.joined(separator: ",") + "]}"
        }
        #expect((try? schemaGrammar(enumeration(1000))) != nil)
        #expect(schemaError(enumeration(1001))?.message.contains("maxEnumValues") == true)
        #expect(schemaError(#"{"anyOf":[\#(enumeration(600)),\#(enumeration(600))]}"#)?.keyword == "enum")
        // More than 250 values: at most 15,000 characters of them.
        #expect((try? schemaGrammar(enumeration(251, length: 50))) != nil)
        #expect(schemaError(enumeration(251, length: 60))?.keyword == "enum")
        // 120,000 characters of names and values.
        let long = String(repeating: "n", count: 30_000)
        let names = #"{"type":"object","properties":{"# + (0..<5).map { #""\#(long)\#($0)":{}"# }.joined(separator: ",") + "}}"
        #expect(schemaError(names)?.message.contains("maxTotalStringLength") == true)

        // The limits are options.
        var options = JSONSchemaOptions()
        options.maxNestingDepth = 2
        #expect(schemaError(nested(3), options: options) != nil)
        #expect((try? schemaGrammar(nested(2), options: options)) != nil)
    }

    /// Schemas are client input: nothing in them may trap or exhaust the stack.
    @Test func hostileSchemasAreRefusedNotCrashed() throws {
        let chain = (0..<300).map { ##""d\##($0)":{"$ref":"#/$defs/d\##($0 + 1)"}"## }.joined(separator: ",")
        #expect(schemaError(##"{"$defs":{\##(chain),"d300":{"type":"null"}},"$ref":"#/$defs/d0"}"##)?.keyword == "$ref")
        let shortChain = (0..<50).map { ##""d\##($0)":{"$ref":"#/$defs/d\##($0 + 1)"}"## }.joined(separator: ",")
        #expect((try? schemaGrammar(##"{"$defs":{\##(shortChain),"d50":{"type":"null"}},"$ref":"#/$defs/d0"}"##)) != nil)
        let parens = String(repeating: "(", count: 5000) + "a" + String(repeating: ")", count: 5000)
        #expect(schemaError(#"{"type":"string","pattern":"\#(parens)"}"#)?.keyword == "pattern")
        #expect(schemaError(#"{"type":"string","pattern":"a**"}"#)?.keyword == "pattern")
        let positional = Array(repeating: "{}", count: 101).joined(separator: ",")
        #expect(schemaError(#"{"type":"array","prefixItems":[\#(positional)]}"#)?.keyword == "prefixItems")
        #expect(schemaError(#"{"type":"integer","minimum":1e300}"#)?.keyword == "minimum")
        #expect(schemaError(#"{"type":"integer","maximum":-1e300}"#) != nil)
        #expect(schemaError(#"{"type":"number","minimum":1e300}"#) != nil)
        expectSchema(#"{"type":"number","minimum":-1e308,"maximum":1e308}"#, accepts: ["0", "-5.5", "123456789012345"])
        expectSchema(#"{"type":"integer","minimum":-1e300,"maximum":5}"#, accepts: ["-999999999999999", "5"], rejects: ["6"])
        // A very long property name, with additional properties allowed: shallow key grammar.
        let long = String(repeating: "k", count: 50_000)
        expectSchema(#"{"type":"object","properties":{"\#(long)":{"type":"integer"},"a":{"type":"integer"}},"additionalProperties":true}"#,
                     accepts: [#"{"\#(long)":1}"#, #"{"kk":1}"#, #"{"a":1,"b":2}"#, #"{"a":1,"\#(long)":1}"#],
                     rejects: [#"{"\#(long)":1,"a":1}"#, #"{"a":1,"a":2}"#, #"{"a":1,"\#(String(repeating: "x", count: 65))":2}"#])
    }

    @Test func annotationsAreIgnored() {
        expectSchema(#"""
            {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"x","title":"T","description":"d",
             "$comment":"c","type":"object","strict":true,"deprecated":false,"readOnly":true,"writeOnly":false,
             "examples":[{}],"default":{},"properties":{"a":{"type":"integer","description":"the a","default":1}},
             "required":["a"],"additionalProperties":false}
            """#, accepts: [#"{"a":1}"#])
    }
}

/// The format patterns are fixed text; each must parse and compile (StringFormats falls back to
/// refusing a format whose pattern does not, rather than trapping on a request).
@Suite struct StringFormatPatternTests {
    @Test func everyFormatPatternCompiles() {
        for format in StringFormats.supported {
            var builder = GrammarBuilder()
            #expect(StringFormats.content(format, into: &builder) != nil, "\(format)")
            #expect(StringFormats.lengthRange(format) != nil, "\(format)")
        }
    }
}
