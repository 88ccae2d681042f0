// The fields every object of one response shares. `id` and `created` are identical on every
// chunk of a stream (openai_compat.md §1.4; TGI's usage chunk with an empty id broke clients).

public struct ResponseIdentity: Hashable, Sendable {
    public var id: String
    /// Unix seconds, from the injected clock.
    public var created: Int
    public var model: String
    public var systemFingerprint: String?

    public init(id: String, created: Int, model: String, systemFingerprint: String? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
    }

    /// `prefix` + 24 random alphanumerics, e.g. `chatcmpl-…` or `cmpl-…`. Randomness is injected.
    public static func makeID(prefix: String, using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// One finished choice, as the engine service collects it.
public struct GeneratedChoice: Hashable, Sendable {
    /// The text answer (for a choice that called tools: any text before the calls, usually empty).
    public var text: String
    public var finishReason: WireFinishReason
    /// Per generated token, when logprobs were asked for.
    public var logprobs: [TokenLogprob]?
    /// Calls the model made (chat only); non-empty means `content: null` unless text came first.
    public var toolCalls: [WireToolCall]
    public init(text: String, finishReason: WireFinishReason, logprobs: [TokenLogprob]? = nil, toolCalls: [WireToolCall] = []) {
        self.text = text
        self.finishReason = finishReason
        self.logprobs = logprobs
        self.toolCalls = toolCalls
    }
}

/// A piece of a streamed choice: text released by the stop matcher, with its tokens' logprobs.
public struct StreamDelta: Hashable, Sendable {
    public var choice: Int
    public var text: String
    public var logprobs: [TokenLogprob]?
    public init(choice: Int, text: String, logprobs: [TokenLogprob]? = nil) {
        self.choice = choice
        self.text = text
        self.logprobs = logprobs
    }
}

/// What the chat and completion builders share: finish, usage and whole-stream chunks of their
/// own chunk type. The gateway's route adapters stream, replay and account usage through it, so
/// that code is written once for every endpoint.
public protocol StreamingResponseBuilder: Sendable {
    associatedtype Chunk: Encodable
    /// The request asked for the usage chunk (`stream_options.include_usage`).
    var includeUsage: Bool { get }
    func finishChunk(choice: Int, reason: WireFinishReason) -> Chunk
    /// nil unless `includeUsage`.
    func usageChunk(_ usage: Usage) -> Chunk?
    /// A whole stream from finished choices, ending with the usage chunk when `includeUsage`.
    func streamChunks(choices: [GeneratedChoice], deltas: [StreamDelta], usage: Usage) -> [Chunk]
    /// The same builder with `includeUsage` on.
    func withUsageChunk() -> Self
}

extension ChatResponseBuilder: StreamingResponseBuilder {}
extension CompletionResponseBuilder: StreamingResponseBuilder {}
