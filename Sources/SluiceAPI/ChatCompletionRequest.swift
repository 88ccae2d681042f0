// `POST /v1/chat/completions` request → `ValidatedChatRequest` (openai_compat.md §1.2).

public enum ChatRole: String, Hashable, Sendable, CaseIterable {
    case system, developer, user, assistant, tool
}

public struct ValidatedToolCall: Hashable, Sendable {
    public var id: String
    public var name: String
    /// JSON-encoded arguments, as sent (a string on the wire).
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

public struct ValidatedChatMessage: Hashable, Sendable {
    public var role: ChatRole
    /// Text parts in order; a plain string content is one part. Empty for `content: null`.
    public var contentParts: [String]
    public var name: String?
    /// Required for `tool` messages.
    public var toolCallID: String?
    /// Previous tool calls of an `assistant` message.
    public var toolCalls: [ValidatedToolCall]

    public init(role: ChatRole, contentParts: [String], name: String? = nil, toolCallID: String? = nil,
                toolCalls: [ValidatedToolCall] = []) {
        self.role = role
        self.contentParts = contentParts
        self.name = name
        self.toolCallID = toolCallID
        self.toolCalls = toolCalls
    }

    /// Content as one string: parts joined with "\n", as vLLM flattens them for the chat template.
    public var content: String { contentParts.joined(separator: "\n") }
}

public struct ValidatedChatRequest: Hashable, Sendable {
    public var model: String
    public var messages: [ValidatedChatMessage]
    /// `max_completion_tokens`, else `max_tokens` (both given: `max_completion_tokens` wins, the
    /// current field). nil: until the context is full.
    public var maxTokens: Int?
    public var sampling: SamplingParameters
    public var output: OutputOptions
    /// `logprobs: true`.
    public var logprobs: Bool
    /// `top_logprobs` 0...20 (only with `logprobs: true`).
    public var topLogprobs: Int
    /// `response_format` (text unless asked).
    public var responseFormat: ResponseFormat = .text
    /// `tools`, `tool_choice`, `parallel_tool_calls`.
    public var tools = ToolRequest()
}

extension ValidatedChatRequest {
    /// Parses and validates a request body. Fields OpenAI defines but we do not implement are refused
    /// (`UnsupportedParameters`); unknown fields (vendor extensions) are ignored (vLLM: `extra="allow"`).
    public static func validate(body: [UInt8]) throws(APIError) -> ValidatedChatRequest {
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch { throw APIError.invalidJSON(error) }
        return try validate(json, keyOrder: schemaKeyOrder(json, body: body))
    }

    public static func validate(_ json: JSONValue, keyOrder: [[String]: [String]] = [:]) throws(APIError) -> ValidatedChatRequest {
        let body = try JSONObjectReader(json, path: "")
        let model = try expectString(body.required("model"), path: "model")
        try UnsupportedParameters.check(body, endpoint: .chatCompletions)
        try UnsupportedParameters.checkBookkeeping(body, endpoint: .chatCompletions)
        guard case let .array(rawMessages) = try body.required("messages") else {
            throw typeError("messages", expected: "an array", got: body.value("messages") ?? .null)
        }
        guard !rawMessages.isEmpty else {
            throw APIError.invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", param: "messages")
        }
        var messages: [ValidatedChatMessage] = []
        for (index, raw) in rawMessages.enumerated() {
            messages.append(try validateMessage(raw, path: "messages[\(index)]"))
        }

        let maxCompletionTokens = try body.int("max_completion_tokens", in: 1...Int(Int32.max))
        let maxTokens = try body.int("max_tokens", in: 1...Int(Int32.max))
        let logprobs = try body.bool("logprobs") ?? false
        let topLogprobs = try body.int("top_logprobs", in: 0...20)
        if topLogprobs != nil, !logprobs {
            throw APIError.invalidRequest("Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.", param: "top_logprobs")
        }
        return ValidatedChatRequest(
            model: model, messages: messages, maxTokens: maxCompletionTokens ?? maxTokens,
            sampling: try SamplingParameters.read(from: body), output: try OutputOptions.read(from: body),
            logprobs: logprobs, topLogprobs: topLogprobs ?? 0,
            responseFormat: try ResponseFormat.read(from: body, keyOrder: keyOrder),
            tools: try ToolRequest.read(from: body, keyOrder: keyOrder))
    }

    private static func validateMessage(_ raw: JSONValue, path: String) throws(APIError) -> ValidatedChatMessage {
        let message = try JSONObjectReader(raw, path: path)
        let roleText = try expectString(message.required("role"), path: "\(path).role")
        guard let role = ChatRole(rawValue: roleText) else {
            throw APIError.invalidRequest("Invalid value for '\(path).role': '\(roleText)'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", param: "\(path).role")
        }
        var toolCalls: [ValidatedToolCall] = []
        if role == .assistant, let rawCalls = message.value("tool_calls") {
            guard case let .array(calls) = rawCalls else { throw typeError("\(path).tool_calls", expected: "an array", got: rawCalls) }
            for (index, call) in calls.enumerated() {
                let callPath = "\(path).tool_calls[\(index)]"
                let reader = try JSONObjectReader(call, path: callPath)
                let function = try JSONObjectReader(reader.required("function"), path: "\(callPath).function")
                toolCalls.append(ValidatedToolCall(
                    id: try reader.string("id") ?? "",
                    name: try expectString(function.required("name"), path: "\(callPath).function.name"),
                    arguments: try function.string("arguments") ?? ""))
            }
        }
        var parts: [String] = []
        switch message.value("content") {
        case nil:
            // Only an assistant turn may omit content (it carried tool calls or a refusal).
            guard role == .assistant else {
                throw APIError.invalidRequest("Missing required parameter: '\(path).content'.", param: "\(path).content")
            }
        case let .string(text)?:
            parts = [text]
        case let .array(items)?:
            for (index, item) in items.enumerated() {
                let partPath = "\(path).content[\(index)]"
                let part = try JSONObjectReader(item, path: partPath)
                let type = try expectString(part.required("type"), path: "\(partPath).type")
                switch type {
                case "text":
                    parts.append(try expectString(part.required("text"), path: "\(partPath).text"))
                case "refusal" where role == .assistant:
                    parts.append(try expectString(part.required("refusal"), path: "\(partPath).refusal"))
                default:
                    throw APIError.invalidRequest("Invalid content part type '\(type)' in '\(partPath).type': this model accepts only text content parts.", param: "\(partPath).type")
                }
            }
        case let other?:
            throw typeError("\(path).content", expected: "a string or an array of content parts", got: other)
        }
        let toolCallID = try message.string("tool_call_id")
        if role == .tool, toolCallID == nil {
            throw APIError.invalidRequest("Missing required parameter: '\(path).tool_call_id'.", param: "\(path).tool_call_id")
        }
        return ValidatedChatMessage(role: role, contentParts: parts, name: try message.string("name"),
                                    toolCallID: toolCallID, toolCalls: toolCalls)
    }
}
