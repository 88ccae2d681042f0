// Builds `chat.completion` bodies and the chunk sequence of a stream (openai_compat.md §1.4):
//   role chunk per choice: delta {role: "assistant", content: ""}
//   content chunks: delta {content}, never empty (vLLM #13087)
//   finish chunk per choice: delta {}, finish_reason set
//   usage chunk (choices: []) only with include_usage, then [DONE]

public struct ChatResponseBuilder: Sendable {
    public let identity: ResponseIdentity
    public private(set) var includeUsage: Bool
    public let logprobs: Bool
    public let topLogprobs: Int

    public init(request: ValidatedChatRequest, identity: ResponseIdentity) {
        self.identity = identity
        includeUsage = request.output.includeUsage
        logprobs = request.logprobs
        topLogprobs = request.topLogprobs
    }

    /// The same builder, producing the usage chunk whatever the request asked: the response
    /// cache keeps that chunk for later requests that ask for it.
    public func withUsageChunk() -> ChatResponseBuilder {
        var copy = self
        copy.includeUsage = true
        return copy
    }

    public func response(choices: [GeneratedChoice], usage: Usage) -> ChatCompletionResponse {
        ChatCompletionResponse(
            id: identity.id, created: identity.created, model: identity.model,
            systemFingerprint: identity.systemFingerprint,
            choices: choices.enumerated().map { index, choice in
                // With tool calls, `content` is null unless the model wrote text before them.
                ChatChoice(index: index,
                           message: ChatResponseMessage(content: choice.toolCalls.isEmpty || !choice.text.isEmpty ? choice.text : nil,
                                                        refusal: nil, toolCalls: choice.toolCalls),
                           logprobs: wireLogprobs(choice.logprobs), finishReason: choice.finishReason)
            },
            usage: usage)
    }

    public func roleChunk(choice: Int) -> ChatCompletionChunk {
        chunk([ChatChunkChoice(index: choice, delta: ChatDelta(role: "assistant", content: ""),
                               logprobs: nil, finishReason: nil)])
    }

    /// nil for empty text without logprobs: an empty content delta is noise clients trip over.
    public func contentChunk(_ delta: StreamDelta) -> ChatCompletionChunk? {
        guard !delta.text.isEmpty || !(delta.logprobs ?? []).isEmpty else { return nil }
        return chunk([ChatChunkChoice(index: delta.choice, delta: ChatDelta(role: nil, content: delta.text),
                                      logprobs: wireLogprobs(delta.logprobs), finishReason: nil)])
    }

    /// A tool-call piece of a choice (see `WireToolCallDelta`).
    public func toolCallChunk(choice: Int, _ delta: WireToolCallDelta) -> ChatCompletionChunk {
        chunk([ChatChunkChoice(index: choice, delta: ChatDelta(toolCalls: [delta]), logprobs: nil, finishReason: nil)])
    }

    public func finishChunk(choice: Int, reason: WireFinishReason) -> ChatCompletionChunk {
        chunk([ChatChunkChoice(index: choice, delta: ChatDelta(), logprobs: nil, finishReason: reason)])
    }

    /// The last chunk before [DONE] when `include_usage` was asked for, else nil.
    public func usageChunk(_ usage: Usage) -> ChatCompletionChunk? {
        guard includeUsage else { return nil }
        var last = chunk([])
        last.usage = usage
        return last
    }

    /// A whole stream from finished choices (response-cache replay, tests): for each choice its
    /// role chunk, then content deltas, then its finish chunk; then the optional usage chunk.
    public func streamChunks(choices: [GeneratedChoice], deltas: [StreamDelta], usage: Usage) -> [ChatCompletionChunk] {
        var chunks = choices.indices.map { roleChunk(choice: $0) }
        chunks += deltas.compactMap(contentChunk)
        for (index, choice) in choices.enumerated() {
            for (callIndex, call) in choice.toolCalls.enumerated() {
                chunks.append(toolCallChunk(choice: index, .start(index: callIndex, id: call.id, name: call.function.name)))
                chunks.append(toolCallChunk(choice: index, .arguments(index: callIndex, call.function.arguments)))
            }
        }
        chunks += choices.enumerated().map { finishChunk(choice: $0.offset, reason: $0.element.finishReason) }
        if let last = usageChunk(usage) { chunks.append(last) }
        return chunks
    }

    private func chunk(_ choices: [ChatChunkChoice]) -> ChatCompletionChunk {
        ChatCompletionChunk(id: identity.id, created: identity.created, model: identity.model,
                            systemFingerprint: identity.systemFingerprint, choices: choices,
                            usage: nil, includesUsageKey: includeUsage)
    }

    /// `logprobs: null` unless asked for; then `{content: [...], refusal: null}`.
    private func wireLogprobs(_ tokens: [TokenLogprob]?) -> ChatLogprobs? {
        guard logprobs else { return nil }
        return ChatLogprobs(content: (tokens ?? []).map { ChatTokenLogprob($0, topCount: topLogprobs) }, refusal: nil)
    }
}
