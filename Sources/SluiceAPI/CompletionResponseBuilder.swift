// Builds `text_completion` bodies and stream chunks. Choices are numbered
// `promptIndex * n + choice` across several prompts, as OpenAI does. Unlike chat chunks, text
// chunks before the usage chunk carry no `usage` key: CreateCompletionResponse types `usage` as
// a non-nullable object, so an explicit null would break schema-validating clients.

public struct CompletionResponseBuilder: Sendable {
    public let identity: ResponseIdentity
    public private(set) var includeUsage: Bool
    /// Integer `logprobs` (alternatives per token), nil when not asked.
    public let logprobs: Int?

    public init(request: ValidatedCompletionRequest, identity: ResponseIdentity) {
        self.identity = identity
        includeUsage = request.output.includeUsage
        logprobs = request.logprobs
    }

    /// The same builder, producing the usage chunk whatever the request asked: the response
    /// cache keeps that chunk for later requests that ask for it.
    public func withUsageChunk() -> CompletionResponseBuilder {
        var copy = self
        copy.includeUsage = true
        return copy
    }

    /// `echoPrefix`: the prompt text per choice when `echo` is on; prepended to the text, and the
    /// logprob text offsets start after it.
    public func response(choices: [GeneratedChoice], usage: Usage, echoPrefixes: [String] = []) -> CompletionResponse {
        CompletionResponse(
            id: identity.id, created: identity.created, model: identity.model,
            systemFingerprint: identity.systemFingerprint,
            choices: choices.enumerated().map { index, choice in
                let prefix = index < echoPrefixes.count ? echoPrefixes[index] : ""
                return CompletionChoice(text: prefix + choice.text, index: index,
                                        logprobs: wireLogprobs(choice.logprobs, startOffset: prefix.unicodeScalars.count),
                                        finishReason: choice.finishReason)
            },
            usage: usage, includesUsageKey: true)
    }

    /// nil for empty text without logprobs. `textOffset`: scalars of this choice already streamed.
    public func textChunk(_ delta: StreamDelta, textOffset: Int = 0) -> CompletionResponse? {
        guard !delta.text.isEmpty || !(delta.logprobs ?? []).isEmpty else { return nil }
        return chunk([CompletionChoice(text: delta.text, index: delta.choice,
                                       logprobs: wireLogprobs(delta.logprobs, startOffset: textOffset), finishReason: nil)])
    }

    public func finishChunk(choice: Int, reason: WireFinishReason) -> CompletionResponse {
        chunk([CompletionChoice(text: "", index: choice, logprobs: nil, finishReason: reason)])
    }

    public func usageChunk(_ usage: Usage) -> CompletionResponse? {
        guard includeUsage else { return nil }
        var last = chunk([])
        last.usage = usage
        last.includesUsageKey = true
        return last
    }

    /// A whole stream from finished choices: text deltas, one finish chunk per choice, optional usage.
    public func streamChunks(choices: [GeneratedChoice], deltas: [StreamDelta], usage: Usage) -> [CompletionResponse] {
        var offsets = Array(repeating: 0, count: choices.count)
        var chunks: [CompletionResponse] = []
        for delta in deltas {
            let offset = delta.choice < offsets.count ? offsets[delta.choice] : 0
            if let piece = textChunk(delta, textOffset: offset) { chunks.append(piece) }
            if delta.choice < offsets.count { offsets[delta.choice] += delta.text.unicodeScalars.count }
        }
        chunks += choices.enumerated().map { finishChunk(choice: $0.offset, reason: $0.element.finishReason) }
        if let last = usageChunk(usage) { chunks.append(last) }
        return chunks
    }

    private func chunk(_ choices: [CompletionChoice]) -> CompletionResponse {
        CompletionResponse(id: identity.id, created: identity.created, model: identity.model,
                           systemFingerprint: identity.systemFingerprint, choices: choices,
                           usage: nil, includesUsageKey: false)
    }

    private func wireLogprobs(_ tokens: [TokenLogprob]?, startOffset: Int) -> CompletionLogprobs? {
        guard let logprobs else { return nil }
        return CompletionLogprobs(tokens ?? [], topCount: logprobs, startOffset: startOffset)
    }
}
