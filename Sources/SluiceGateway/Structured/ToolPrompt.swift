import SluiceAPI
import SluiceEngine

/// Turns a chat request with tools (or a history with tool calls and results) into what the chat
/// template renders. A template that knows tools gets them as Hugging Face templates expect:
/// `tools` as a list of `{"type": "function", "function": {…}}`, assistant messages with
/// `tool_calls` (arguments as objects) and tool messages with `tool_call_id`. A template that
/// does not (SmolLM2's) gets the generic format: the tool list and the call syntax in the system
/// message, earlier calls written out as the model would write them, tool results as user turns
/// in `<tool_response>` tags (the Hermes convention), so any template can render them.
struct ToolPrompt {
    let format: ToolCallFormat
    let tools: ToolRequest

    /// The template's messages and its `tools` variable (nil: `none` in the template).
    func render(_ messages: [ValidatedChatMessage]) -> (messages: [ChatMessage], tools: [TemplateValue]?) {
        let offerTools = !tools.isOff
        if format.templateRendersTools {
            return (messages.map(nativeMessage), offerTools ? tools.tools.map(Self.templateTool) : nil)
        }
        var rendered = messages.map(genericMessage)
        if offerTools {
            let section = systemSection()
            if let first = rendered.first, first.role == "system" || first.role == "developer", case .string(let text) = first.content {
                rendered[0].content = .string(text.isEmpty ? section : text + "\n\n" + section)
            } else {
                rendered.insert(ChatMessage(role: "system", content: section), at: 0)
            }
        }
        return (rendered, nil)
    }

    /// The generic format's instructions: the tools as JSON, the call syntax, and what is required.
    func systemSection() -> String {
        var lines = ["You can call functions to help answer. The functions, with their parameters as JSON Schema, are listed in <tools></tools>:", "<tools>"]
        for tool in tools.tools { lines.append(Self.toolJSON(tool).canonicalText) }
        lines.append("</tools>")
        lines.append("To call a function, answer with a JSON object inside <tool_call></tool_call> tags, one block per call:")
        lines.append(format.render(name: "function_name", arguments: "{\"argument\": \"value\"}"))
        switch tools.choice {
        case .required: lines.append("You must call at least one function.")
        case .function(let name): lines.append("You must call the function \(name).")
        case .auto, .none: lines.append("If no function is needed, answer in plain text.")
        }
        return lines.joined(separator: "\n")
    }

    private func genericMessage(_ message: ValidatedChatMessage) -> ChatMessage {
        switch message.role {
        case .assistant where !message.toolCalls.isEmpty:
            let calls = message.toolCalls.map { format.render(name: $0.name, arguments: $0.arguments) }.joined(separator: format.separator)
            return ChatMessage(role: "assistant", content: message.content.isEmpty ? calls : message.content + "\n" + calls)
        case .tool:
            return ChatMessage(role: "user", content: "<tool_response>\n" + message.content + "\n</tool_response>")
        default:
            return ChatMessage(role: message.role.rawValue, content: message.content)
        }
    }

    private func nativeMessage(_ message: ValidatedChatMessage) -> ChatMessage {
        var extra: [TemplateEntry] = []
        if let name = message.name { extra.append(TemplateEntry(key: "name", value: .string(name))) }
        if let id = message.toolCallID { extra.append(TemplateEntry(key: "tool_call_id", value: .string(id))) }
        if !message.toolCalls.isEmpty {
            extra.append(TemplateEntry(key: "tool_calls", value: .array(message.toolCalls.map { call in
                .object([
                    TemplateEntry(key: "id", value: .string(call.id)),
                    TemplateEntry(key: "type", value: .string("function")),
                    TemplateEntry(key: "function", value: .object([
                        TemplateEntry(key: "name", value: .string(call.name)),
                        // Templates write `arguments | tojson`: an object, when the text parses as one.
                        TemplateEntry(key: "arguments", value: (try? JSONParser.parse(call.arguments)).map(Self.templateValue)
                            ?? .string(call.arguments)),
                    ])),
                ])
            })))
        }
        let content: TemplateValue = message.role == .assistant && message.contentParts.isEmpty ? .null : .string(message.content)
        return ChatMessage(role: message.role.rawValue, content: content, extra: extra)
    }

    static func toolJSON(_ tool: ToolDefinition) -> JSONValue {
        var function: [String: JSONValue] = ["name": .string(tool.name)]
        if let description = tool.description { function["description"] = .string(description) }
        function["parameters"] = tool.parameters ?? .object(["type": .string("object"), "properties": .object([:])])
        return .object(["type": .string("function"), "function": .object(function)])
    }

    static func templateTool(_ tool: ToolDefinition) -> TemplateValue { templateValue(toolJSON(tool)) }

    static func templateValue(_ json: JSONValue) -> TemplateValue {
        switch json {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .integer(let value): return .int(Int(value))
        case .number(let value): return .double(value)
        case .string(let text): return .string(text)
        case .array(let items): return .array(items.map(templateValue))
        case .object(let members):
            return .object(members.sorted { $0.key < $1.key }.map { TemplateEntry(key: $0.key, value: templateValue($0.value)) })
        }
    }
}
