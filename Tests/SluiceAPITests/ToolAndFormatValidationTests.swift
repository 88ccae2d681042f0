import Testing
@testable import SluiceAPI

/// `tools`, `tool_choice`, `parallel_tool_calls` and `response_format`: read into typed values,
/// every malformed shape a 400 naming the exact field.
@Suite struct ToolAndFormatValidationTests {
    static let weather = "{'type':'function','function':{'name':'get_weather','description':'d','parameters':{'type':'object','properties':{'city':{'type':'string'}}}}}"

    @Test func toolsAndChoicesAreRead() throws {
        let request = try ValidatedChatRequest.validate(body: chatBody("'tools':[\(Self.weather)],'tool_choice':{'type':'function','function':{'name':'get_weather'}},'parallel_tool_calls':false"))
        #expect(request.tools.tools.map(\.name) == ["get_weather"])
        #expect(request.tools.tools[0].description == "d")
        #expect(request.tools.choice == .function("get_weather"))
        #expect(!request.tools.parallelCalls)
        #expect(try ValidatedChatRequest.validate(body: chatBody("'tools':[\(Self.weather)]")).tools.choice == .auto)
        #expect(try ValidatedChatRequest.validate(body: chatBody()).tools.isOff)
        #expect(try ValidatedChatRequest.validate(body: chatBody("'tools':[\(Self.weather)],'tool_choice':'none'")).tools.isOff)
    }

    @Test(arguments: [
        ("'tools':[{'type':'function','function':{'description':'x'}}]", "tools[0].function.name"),
        ("'tools':[{'type':'function','function':{'name':'has space'}}]", "tools[0].function.name"),
        ("'tools':[{'type':'function','function':{'name':'f','parameters':'{}'}}]", "tools[0].function.parameters"),
        ("'tools':[{'type':'function','function':{'name':'f','parameters':[1]}}]", "tools[0].function.parameters"),
        ("'tools':[{'type':'custom','custom':{'name':'f'}}]", "tools[0].type"),
        ("'tools':[{'type':'function'}]", "tools[0].function"),
        ("'tools':{'type':'function'}", "tools"),
        ("'tools':[\(weather),\(weather)]", "tools[1].function.name"),
        ("'tool_choice':'required'", "tool_choice"),
        ("'tool_choice':'auto'", "tool_choice"),
        ("'tools':[],'tool_choice':'required'", "tool_choice"),
        ("'tools':[\(weather)],'tool_choice':{'type':'function','function':{'name':'other'}}", "tool_choice"),
        ("'tools':[\(weather)],'tool_choice':'sometimes'", "tool_choice"),
        ("'tools':[\(weather)],'tool_choice':{'type':'function'}", "tool_choice.function"),
        ("'tools':[\(weather)],'parallel_tool_calls':'yes'", "parallel_tool_calls"),
        ("'response_format':{'type':'xml'}", "response_format.type"),
        ("'response_format':{'type':'json_schema'}", "response_format.json_schema"),
        ("'response_format':{'type':'json_schema','json_schema':{'schema':{}}}", "response_format.json_schema.name"),
        ("'response_format':{'type':'json_schema','json_schema':{'name':'a b','schema':{}}}", "response_format.json_schema.name"),
        ("'response_format':{'type':'json_schema','json_schema':{'name':'a','schema':'{}'}}", "response_format.json_schema.schema"),
        ("'response_format':'json'", "response_format"),
    ])
    func malformedToolsAndFormatsName(_ extra: String, _ param: String) throws {
        let error = try #require(chatError(chatBody(extra)))
        #expect(error.status == 400)
        #expect(error.param == param, "\(extra): \(error.message)")
    }

