import SluiceAPI

/// How a model writes tool calls in its output, so the grammar can force one and the parser can
/// find it. Chosen from the chat template: a template that speaks of tools shows the model its
/// own format (Hermes/Qwen `<tool_call>` blocks, Llama 3.x bare JSON); a template without tool
/// support (SmolLM2's) gets the generic format: the Hermes block, taught by a system section
/// (`ToolPrompt`). Mistral's `[TOOL_CALLS]` is a control token, which a byte grammar cannot
/// emit; such templates fall back to the generic format.
enum ToolCallFormat: Hashable, Sendable {
    /// `<tool_call>\n{"name": "f", "arguments": {…}}\n</tool_call>`, blocks separated by "\n".
    /// The template already knows it (`native`) or the tools section teaches it.
    case hermes(native: Bool)
    /// `{"name": "f", "parameters": {…}}` as the whole answer (Llama 3.1/3.2/3.3 templates);
    /// several calls separated by "; " as those templates render them.
    case llama3JSON

    /// Picks the format from the template's source.
    static func detect(templateSource source: String) -> ToolCallFormat {
        if source.contains("<tool_call>") { return .hermes(native: true) }
        if source.contains("<|python_tag|>") || source.contains("\"parameters\": dictionary of argument name") { return .llama3JSON }
        return .hermes(native: false)
    }

    /// The template renders the tool list itself (else `ToolPrompt` writes the system section).
    var templateRendersTools: Bool {
        switch self {
        case .hermes(let native): return native
        case .llama3JSON: return true
        }
    }

    /// Bytes that open the calls part of an answer: where free text stops (auto) and the grammar
    /// takes over.
    var trigger: String {
        switch self {
        case .hermes: return "<tool_call>"
        case .llama3JSON: return "{\"name\": \""
        }
    }

    /// The key the arguments object is written under.
    var argumentsKey: String {
        switch self {
        case .hermes: return "arguments"
        case .llama3JSON: return "parameters"
        }
    }

    /// What comes before and after each call's JSON object, and between calls.
    var opening: String {
        switch self {
        case .hermes: return "<tool_call>\n"
        case .llama3JSON: return ""
        }
    }

    var closing: String {
        switch self {
        case .hermes: return "\n</tool_call>"
        case .llama3JSON: return ""
        }
    }

    var separator: String {
        switch self {
        case .hermes: return "\n"
        case .llama3JSON: return "; "
        }
    }

    /// One call as the model would write it (earlier assistant turns of a conversation, when the
    /// template does not render `tool_calls` itself). `arguments` is JSON text.
    func render(name: String, arguments: String) -> String {
        let trimmed = arguments.trimmingWhitespace()
        let value = trimmed.isEmpty ? "{}" : trimmed
        return opening + "{\"name\": " + JSONValue.quoted(name) + ", \"" + argumentsKey + "\": " + value + "}" + closing
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
