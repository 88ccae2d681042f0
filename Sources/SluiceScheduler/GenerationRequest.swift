// What the engine service submits: token ids and limits only (sampling parameters stay with the service).

public struct GenerationRequest: Hashable, Sendable {
    public var promptTokens: [TokenID]
    /// Upper bound on generated tokens per choice (`max_completion_tokens` / `max_tokens`).
    public var maxNewTokens: Int
    /// OpenAI `n`: independent choices over the same prompt.
    public var choices: Int
    /// Per-tenant prefix-cache isolation: requests with different salts never share blocks.
    public var cacheSalt: String?

    public init(promptTokens: [TokenID], maxNewTokens: Int, choices: Int = 1, cacheSalt: String? = nil) {
        self.promptTokens = promptTokens
        self.maxNewTokens = maxNewTokens
        self.choices = choices
        self.cacheSalt = cacheSalt
    }
}