    @Test func formatsAreReadOnBothEndpoints() throws {
        let chat = try ValidatedChatRequest.validate(body: chatBody("'response_format':{'type':'json_schema','json_schema':{'name':'w','strict':true,'schema':{'type':'object'}}}"))
        #expect(chat.responseFormat == .jsonSchema(JSONSchemaFormat(name: "w", schema: .object(["type": .string("object")]), strict: true)))
        #expect(try ValidatedChatRequest.validate(body: chatBody("'response_format':{'type':'json_object'}")).responseFormat == .jsonObject)
        #expect(try ValidatedCompletionRequest.validate(body: completionBody("'response_format':{'type':'json_object'}")).responseFormat == .jsonObject)
        #expect(completionError(completionBody("'response_format':{'type':'nope'}"))?.param == "response_format.type")
    }

    @Test func toolCallsAppearOnMessagesAndDeltas() throws {
        let builder = ChatResponseBuilder(request: try ValidatedChatRequest.validate(body: chatBody()),
                                          identity: ResponseIdentity(id: "chatcmpl-1", created: 1, model: "m"))
        let call = WireToolCall(id: "call_1", name: "f", arguments: "{\"a\":1}")
        let response = try wire(builder.response(choices: [GeneratedChoice(text: "", finishReason: .toolCalls, toolCalls: [call])],
                                                 usage: Usage(promptTokens: 1, completionTokens: 1, cachedTokens: 0)))
        let message = try #require(response["choices"]?[0]?["message"])
        #expect(message["content"] == JSONValue.null)
        #expect(message["tool_calls"]?[0]?["function"]?["arguments"] == JSONValue.string("{\"a\":1}"))
        #expect(message["tool_calls"]?[0]?["type"] == JSONValue.string("function"))
        #expect(response["choices"]?[0]?["finish_reason"] == JSONValue.string("tool_calls"))
        let plain = try wire(builder.response(choices: [GeneratedChoice(text: "hi", finishReason: .stop)],
                                              usage: Usage(promptTokens: 1, completionTokens: 1, cachedTokens: 0)))
        #expect(plain["choices"]?[0]?["message"]?.keys == ["role", "content", "refusal"])
        let start = try wire(builder.toolCallChunk(choice: 0, .start(index: 0, id: "call_1", name: "f")))
        let delta = try #require(start["choices"]?[0]?["delta"]?["tool_calls"]?[0])
        #expect(delta.keys == ["index", "id", "type", "function"])
        #expect(delta["function"]?["arguments"] == JSONValue.string(""))
        let fragment = try wire(builder.toolCallChunk(choice: 0, .arguments(index: 0, "{\"a\"")))
        #expect(fragment["choices"]?[0]?["delta"]?["tool_calls"]?[0]?.keys == ["index", "function"])
    }

    /// `JSONValue.object` forgets order; the schemas' declared property order is recorded aside.
    @Test func schemaKeyOrderIsRecordedAsWritten() throws {
        let request = try ValidatedChatRequest.validate(body: chatBody("'response_format':{'type':'json_schema','json_schema':{'name':'p','schema':{'type':'object','properties':{'zeta':{'type':'string'},'alpha':{'type':'object','properties':{'b':{},'a':{}}}}}}},'tools':[\(Self.weather)]"))
        guard case .jsonSchema(let spec) = request.responseFormat else {
            Issue.record("json_schema expected")
            return
        }
        #expect(spec.keyOrder[["properties"]] == ["zeta", "alpha"])
        #expect(spec.keyOrder[["properties", "alpha", "properties"]] == ["b", "a"])
        #expect(request.tools.tools[0].parametersKeyOrder[["properties"]] == ["city"])
        let (_, order) = try JSONParser.parseRecordingKeyOrder(Array(#"{"b":1,"a":[{"y":1,"x":2}],"b":3}"#.utf8))
        #expect(order[[]] == ["b", "a"])
        #expect(order[["a", "0"]] == ["y", "x"])
    }

    @Test func canonicalTextSortsKeysAndEscapes() throws {
        let value = try JSONParser.parse(#"{"b":[1,2.5,"x\"y\n"],"a":{"z":null,"y":true}}"#)
        #expect(value.canonicalText == #"{"a":{"y":true,"z":null},"b":[1,2.5,"x\"y\n"]}"#)
    }
}
