import Testing
import SluiceAPI
import SluiceEngine
@testable import SluiceGateway

/// Reading tool calls out of generated text, whole or piece by piece: both readings must agree,
/// since the stream and the collected answer come from them.
@Suite struct ToolCallParsingTests {
    func parser(_ format: ToolCallFormat = .hermes(native: false)) -> ToolCallStreamParser {
        final class Counter: @unchecked Sendable { var next = 0 }
        let counter = Counter()
        return ToolCallStreamParser(format: format) {
            counter.next += 1
            return "call_\(counter.next)"
        }
    }

    /// Feeds the text in pieces of `size` characters; returns content, calls and the streamed pieces.
    func feed(_ text: String, size: Int, format: ToolCallFormat = .hermes(native: false))
        -> (content: String, calls: [WireToolCall], pieces: [ToolCallStreamParser.Piece]) {
        var parser = parser(format)
        var pieces: [ToolCallStreamParser.Piece] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces += parser.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        pieces += parser.finish()
        return (parser.content, parser.calls, pieces)
    }

    /// What a client reassembles from the streamed pieces.
    func reassemble(_ pieces: [ToolCallStreamParser.Piece]) -> (content: String, calls: [WireToolCall]) {
        var content = ""
        var calls: [WireToolCall] = []
        for piece in pieces {
            switch piece {
            case .content(let text): content += text
            case let .callStarted(index, id, name):
                #expect(index == calls.count)
                calls.append(WireToolCall(id: id, name: name, arguments: ""))
            case let .arguments(index, fragment): calls[index].function.arguments += fragment
            }
        }
        return (content, calls)
    }

    static let twoCalls = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris \\\"}\", \"days\": [1, {\"x\": 2}]}}\n</tool_call>\n<tool_call>\n{\"name\": \"noop\", \"arguments\": {}}\n</tool_call>"

    @Test(arguments: [1, 2, 3, 7, 1000])
    func callsReadTheSameWholeAndInPieces(size: Int) {
        let (content, calls, pieces) = feed(Self.twoCalls, size: size)
        #expect(content == "")
        #expect(calls.map(\.function.name) == ["get_weather", "noop"])
        #expect(calls[0].function.arguments == "{\"city\": \"Paris \\\"}\", \"days\": [1, {\"x\": 2}]}")
        #expect(calls[1].function.arguments == "{}")
        let streamed = reassemble(pieces)
        #expect(streamed.content == "" && streamed.calls == calls)
    }

    @Test(arguments: [1, 4, 1000])
    func textBeforeACallIsContentAndATriggerPrefixIsHeldBack(size: Int) {
        let text = "Let me check <tool the <tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>"
        let (content, calls, pieces) = feed(text, size: size)
        #expect(content == "Let me check <tool the ")
        #expect(calls.map(\.function.arguments) == ["{\"a\": 1}"])
        #expect(reassemble(pieces).content == content)
    }

    @Test func textWithoutCallsIsAllContentAndABrokenCallIsGivenBack() {
        #expect(feed("Paris is sunny <tool", size: 3).content == "Paris is sunny <tool")
        let broken = feed("<tool_call> I changed my mind", size: 2)
        #expect(broken.calls.isEmpty)
        #expect(broken.content == "<tool_call> I changed my mind")
        #expect(reassemble(broken.pieces).content == broken.content)
    }

    @Test func llama3CallsUseParameters() {
        let (content, calls, _) = feed("{\"name\": \"f\", \"parameters\": {\"q\": \"x\"}}", size: 5, format: .llama3JSON)
        #expect(content == "")
        #expect(calls.first?.function.name == "f")
        #expect(calls.first?.function.arguments == "{\"q\": \"x\"}")
    }

    @Test func formatsAreDetectedFromTheTemplate() {
        #expect(ToolCallFormat.detect(templateSource: ChatTemplate.chatMLSource) == .hermes(native: false))
        #expect(ToolCallFormat.detect(templateSource: "{% if tools %}<tool_call>{% endif %}") == .hermes(native: true))
        #expect(ToolCallFormat.detect(templateSource: "{{ '<|python_tag|>' }}") == .llama3JSON)
        #expect(ToolCallFormat.hermes(native: false).render(name: "f", arguments: " {\"a\": 1} ")
                == "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>")
    }

    @Test func genericPromptTeachesTheToolsAndRewritesTheHistory() throws {
        let tools = ToolRequest(tools: [ToolDefinition(name: "get_weather", description: "Weather",
                                                       parameters: .object(["type": .string("object")]))],
                                choice: .required)
        let messages = [
            ValidatedChatMessage(role: .user, contentParts: ["Weather in Paris?"], name: nil, toolCallID: nil, toolCalls: []),
            ValidatedChatMessage(role: .assistant, contentParts: [], name: nil, toolCallID: nil,
                                 toolCalls: [ValidatedToolCall(id: "call_1", name: "get_weather", arguments: "{\"city\":\"Paris\"}")]),
            ValidatedChatMessage(role: .tool, contentParts: ["sunny"], name: nil, toolCallID: "call_1", toolCalls: []),
        ]
        let rendered = ToolPrompt(format: .hermes(native: false), tools: tools).render(messages)
        #expect(rendered.tools == nil)
        #expect(rendered.messages.map { $0.role } == ["system", "user", "assistant", "user"])
        guard case .string(let system) = rendered.messages[0].content, case .string(let call) = rendered.messages[2].content,
              case .string(let result) = rendered.messages[3].content else {
            Issue.record("contents are strings")
            return
        }
        #expect(system.contains("\"name\":\"get_weather\"") && system.contains("You must call at least one function."))
        #expect(call == "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}\n</tool_call>")
        #expect(result == "<tool_response>\nsunny\n</tool_response>")
        let template = try ChatTemplate(source: ChatTemplate.chatMLSource)
        let text = try template.render(messages: rendered.messages)
        #expect(text.contains("<tool_response>"))
    }

    @Test func nativeTemplatesGetToolsAndCallObjects() throws {
        let tools = ToolRequest(tools: [ToolDefinition(name: "f")], choice: .auto)
        let messages = [ValidatedChatMessage(role: .assistant, contentParts: [], name: nil, toolCallID: nil,
                                             toolCalls: [ValidatedToolCall(id: "c", name: "f", arguments: "{\"a\":1}")])]
        let rendered = ToolPrompt(format: .hermes(native: true), tools: tools).render(messages)
        #expect(rendered.tools?.count == 1)
        let source = "{% for m in messages %}{% for c in m.tool_calls %}{{ c.function.name }}={{ c.function.arguments | tojson }}{% endfor %}{% endfor %}{% for t in tools %}|{{ t.function.name }}{% endfor %}"
        let text = try ChatTemplate(source: source).render(messages: rendered.messages, tools: rendered.tools)
        #expect(text == "f={\"a\": 1}|f")
    }
}
