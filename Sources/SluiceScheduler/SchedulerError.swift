// The scheduler's one error type. The gateway maps it onto the OpenAI error envelope.

public enum SchedulerError: Error, Hashable, Sendable {
    /// The prompt plus `maxNewTokens` can never fit: over the model's context length or over the
    /// whole KV pool. Maps to 400 `context_length_exceeded`.
    case contextLengthExceeded(requestedTokens: Int, limit: Int)
    /// The bounded waiting queue is full (requests or queued prompt tokens). Maps to 503 + Retry-After.
    case overloaded(waitingRequests: Int, waitingPromptTokens: Int)
    /// A request the validation layer should have caught (empty prompt, `maxNewTokens < 1`, `choices < 1`).
    case invalidRequest(String)
    /// A configuration value out of range (from flags or a config file, so never a crash).
    case invalidConfiguration(String)
}
