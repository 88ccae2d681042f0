import SluiceAPI
import Testing
@testable import SluiceGrammar

/// Hand-written documents (compact whitespace) accepted and rejected by the grammars of a
/// corpus of schemas, checked with the reference recognizer.
@Suite struct SchemaCompilerTests {
    @Test func strictObjectKeepsTheRequiredOrder() {
        expectSchema(#"""
            {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},
             "required":["name","age"],"additionalProperties":false}
            """#,
            accepts: [#"{"name":"Ann","age":31}"#, #"{"name":"","age":-5}"#, #"{"name":"\u00e9\n\"","age":0}"#,
                      #"{"name":"é😀","age":123456789012345}"#],
            rejects: [#"{"age":31,"name":"Ann"}"#, #"{"name":"Ann"}"#, #"{"name":"Ann","age":31,"x":1}"#,
                      #"{"name":"Ann","age":031}"#, #"{"name":"Ann","age":1.5}"#, #"{ "name":"Ann","age":1}"#,
                      #"{"name":"Ann","age":1} "#, #"{"name":"Ann","age":1234567890123456}"#, #"{"name":Ann,"age":1}"#])
    }

    @Test func optionalPropertiesInNameOrderWithCommasRight() {
        expectSchema(#"""
            {"type":"object","properties":{"c":{"type":"number"},"b":{"type":"null"},"a":{"type":"boolean"}},
             "additionalProperties":false}
            """#,
            accepts: ["{}", #"{"a":true}"#, #"{"b":null}"#, #"{"a":false,"c":1.25}"#, #"{"a":true,"b":null,"c":-0.5e3}"#,
                      #"{"c":1E+2}"#, #"{"b":null,"c":0}"#],
            rejects: [#"{,"a":true}"#, #"{"a":true,}"#, #"{"b":null,"a":true}"#, #"{"c":01}"#, #"{"c":1.}"#, #"{"c":.5}"#,
                      #"{"a":true,"a":true}"#, #"{"d":1}"#])
    }

    @Test func manyOptionalPropertiesUseTailRules() {
        let names = (0..<40).map { "p" + ($0 < 10 ? "0" : "") + String($0) }
        let properties = names.map { #""\#($0)":{"type":"integer"}"# }.joined(separator: ",")
        expectSchema(#"{"type":"object","properties":{\#(properties)},"additionalProperties":false}"#,
                     accepts: ["{}", #"{"p00":1}"#, #"{"p07":1,"p39":2}"#, "{" + names.map { #""\#($0)":0"# }.joined(separator: ",") + "}"],
                     rejects: [#"{"p39":1,"p07":2}"#, #"{"p40":1}"#])
    }

    /// Rule bodies stay shallow however many members an object has (deeply nested expressions
    /// would cost every consumer stack depth).
    @Test func manyPropertiesGiveShallowExpressions() throws {
        func depth(_ expr: GrammarExpr) -> Int {
            switch expr {
            case .literal, .bytes, .rule: 1
            case let .sequence(parts), let .choice(parts): 1 + (parts.map(depth).max() ?? 0)
            case let .repetition(inner, _, _): 1 + depth(inner)
            }
        }
        let names = (0..<1000).map { "p\($0)" }
        let properties = names.map { #""\#($0)":{"type":"integer"}"# }.joined(separator: ",")
        let required = names.prefix(600).map { #""\#($0)""# }.joined(separator: ",")
        for schema in [#"{"type":"object","properties":{\#(properties)},"required":[\#(required)],"additionalProperties":false}"#,
                       #"{"type":"object","properties":{\#(properties)}}"#] {
            let grammar = try schemaGrammar(schema)
            #expect(grammar.rules.map(depth).max()! < 40)
        }
    }

    @Test func additionalPropertiesComeAfterTheDeclaredOnes() {
        // Absent beside declared properties: no extras generated (JSONSchemaOptions.additionalPropertiesWhenAbsent).
        expectSchema(#"{"type":"object","properties":{"id":{"type":"integer"},"note":{"type":"string"}},"required":["id"]}"#,
                     accepts: [#"{"id":1}"#, #"{"id":1,"note":"x"}"#], rejects: [#"{"id":1,"zzz":true}"#])
        expectSchema(#"{"type":"object","properties":{"id":{"type":"integer"},"note":{"type":"string"}},"required":["id"],"additionalProperties":true}"#,
                     accepts: [#"{"id":1}"#, #"{"id":1,"note":"x"}"#, #"{"id":1,"note":"x","extra":[1,{"k":null}]}"#,
                               #"{"id":1,"zzz":true}"#, #"{"id":1,"not":1,"notes":2,"nope":3,"i":4,"":5,"idé":6}"#],
                     rejects: [#"{"note":"x","id":1}"#, #"{"id":1,"extra":1,"note":2}"#, #"{"id":1,"note":"x","note":"y"}"#,
                               #"{"id":1,"id":2}"#, #"{"id":1,"a\b":1}"#, "{}"])
        expectSchema(#"{"type":"object","additionalProperties":{"type":"integer"}}"#,
                     accepts: ["{}", #"{"a":1}"#, #"{"a":1,"b":2}"#], rejects: [#"{"a":"x"}"#, #"{"a":1,}"#])
        expectSchema(#"{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string"}}"#,
                     accepts: ["{}", #"{"a":1}"#, #"{"a":1,"b":"x"}"#, #"{"b":"x","c":"y"}"#],
                     rejects: [#"{"b":1}"#, #"{"b":"x","a":1}"#])
        expectSchema(#"{"type":"object"}"#, accepts: ["{}", #"{"a":{"b":[1,"x",null,true]}}"#], rejects: ["[]", "{"])
        expectSchema(#"{"type":"object","properties":{"gone":false,"a":{"type":"integer"}},"additionalProperties":false}"#,
                     accepts: ["{}", #"{"a":1}"#], rejects: [#"{"gone":1}"#])
        expectSchema(#"{"type":"object","properties":{"gone":false,"a":{"type":"integer"}},"additionalProperties":true}"#,
                     accepts: ["{}", #"{"a":1}"#, #"{"gon":1,"goner":2}"#], rejects: [#"{"gone":1}"#, #"{"a":1,"gone":1}"#])
    }

    @Test func arraysOfObjectsWithItemBounds() {
        expectSchema(#"""
            {"type":"object","properties":{"items":{"type":"array","items":{"type":"object",
              "properties":{"sku":{"type":"string"},"qty":{"type":"integer","minimum":1,"maximum":99}},
              "required":["sku","qty"],"additionalProperties":false},"minItems":1,"maxItems":3}},
             "required":["items"],"additionalProperties":false}
            """#,
            accepts: [#"{"items":[{"sku":"a","qty":1}]}"#, #"{"items":[{"sku":"a","qty":99},{"sku":"b","qty":10},{"sku":"c","qty":5}]}"#],
            rejects: [#"{"items":[]}"#, #"{"items":[{"sku":"a","qty":0}]}"#, #"{"items":[{"sku":"a","qty":100}]}"#,
                      #"{"items":[{"sku":"a","qty":1},{"sku":"a","qty":1},{"sku":"a","qty":1},{"sku":"a","qty":1}]}"#])
        expectSchema(#"{"type":"array"}"#, accepts: ["[]", #"[1,"a",[],{}]"#], rejects: ["[,]", "[1,]"])
        expectSchema(#"{"type":"array","items":{"type":"integer"},"maxItems":0}"#, accepts: ["[]"], rejects: ["[1]"])
        expectSchema(#"{"type":"array","items":{"type":"integer"},"minItems":2}"#, accepts: ["[1,2]", "[1,2,3]"], rejects: ["[]", "[1]"])
    }

    @Test func prefixItems() {
        expectSchema(#"{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false}"#,
                     accepts: ["[]", #"["a"]"#, #"["a",1]"#], rejects: [#"["a",1,2]"#, "[1]", #"[,"a"]"#])
        expectSchema(#"{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false,"minItems":2}"#,
                     accepts: [#"["a",1]"#], rejects: ["[]", #"["a"]"#])
        expectSchema(#"{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":{"type":"boolean"},"maxItems":4}"#,
                     accepts: [#"["a",1,true,false]"#, #"["a",1]"#, #"["a"]"#],
                     rejects: [#"["a",1,true,false,true]"#, #"["a",1,2]"#])
        // draft-4 tuple form
        expectSchema(#"{"type":"array","items":[{"type":"null"}],"additionalItems":false}"#,
                     accepts: ["[]", "[null]"], rejects: ["[null,null]"])
    }

    @Test func enumAndConst() {
        expectSchema(#"{"enum":["red","green",1,null,{"b":1,"a":[1,2]},"a\"b",2.5]}"#,
                     accepts: [#""red""#, "1", "null", #"{"a":[1,2],"b":1}"#, #""a\"b""#, "2.5"],
                     rejects: [#""blue""#, #""Red""#, "1.0", #"{"b":1,"a":[1,2]}"#])
        expectSchema(#"{"type":"string","enum":["a",1]}"#, accepts: [#""a""#], rejects: ["1"])
        expectSchema(#"{"const":"x","description":"only x"}"#, accepts: [#""x""#], rejects: [#""y""#])
        expectSchema(#"{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number"}},"required":["kind","r"],"additionalProperties":false}"#,
                     accepts: [#"{"kind":"circle","r":2}"#], rejects: [#"{"kind":"square","r":2}"#])
    }

    @Test func recursiveSchemas() {
        expectSchema(##"""
            {"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},
              "children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["value","children"],
              "additionalProperties":false}},"$ref":"#/$defs/node"}
            """##,
            accepts: [#"{"value":1,"children":[]}"#, #"{"value":1,"children":[{"value":2,"children":[{"value":3,"children":[]}]}]}"#],
            rejects: [#"{"value":1}"#, #"{"value":1,"children":[{"value":2}]}"#])
        expectSchema(##"""
            {"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["next"],
             "additionalProperties":false}
            """##,
            accepts: [#"{"next":null}"#, #"{"next":{"next":{"next":null}}}"#], rejects: [#"{"next":{}}"#])
        expectSchema(##"{"definitions":{"a":{"type":"string","maxLength":2}},"type":"array","items":{"$ref":"#/definitions/a"}}"##,
                     accepts: [#"["ab","c"]"#], rejects: [#"["abc"]"#])
        expectSchema(##"{"type":"object","properties":{"a":{"type":"integer"},"b":{"$ref":"#/properties/a"}},"required":["a","b"],"additionalProperties":false}"##,
                     accepts: [#"{"a":1,"b":2}"#], rejects: [#"{"a":1,"b":"x"}"#])
    }

    @Test func anyOfAndTypeArrays() {
        expectSchema(#"{"type":["string","null"]}"#, accepts: [#""x""#, "null"], rejects: ["1", "nul"])
        expectSchema(#"{"anyOf":[{"type":"integer"},{"type":"array","items":{"type":"boolean"}}]}"#,
                     accepts: ["12", "[true,false]", "[]"], rejects: ["1.5", "[1]"])
        expectSchema(#"{"oneOf":[{"type":"boolean"},{"type":"null"}]}"#, accepts: ["true", "null"], rejects: ["0"])
        expectSchema(#"{"type":["integer","number"]}"#, accepts: ["1", "1.5"], rejects: [#""1""#])
        expectSchema("{}", accepts: ["1", #""x""#, "[]", #"{"a":null}"#, "true"], rejects: ["", "tru", "[1,]"])
        expectSchema("true", accepts: ["null"], rejects: ["nul"])
        expectSchema(#"{"description":"no type: any"}"#, accepts: ["null", "[]"])
        // Types inferred from the keywords.
        expectSchema(#"{"properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}"#,
                     accepts: [#"{"a":1}"#], rejects: ["1", #""x""#])
    }

    @Test func allOfMergesObjectSchemas() {
        expectSchema(#"{"allOf":[{"type":"string","maxLength":1}]}"#, accepts: [#""a""#], rejects: [#""ab""#])
        expectSchema(##"""
            {"$defs":{"base":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}},
             "allOf":[{"$ref":"#/$defs/base"},{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}]}
            """##,
            accepts: [#"{"id":1,"name":"x"}"#], rejects: [#"{"id":1}"#, #"{"id":1,"name":"x","z":1}"#])
    }

    @Test func stringLengthsCountCharacters() {
        expectSchema(#"{"type":"string","minLength":2,"maxLength":3}"#,
                     accepts: [#""ab""#, #""é€""#, #""a\nb""#, #""😀😀""#, #""\ud83d\ude00x""#, #""a\u0041""#],
                     rejects: [#""a""#, #""abcd""#, #""😀""#, #""a\"""# + #"bc""#])
    }

    @Test func jsonStringsAreWellFormed() throws {
        let grammar = try schemaGrammar(#"{"type":"string"}"#)
        let recognizer = ReferenceRecognizer(grammar)
        for valid: [UInt8] in [Array(#""\/\b\f\r\t\\""#.utf8), [0x22, 0xC2, 0x80, 0x22], [0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22],
                               [0x22, 0xEF, 0xBF, 0xBF, 0x22], [0x22, 0x7F, 0x22]] {
            #expect(recognizer.accepts(valid), "\(valid)")
        }
        for invalid: [UInt8] in [[0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
                                 [0x22, 0xE0, 0x80, 0x80, 0x22], [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], [0x22, 0x0A, 0x22],
                                 [0x22, 0x80, 0x22], Array(#""\ud800""#.utf8), Array(#""\x""#.utf8), Array(#""\u12""#.utf8),
                                 Array(#""\udc00\ud800""#.utf8)] {
            #expect(!recognizer.accepts(invalid), "\(invalid)")
        }
    }

    @Test func formats() {
        func format(_ name: String) -> String { #"{"type":"string","format":"\#(name)"}"# }
        expectSchema(format("date-time"),
                     accepts: [#""2024-02-29T12:30:00Z""#, #""2023-12-31T23:59:59.123+05:30""#, #""2000-02-29T00:00:00-01:00""#],
                     rejects: [#""2023-02-29T00:00:00Z""#, #""2024-13-01T00:00:00Z""#, #""2024-01-01 00:00:00Z""#,
                               #""2024-01-01T24:00:00Z""#, #""2024-01-01T00:00:00""#])
        expectSchema(format("date"), accepts: [#""2000-02-29""#, #""0400-02-29""#, #""0001-01-01""#, #""0010-01-01""#, #""0100-01-01""#, #""1000-01-01""#, #""2023-04-30""#, #""2024-02-29""#, #""1996-02-29""#],
                     rejects: [#""0000-01-01""#, #""0000-02-29""#, #""1900-02-29""#, #""2023-04-31""#, #""2023-4-01""#, #""2023-02-29""#, #""2023-00-10""#])
        expectSchema(format("time"), accepts: [#""23:59:59Z""#, #""00:00:00.5+01:00""#], rejects: [#""23:60:00Z""#, #""1:00:00Z""#])
        expectSchema(format("uuid"), accepts: [#""123e4567-e89b-12d3-a456-426614174000""#],
                     rejects: [#""123e4567e89b12d3a456426614174000""#, #""123e4567-e89b-12d3-a456-42661417400g""#])
        expectSchema(format("email"), accepts: [#""john.doe@example.com""#, #""a+b_c@mail.example.co.uk""#],
                     rejects: [#""john@""#, #""@x.com""#, #""a..b@x.com""#, #""a@b""#, #""a b@x.com""#])
        expectSchema(format("ipv4"), accepts: [#""192.168.0.1""#, #""0.0.0.0""#, #""255.255.255.255""#],
                     rejects: [#""256.1.1.1""#, #""1.2.3""#, #""01.2.3.4""#])
        expectSchema(format("uri"), accepts: [#""https://example.com/a/b?x=1&y=%20#frag""#, #""http://localhost:8080""#],
                     rejects: [#""example.com""#, #""http://a b""#, #""http://x/%zz""#])
        expectSchema(format("hostname"), accepts: [#""api.example.com""#], rejects: [#""-bad.com""#, #""a_b.com""#])
        expectSchema(format("duration"), accepts: [#""P1Y2M3DT4H5M6S""#, #""PT36H""#, #""P2W""#, #""P1D""#, #""P1M""#, #""PT0S""#],
                     rejects: [#""P""#, #""PT""#, #""P1DT""#, #""P1W2D""#, #""P1S""#, #""1D""#])
        expectSchema(format("ipv6"), accepts: [#""2001:db8:0:0:0:0:2:1""#, #""2001:db8::2:1""#, #""::1""#, #""::""#, #""fe80::""#],
                     rejects: [#""2001:db8::2::1""#, #""1:2:3:4:5:6:7:8:9""#, #""12345::""#, #""1:2""#, #"":1""#])
    }

    @Test func patterns() {
        func pattern(_ text: String) -> String { #"{"type":"string","pattern":\#(String(decoding: jsonSerialization(.string(text)), as: UTF8.self))}"# }
        expectSchema(pattern(#"^[A-Z]{2}-\d{3}$"#), accepts: [#""AB-123""#], rejects: [#""AB-12""#, #""ab-123""#, #""XAB-123""#, #""AB-1234""#])
        expectSchema(pattern("abc"), accepts: [#""abc""#, #""xxabcyy""#, #""é abc\n""#], rejects: [#""ab""#, #""acb""#])
        expectSchema(pattern("^abc"), accepts: [#""abcd""#], rejects: [#""xabc""#])
        expectSchema(pattern("abc$"), accepts: [#""xabc""#], rejects: [#""abcd""#])
        expectSchema(pattern("^(cat|dog)s?$"), accepts: [#""cat""#, #""dogs""#], rejects: [#""cow""#, #""catss""#])
        expectSchema(pattern("^a|b$"), accepts: [#""ax""#, #""xb""#], rejects: [#""xa""#])
        expectSchema(pattern(#"^a\.b$"#), accepts: [#""a.b""#], rejects: [#""axb""#])
        expectSchema(pattern(#"^["\\a]+$"#), accepts: [#""\"a\\""#], rejects: [#""b""#, #""\u0022""#])
        expectSchema(pattern("^[^0-9]+$"), accepts: [#""abc é€""#, #""\n""#], rejects: [#""a1""#, #""""#, #""a😀""#])
        expectSchema(pattern("^.{2}$"), accepts: [#""é!""#, #""\t€""#], rejects: [#""\n!""#, #""abc""#, #""\t😀""#])
        expectSchema(pattern("^😀+$"), accepts: [#""😀😀""#], rejects: [#""😀a""#])
        expectSchema(pattern(#"^\w+\s\W$"#), accepts: [#""ab_9 !""#, #""x\t-""#], rejects: [#""é !""#])
        expectSchema(pattern(#"^\S\D$"#), accepts: [#""é!""#], rejects: [#"" a""#, #""a1""#])
        expectSchema(pattern("^a{2,}b{0,1}c{1,2}$"), accepts: [#""aac""#, #""aaaabcc""#], rejects: [#""ac""#, #""aabbc""#])
        expectSchema(pattern(#"^(?:x|y)(?<n>z)*[\u00e0-\u00ff]$"#), accepts: [#""xzzé""#, #""yÿ""#], rejects: [#""xa""#])
        expectSchema(pattern("^a{x}{2,3$"), accepts: [#""a{x}{2,3""#], rejects: [#""a""#])
        expectSchema(pattern(#"^\s\S\D\W$"#), accepts: [#"" aa!""#, "\"\u{3000}é!-\""], rejects: [#""\u000baa!""#, #"" \u001caa!""#, #"" aé!""#, #"" a!é""#])
        expectSchema(pattern("^[a-]$"), accepts: [#""-""#, #""a""#], rejects: [#""b""#])
        expectSchema(pattern("^[]$"), accepts: [], rejects: [#""""#, #""a""#])
    }

    @Test func lengthBoundsWithPatternsAndFormats() {
        expectSchema(#"{"type":"string","pattern":"^[a-z\"]+$","minLength":2,"maxLength":4}"#,
                     accepts: [#""ab""#, #""abcd""#, #""a\"""#], rejects: [#""a""#, #""abcde""#, #""aB""#])
        expectSchema(#"{"type":"string","pattern":"^(cat|dog)s?$","maxLength":4,"minLength":3}"#, accepts: [#""cats""#])
        expectSchema(#"{"type":"string","format":"uuid","minLength":36,"maxLength":36}"#, accepts: [#""123e4567-e89b-12d3-a456-426614174000""#])
        expectSchema(#"{"type":"string","format":"date","maxLength":10}"#, accepts: [#""2024-01-31""#])
    }

    @Test func integerBounds() {
        expectSchema(#"{"type":"integer","minimum":-15,"maximum":123}"#,
                     accepts: ["-15", "-1", "0", "9", "10", "99", "100", "123"],
                     rejects: ["-16", "124", "1000", "-0", "00", "01", "1.0"])
        expectSchema(#"{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}"#,
                     accepts: ["1", "9"], rejects: ["0", "10"])
        expectSchema(#"{"type":"integer","minimum":0.5,"maximum":2.5}"#, accepts: ["1", "2"], rejects: ["0", "3"])
        expectSchema(#"{"type":"integer","minimum":5,"exclusiveMinimum":true}"#, accepts: ["6"], rejects: ["5"])
        expectSchema(#"{"type":"integer","minimum":-5}"#, accepts: ["-5", "999999999999999"], rejects: ["-6", "1000000000000000"])
        expectSchema(#"{"type":"number","multipleOf":1,"maximum":3}"#, accepts: ["3", "-2"], rejects: ["2.5", "4"])
    }

    @Test func integerRangesAreExact() {
        var seed: UInt64 = 7
        func random(_ bound: Int64) -> Int64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int64(bitPattern: seed >> 1) % bound
        }
        var pairs: [(Int64, Int64)] = [(0, 0), (0, 9), (1, 10), (9, 10), (10, 99), (0, 1000), (-1000, -1), (-9, 9), (19, 21), (100, 199), (101, 198), (7, 7)]
        for _ in 0..<40 {
            let a = random(5000) - 2500, b = random(5000) - 2500
            pairs.append((min(a, b), max(a, b)))
        }
        for (lo, hi) in pairs {
            let grammar = GrammarBuilder().build(root: IntegerRangeGrammar.range(lo, hi))
            let recognizer = ReferenceRecognizer(grammar)
            for value in (lo - 30)...(hi + 30) {
                #expect(recognizer.accepts(String(value)) == (lo...hi).contains(value), "\(value) in \(lo)...\(hi)")
            }
            #expect(!recognizer.accepts("-0"))
            #expect(!recognizer.accepts("0\(lo)"))
        }
    }

    @Test func multipleOfBetweenBounds() {
        expectSchema(#"{"type":"integer","multipleOf":5,"minimum":-12,"maximum":20}"#,
                     accepts: ["-10", "-5", "0", "5", "20"], rejects: ["-15", "3", "25", "-0", "20.0"])
        expectSchema(#"{"type":"number","multipleOf":0.25,"exclusiveMinimum":0,"maximum":1}"#,
                     accepts: ["0.25", "0.5", "0.75", "1"], rejects: ["0", "0.1", "1.25", "0.50"])
        expectSchema(#"{"type":"integer","multipleOf":2.5,"minimum":0,"maximum":10}"#,
                     accepts: ["0", "5", "10"], rejects: ["2.5", "7.5"])
    }

    @Test func numberBoundsAreConservative() {
        expectSchema(#"{"type":"number","minimum":0,"maximum":1}"#,
                     accepts: ["0", "1", "0.5", "0.999", "0.0", "1.0"], rejects: ["1.5", "-0.1", "1.01", "2", "1e0", "-1", "1.00"])
        expectSchema(#"{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":10}"#,
                     accepts: ["1", "9", "1.5", "8.75", "0.5", "9.9", "0.11"], rejects: ["0", "10", "0.0", "10.0", "9.99", "-1", "-0.5"])
        expectSchema(#"{"type":"number","minimum":-2.5,"maximum":-1}"#,
                     accepts: ["-2", "-1.5", "-1", "-1.0", "-2.5", "-2.0", "-2.45", "-1.00"],
                     rejects: ["-2.51", "-3", "-0.5", "0", "-0.99", "-2.7", "-1e0"])
        expectSchema(#"{"type":"number","minimum":0,"maximum":0.5}"#,
                     accepts: ["0", "0.5", "0.25", "0.4999", "0.50"], rejects: ["0.51", "1", "-0.1", "0.5000001", "0.500"])
        expectSchema(#"{"type":"number","exclusiveMinimum":0.1,"exclusiveMaximum":0.2}"#,
                     accepts: ["0.15", "0.11", "0.19", "0.1899"], rejects: ["0.1", "0.2", "0.10", "0.2000", "0.3"])
        expectSchema(#"{"type":"number","minimum":0}"#, accepts: ["0", "12.5", "999999999999999"], rejects: ["-1", "-0.5", "1e5"])
    }

    /// Soundness on random documents: every number the grammar produces is within bounds (as
    /// the double a parser reads), for bounds with and without fractions, inclusive or not.
    @Test func generatedNumbersAreWithinTheirBounds() throws {
        let cases: [(Double?, Bool, Double?, Bool)] = [
            (0, false, 0.5, false), (-1.25, true, 3.75, false), (0.1, true, 0.2, true), (0.001, false, 0.002, false),
            (-0.3, false, -0.1, true), (99.99, false, 100.01, false), (nil, false, 1e-3, true), (-7, true, nil, false),
            (1.0 / 3.0, false, 2.0 / 3.0, false), (0, true, 1, true), (-1e20, false, 1e20, false),
        ]
        for (index, (minimum, minimumExclusive, maximum, maximumExclusive)) in cases.enumerated() {
            var members: [String] = [#""type":"number""#]
            if let minimum { members.append(#""\#(minimumExclusive ? "exclusiveMinimum" : "minimum")":\#(minimum)"#) }
            if let maximum { members.append(#""\#(maximumExclusive ? "exclusiveMaximum" : "maximum")":\#(maximum)"#) }
            let grammar = try schemaGrammar("{" + members.joined(separator: ",") + "}")
            var generator = RandomDocumentGenerator(grammar, seed: UInt64(index) + 77)
            var distinct = Set<String>()
            for _ in 0..<400 {
                let text = String(decoding: generator.generate(), as: UTF8.self)
                distinct.insert(text)
                guard let value = Double(text) else { Issue.record("not a number: \(text)"); continue }
                if let minimum { #expect(minimumExclusive ? value > minimum : value >= minimum, "\(text) below \(minimum)") }
                if let maximum { #expect(maximumExclusive ? value < maximum : value <= maximum, "\(text) above \(maximum)") }
            }
            #expect(distinct.count > 20, "case \(index): only \(distinct.sorted())")
        }
    }

    @Test func whitespacePolicies() {
        var options = JSONSchemaOptions()
        options.whitespace = .spaceAfterSeparators
        let schema = #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"array","items":{"type":"integer"}},"c":{}},"required":["a","b","c"],"additionalProperties":false}"#
        expectSchema(schema, options: options,
                     accepts: [#"{"a": 1, "b": [1, 2], "c": {"x": [null, 1]}}"#, #"{"a":1,"b":[1,2],"c":{}}"#],
                     rejects: [#"{"a":  1,"b":[],"c":1}"#, #"{"a" :1,"b":[],"c":1}"#, #"{ "a":1,"b":[],"c":1}"#, #"{"a":1,"b":[ 1],"c":1}"#])
        expectSchema(schema, accepts: [#"{"a":1,"b":[1,2],"c":{}}"#], rejects: [#"{"a": 1,"b":[1,2],"c":{}}"#])
    }

    @Test func anyValueAndAnyObject() {
        var builder = GrammarBuilder()
        let object = JSONSchemaCompiler.anyObject(into: &builder)
        let recognizer = ReferenceRecognizer(builder.build(root: object))
        #expect(recognizer.accepts(#"{"a":[1,2.5e-3,{"b":"\u00e9"}],"c":true}"#))
        #expect(!recognizer.accepts("[]"))
        var valueBuilder = GrammarBuilder()
        let value = JSONSchemaCompiler.anyValue(into: &valueBuilder)
        let valueRecognizer = ReferenceRecognizer(valueBuilder.build(root: value))
        let emptyArray = valueRecognizer.accepts("[]"), negativeZero = valueRecognizer.accepts("-0.0"), plus = valueRecognizer.accepts("+1")
        #expect(emptyArray && negativeZero && !plus)
    }

    @Test func rulesAreSharedAcrossSchemasInOneBuilder() throws {
        var builder = GrammarBuilder()
        let compiler = JSONSchemaCompiler()
        let first = try compiler.compile(try JSONParser.parse(#"{"type":"object","properties":{"a":{"type":"string"},"b":{}}}"#), into: &builder)
        let second = try compiler.compile(try JSONParser.parse(#"{"type":"array","items":{"type":"string","maxLength":3}}"#), into: &builder)
        var options = JSONSchemaOptions()
        options.maxIntegerDigits = 6
        let third = try JSONSchemaCompiler(options: options).compile(try JSONParser.parse(#"{"type":"array"}"#), into: &builder)
        let grammar = builder.build(root: .choice([first, second, third]))
        for name in ["json-char", "json-string", "json-value", "json-object", "json-array", "json-value/6/15/2", "json-array/6/15/2"] {
            #expect(grammar.ruleNames.filter { $0 == name }.count == 1, "\(name)")
        }
        let recognizer = ReferenceRecognizer(grammar)
        let object = recognizer.accepts(#"{"a":"x","b":[1]}"#), array = recognizer.accepts(#"["abc"]"#)
        let shortNumbers = recognizer.accepts("[123456]"), longNumbers = recognizer.accepts("[1234567]")
        #expect(object && array && shortNumbers && !longNumbers)  // the third grammar: at most 6 digits
    }
}

@Suite struct SchemaPropertyOrderTests {
    static func grammar(_ text: String, keyOrder: [[String]: [String]]) throws -> ReferenceRecognizer {
        var builder = GrammarBuilder()
        let root = try JSONSchemaCompiler().compile(try JSONParser.parse(text), keyOrder: keyOrder, into: &builder)
        return ReferenceRecognizer(builder.build(root: root))
    }

    @Test func recordedKeyOrderIsFollowedWithOptionalMembersAnywhere() throws {
        let schema = #"{"type":"object","properties":{"b":{"type":"integer"},"a":{"type":"integer"},"d":{"type":"integer"},"c":{"type":"integer"}},"required":["a","c"],"additionalProperties":false}"#
        let recognizer = try Self.grammar(schema, keyOrder: [["properties"]: ["b", "a", "d", "c"]])
        for document in [#"{"a":1,"c":2}"#, #"{"b":0,"a":1,"c":2}"#, #"{"a":1,"d":3,"c":2}"#, #"{"b":0,"a":1,"d":3,"c":2}"#] {
            #expect(recognizer.accepts(document), "\(document)")
        }
        for document in [#"{"c":2,"a":1}"#, #"{"a":1,"b":0,"c":2}"#, #"{"b":0,"c":2}"#, #"{,"a":1,"c":2}"#, #"{"b":0,"a":1,"c":2,"d":3}"#] {
            #expect(!recognizer.accepts(document), "\(document)")
        }
    }

    @Test func nestedObjectsAndDefaultsWithoutAnEntry() throws {
        let schema = #"{"type":"object","properties":{"z":{"type":"object","properties":{"y":{"type":"integer"},"x":{"type":"integer"}},"required":["x","y"],"additionalProperties":false},"a":{"type":"integer"}},"required":["a","z"],"additionalProperties":false}"#
        let recognizer = try Self.grammar(schema, keyOrder: [["properties"]: ["z", "a"], ["properties", "z", "properties"]: ["y", "x"]])
        let ordered = recognizer.accepts(#"{"z":{"y":1,"x":2},"a":3}"#)
        let unordered = recognizer.accepts(#"{"a":3,"z":{"x":2,"y":1}}"#)
        #expect(ordered && !unordered)
        let defaults = try Self.grammar(schema, keyOrder: [:])
        let byRequired = defaults.accepts(#"{"a":3,"z":{"x":2,"y":1}}"#)
        #expect(byRequired)
    }
}
