import Testing
import SluiceAPI
import SluiceGrammar
@testable import SluiceGateway

/// The grammars a request asks for, checked byte by byte over a vocabulary of single bytes:
/// forced calls name only offered functions with valid arguments, `auto` waits for its trigger,
/// and a schema's answer is exactly a valid document.
@Suite struct OutputConstraintTests {
    /// One token per byte, plus an end token (256).
    static let bytes = TokenVocabulary(tokens: (0..<256).map { [UInt8($0)] } + [nil], endTokens: [256])

    static let weather = ToolDefinition(name: "get_weather", parameters: .object([
        "type": .string("object"),
        "properties": .object(["city": .object(["type": .string("string"), "maxLength": .integer(20)]),
                               "unit": .object(["enum": .array([.string("c"), .string("f")])])]),
        "required": .array([.string("city"), .string("unit")]),
    ]))
    static let noop = ToolDefinition(name: "noop")

    func matcher(_ plan: ConstraintPlan?) throws -> GrammarMatcher {
        let plan = try #require(plan)
        return GrammarMatcher(try CompiledGrammar(plan.grammar, vocabulary: Self.bytes))
    }

    /// Whether the whole text is a complete document of the plan's grammar.
    func accepts(_ plan: ConstraintPlan?, _ text: String) throws -> Bool {
        var matcher = try matcher(plan)
        return matcher.accept(bytes: Array(text.utf8)) && matcher.isComplete
    }

    @Test func requiredCallsNameOfferedFunctionsWithValidArguments() throws {
        let plan = try ConstraintPlan.chat(responseFormat: .text, tools: ToolRequest(tools: [Self.weather, Self.noop], choice: .required),
                                           format: .hermes(native: false))
        #expect(plan?.trigger == nil)
        let call = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>"
        #expect(try accepts(plan, call))
        #expect(try accepts(plan, call + "\n<tool_call>\n{\"name\": \"noop\", \"arguments\": {}}\n</tool_call>"))
        #expect(try !accepts(plan, "Sure! " + call))
        #expect(try !accepts(plan, call.replacingOccurrences(of: "get_weather", with: "get_time")))
        #expect(try !accepts(plan, call.replacingOccurrences(of: "\"c\"", with: "\"k\"")))
        #expect(try !accepts(plan, call.replacingOccurrences(of: ", \"unit\": \"c\"", with: "")))
        // The generic format: one call per offered function at most.
        #expect(try !accepts(plan, call + "\n" + call + "\n" + call))
    }

    @Test func aNamedChoiceAllowsOnlyThatFunctionAndNoParallelCallsWhenRefused() throws {
        let plan = try ConstraintPlan.chat(responseFormat: .text,
                                           tools: ToolRequest(tools: [Self.weather, Self.noop], choice: .function("noop"), parallelCalls: false),
                                           format: .hermes(native: false))
        let noop = "<tool_call>\n{\"name\": \"noop\", \"arguments\": {}}\n</tool_call>"
        #expect(try accepts(plan, noop))
        #expect(try !accepts(plan, noop + "\n" + noop))
        #expect(try !accepts(plan, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"x\", \"unit\": \"f\"}}\n</tool_call>"))
    }

    @Test func autoWaitsForTheTriggerAndConstrainsWhatFollows() throws {
        let plan = try ConstraintPlan.chat(responseFormat: .text, tools: ToolRequest(tools: [Self.noop], choice: .auto),
                                           format: .hermes(native: false))
        #expect(plan?.trigger == Array("<tool_call>".utf8))
        #expect(try accepts(plan, "\n{\"name\": \"noop\", \"arguments\": {}}\n</tool_call>"))
        #expect(try ConstraintPlan.chat(responseFormat: .text, tools: ToolRequest(tools: [Self.noop], choice: .none),
                                        format: .hermes(native: false)) == nil)
        // With a response format, auto is calls or the document, from the first token.
        let either = try ConstraintPlan.chat(responseFormat: .jsonObject, tools: ToolRequest(tools: [Self.noop], choice: .auto),
                                             format: .hermes(native: false))
        #expect(either?.trigger == nil)
        #expect(try accepts(either, "{\"a\": 1}"))
        #expect(try accepts(either, "<tool_call>\n{\"name\": \"noop\", \"arguments\": {}}\n</tool_call>"))
        #expect(try !accepts(either, "plain text"))
    }

    @Test func schemasAndRefusalsNameTheirParam() throws {
        let format = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "p", schema: .object([
            "type": .string("object"), "properties": .object(["n": .object(["type": .string("integer")])]), "required": .array([.string("n")]),
        ]), strict: true))
        #expect(try accepts(ConstraintPlan.completion(responseFormat: format), "{\"n\": 12}"))
        #expect(try !accepts(ConstraintPlan.completion(responseFormat: format), "{\"n\": \"12\"}"))
        #expect(try ConstraintPlan.completion(responseFormat: .text) == nil)
        let refused = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "p", schema: .object(["not": .object([:])]), strict: true))
        #expect(throws: APIError.self) { try ConstraintPlan.completion(responseFormat: refused) }
        do {
            _ = try ConstraintPlan.chat(responseFormat: .text,
                                        tools: ToolRequest(tools: [Self.noop, ToolDefinition(name: "bad", parameters: .object(["if": .object([:])]))],
                                                           choice: .required),
                                        format: .hermes(native: false))
            Issue.record("a refused keyword in a tool's parameters must throw")
        } catch {
            #expect(error.param == "tools[1].function.parameters")
            #expect(error.message.contains("'if'"))
        }
    }

    @Test func theSameRequestShapeHitsTheGrammarCache() throws {
        let plan = try #require(try ConstraintPlan.completion(responseFormat: .jsonObject))
        let again = try #require(try ConstraintPlan.completion(responseFormat: .jsonObject))
        #expect(plan.cacheKey == again.cacheKey)
        let ordered = ResponseFormat.jsonSchema(JSONSchemaFormat(name: "p", schema: .object(["type": .string("object")]), strict: true,
                                                                 keyOrder: [["properties"]: ["b", "a"]]))
        #expect(try ConstraintPlan.completion(responseFormat: ordered)?.cacheKey
                != ConstraintPlan.completion(responseFormat: .jsonSchema(JSONSchemaFormat(name: "p", schema: .object(["type": .string("object")]), strict: true)))?.cacheKey)
    }
}
