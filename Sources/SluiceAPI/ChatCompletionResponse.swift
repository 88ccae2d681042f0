// `chat.completion` and `chat.completion.chunk` objects (CreateChatCompletionResponse,
// CreateChatCompletionStreamResponse). Keys the schema requires but allows to be null
// (`logprobs`, `finish_reason` in chunks, `message.content`, `refusal`) are written as explicit nulls.

/// One call the model made (ChatCompletionMessageToolCall).
public struct WireToolCall: Codable, Hashable, Sendable {
    public struct Function: Codable, Hashable, Sendable {
        public var name: String
        /// The arguments as a JSON text (a string on the wire, as OpenAI sends it).
        public var arguments: String
    }
    public var id: String
    public var type: String = "function"
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.function = Function(name: name, arguments: arguments)
    }
}

public struct ChatResponseMessage: Codable, Hashable, Sendable {
    public var role: String = "assistant"
    public var content: String?
    public var refusal: String?
    /// Absent unless the model called tools (OpenAI omits the key then).
    public var toolCalls: [WireToolCall]?

    enum CodingKeys: String, CodingKey {
        case role, content, refusal
        case toolCalls = "tool_calls"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encode(refusal, forKey: .refusal)
        if let toolCalls, !toolCalls.isEmpty { try container.encode(toolCalls, forKey: .toolCalls) }
    }
}

public struct ChatChoice: Codable, Hashable, Sendable {
    public var index: Int
    public var message: ChatResponseMessage
    public var logprobs: ChatLogprobs?
    public var finishReason: WireFinishReason

    enum CodingKeys: String, CodingKey {
        case index, message, logprobs
        case finishReason = "finish_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(message, forKey: .message)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason, forKey: .finishReason)
    }
}

public struct ChatCompletionResponse: Codable, Hashable, Sendable {
    public var id: String
    public var object: String = "chat.completion"
    public var created: Int
    public var model: String
    public var systemFingerprint: String?
    public var choices: [ChatChoice]
    public var usage: Usage?

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }
}

/// A piece of a streamed tool call (ChatCompletionMessageToolCallChunk): the first piece of a
/// call carries `id`, `type` and the function's name with empty arguments; later pieces only
/// `index` and an argument fragment, which clients concatenate.
public struct WireToolCallDelta: Codable, Hashable, Sendable {
    public struct Function: Codable, Hashable, Sendable {
        public var name: String?
        public var arguments: String?
    }
    public var index: Int
    public var id: String?
    public var type: String?
    public var function: Function

    public static func start(index: Int, id: String, name: String) -> WireToolCallDelta {
        WireToolCallDelta(index: index, id: id, type: "function", function: Function(name: name, arguments: ""))
    }

    public static func arguments(index: Int, _ fragment: String) -> WireToolCallDelta {
        WireToolCallDelta(index: index, id: nil, type: nil, function: Function(name: nil, arguments: fragment))
    }
}

public struct ChatDelta: Codable, Hashable, Sendable {
    /// Only on a choice's first chunk.
    public var role: String?
    public var content: String?
    public var toolCalls: [WireToolCallDelta]?
    // Synthesised encoding omits nil keys: the finish chunk's delta is `{}`.

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
    }

    public init(role: String? = nil, content: String? = nil, toolCalls: [WireToolCallDelta]? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
    }
}

public struct ChatChunkChoice: Codable, Hashable, Sendable {
    public var index: Int
    public var delta: ChatDelta
    public var logprobs: ChatLogprobs?
    /// null until the choice's last chunk.
    public var finishReason: WireFinishReason?

    enum CodingKeys: String, CodingKey {
        case index, delta, logprobs
        case finishReason = "finish_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(delta, forKey: .delta)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason, forKey: .finishReason)
    }
}

public struct ChatCompletionChunk: Codable, Hashable, Sendable {
    public var id: String
    public var object: String = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var systemFingerprint: String?
    public var choices: [ChatChunkChoice]
    public var usage: Usage?
    /// With `include_usage`, every chunk carries `usage` (null but the last); without it the key is absent.
    public var includesUsageKey = false

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        object = try container.decode(String.self, forKey: .object)
        created = try container.decode(Int.self, forKey: .created)
        model = try container.decode(String.self, forKey: .model)
        systemFingerprint = try container.decodeIfPresent(String.self, forKey: .systemFingerprint)
        choices = try container.decode([ChatChunkChoice].self, forKey: .choices)
        includesUsageKey = container.contains(.usage)
        usage = try container.decodeIfPresent(Usage.self, forKey: .usage)
    }

    init(id: String, created: Int, model: String, systemFingerprint: String?, choices: [ChatChunkChoice],
         usage: Usage?, includesUsageKey: Bool) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
        self.includesUsageKey = includesUsageKey
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encodeIfPresent(systemFingerprint, forKey: .systemFingerprint)
        try container.encode(choices, forKey: .choices)
        if includesUsageKey { try container.encode(usage, forKey: .usage) }
    }
}
