import Testing
@testable import SluiceAPI

@Suite struct JSONParserTests {
    @Test func parsesNestedValues() throws {
        let value = try JSONParser.parse(#"{"a":[1,-2.5,true,false,null,"x"],"b":{"c":{}},"d":[]}"#)
        #expect(value == .object([
            "a": .array([.integer(1), .number(-2.5), .bool(true), .bool(false), .null, .string("x")]),
            "b": .object(["c": .object([:])]),
            "d": .array([]),
        ]))
    }

    @Test func keepsBooleansAndNumbersDistinct() throws {
        #expect(try JSONParser.parse("1") == .integer(1))
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse("1.0") == .number(1))
        #expect(try JSONParser.parse("1e2") == .number(100))
    }

    @Test func toleratesIntegersBeyondInt64() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(Int64.min))
        #expect(try JSONParser.parse("123456789012345678901234567890") == .number(1.2345678901234568e29))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try JSONParser.parse("\"日本語 👨‍👩‍👧\"") == .string("日本語 👨‍👩‍👧"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", "-", "+1", ".5", "tru", "nul", "[1 2]",
        "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "{\"a\" 1}", "1 2", "\"tab\there\"", "1e999", "NaN",
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xF0, 0x9F, 0x98, 0x22]) }
    }

    @Test func capsNestingDepthInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect((try? JSONParser.parse(fine)) != nil)
    }

    @Test func reportsTheOffsetOfTheError() {
        #expect(throws: JSONParseError(message: "expected ',' or '}'", offset: 7)) { try JSONParser.parse(#"{"a":1 "b":2}"#) }
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#)["a"] == .integer(2))
    }
}
