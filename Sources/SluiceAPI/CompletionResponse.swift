// `text_completion` objects (CreateCompletionResponse). "Both the streamed and non-streamed
// response objects share the same shape", so stream chunks are this type too.

public struct CompletionChoice: Codable, Hashable, Sendable {
    public var text: String
    public var index: Int
    public var logprobs: CompletionLogprobs?
    /// null in stream chunks until the choice's last one.
    public var finishReason: WireFinishReason?

    enum CodingKeys: String, CodingKey {
        case text, index, logprobs
        case finishReason = "finish_reason"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(text, forKey: .text)
        try container.encode(index, forKey: .index)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason, forKey: .finishReason)
    }
}

public struct CompletionResponse: Codable, Hashable, Sendable {
    public var id: String
    public var object: String = "text_completion"
    public var created: Int
    public var model: String
    public var systemFingerprint: String?
    public var choices: [CompletionChoice]
    public var usage: Usage?
    /// Stream chunks with `include_usage` carry `usage: null`; a non-streaming response always has usage.
    public var includesUsageKey = true

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
        choices = try container.decode([CompletionChoice].self, forKey: .choices)
        includesUsageKey = container.contains(.usage)
        usage = try container.decodeIfPresent(Usage.self, forKey: .usage)
    }

    init(id: String, created: Int, model: String, systemFingerprint: String?, choices: [CompletionChoice],
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

/// `GET /v1/models` (ListModelsResponse, Model).
public struct ModelList: Codable, Hashable, Sendable {
    public struct Model: Codable, Hashable, Sendable {
        public var id: String
        public var object: String = "model"
        public var created: Int
        public var ownedBy: String
        public init(id: String, created: Int, ownedBy: String) {
            self.id = id
            self.created = created
            self.ownedBy = ownedBy
        }
        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }
    public var object: String = "list"
    public var data: [Model]
    public init(data: [Model]) { self.data = data }
}
