// `CompletionUsage` (openai_compat.md §1.3). Details objects are always sent, with zeros, so
// clients reading `usage.prompt_tokens_details.cached_tokens` never meet a missing key.

public struct Usage: Codable, Hashable, Sendable {
    public struct PromptTokensDetails: Codable, Hashable, Sendable {
        public var cachedTokens: Int
        public var audioTokens: Int = 0
        enum CodingKeys: String, CodingKey {
            case cachedTokens = "cached_tokens"
            case audioTokens = "audio_tokens"
        }
    }

    public struct CompletionTokensDetails: Codable, Hashable, Sendable {
        public var reasoningTokens: Int = 0
        public var audioTokens: Int = 0
        public var acceptedPredictionTokens: Int = 0
        public var rejectedPredictionTokens: Int = 0
        enum CodingKeys: String, CodingKey {
            case reasoningTokens = "reasoning_tokens"
            case audioTokens = "audio_tokens"
            case acceptedPredictionTokens = "accepted_prediction_tokens"
            case rejectedPredictionTokens = "rejected_prediction_tokens"
        }
    }

    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public var promptTokensDetails: PromptTokensDetails?
    public var completionTokensDetails: CompletionTokensDetails?

    /// Counts from the scheduler: prompt, generated (all choices) and prefix-cache hits.
    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        totalTokens = promptTokens + completionTokens
        promptTokensDetails = PromptTokensDetails(cachedTokens: cachedTokens)
        completionTokensDetails = CompletionTokensDetails()
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
        case completionTokensDetails = "completion_tokens_details"
    }
}

/// OpenAI's `finish_reason` values; nothing else is ever sent (TGI's `stop_sequence` broke clients).
public enum WireFinishReason: String, Codable, Hashable, Sendable {
    case stop
    case length
    case toolCalls = "tool_calls"
    case contentFilter = "content_filter"
}
