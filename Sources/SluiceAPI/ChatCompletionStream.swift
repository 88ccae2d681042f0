// One chat completion in progress: per-choice text assembly (stop strings, logprobs) driving the
// chunk builder. The engine service feeds detokenized pieces and finish events; the same state
// yields the streamed chunks or, at the end, the non-streaming response.

public struct ChatCompletionStream: Sendable {
    public let builder: ChatResponseBuilder
    private var choices: [ChoiceTextAssembler]
    private var finishReasons: [WireFinishReason?]

    public init(request: ValidatedChatRequest, identity: ResponseIdentity) {
        builder = ChatResponseBuilder(request: request, identity: identity)
        choices = Array(repeating: ChoiceTextAssembler(stops: request.output.stop), count: request.output.choices)
        finishReasons = Array(repeating: nil, count: request.output.choices)
    }

    /// The role chunk of every choice: the first events of the stream.
    public func start() -> [ChatCompletionChunk] {
        choices.indices.map { builder.roleChunk(choice: $0) }
    }

    /// New text for a choice. When `stopMatched` is true the choice is finished (its finish chunk is
    /// included) and the caller must end that sequence in the scheduler.
    public mutating func append(choice: Int, text: String, logprobs: [TokenLogprob] = []) -> (chunks: [ChatCompletionChunk], stopMatched: Bool) {
        guard choices.indices.contains(choice), finishReasons[choice] == nil else { return ([], false) }
        let release = choices[choice].append(text, logprobs: logprobs)
        var chunks: [ChatCompletionChunk] = []
        if let chunk = builder.contentChunk(StreamDelta(choice: choice, text: release.text, logprobs: release.logprobs)) {
            chunks.append(chunk)
        }
        if release.stopMatched {
            finishReasons[choice] = .stop
            chunks.append(builder.finishChunk(choice: choice, reason: .stop))
        }
        return (chunks, release.stopMatched)
    }

    /// The choice's sequence ended (EOS → `.stop`, limit → `.length`): flushes held-back text and
    /// sends the finish chunk. A choice already ended by a stop string returns nothing.
    public mutating func finish(choice: Int, reason: WireFinishReason) -> [ChatCompletionChunk] {
        guard choices.indices.contains(choice), finishReasons[choice] == nil else { return [] }
        let release = choices[choice].finish()
        finishReasons[choice] = reason
        var chunks: [ChatCompletionChunk] = []
        if let chunk = builder.contentChunk(StreamDelta(choice: choice, text: release.text, logprobs: release.logprobs)) {
            chunks.append(chunk)
        }
        chunks.append(builder.finishChunk(choice: choice, reason: reason))
        return chunks
    }

    public var isFinished: Bool { finishReasons.allSatisfy { $0 != nil } }

    /// The usage chunk when `include_usage` was asked for; follow with `ServerSentEvents.done`.
    public func end(usage: Usage) -> [ChatCompletionChunk] {
        builder.usageChunk(usage).map { [$0] } ?? []
    }

    /// Final text per choice (unfinished choices count as `length`).
    public var generatedChoices: [GeneratedChoice] {
        choices.indices.map { index in
            GeneratedChoice(text: choices[index].text, finishReason: finishReasons[index] ?? .length,
                            logprobs: builder.logprobs ? choices[index].logprobs : nil)
        }
    }

    public func response(usage: Usage) -> ChatCompletionResponse {
        builder.response(choices: generatedChoices, usage: usage)
    }
}
