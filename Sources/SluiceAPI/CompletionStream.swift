// One legacy completion in progress (see ChatCompletionStream). Choices are numbered
// `promptIndex * n + choice`; `echo` text is sent first and offsets logprobs.

public struct CompletionStream: Sendable {
    public let builder: CompletionResponseBuilder
    private var choices: [ChoiceTextAssembler]
    private var finishReasons: [WireFinishReason?]
    private var echoPrefixes: [String]
    /// Unicode scalars already streamed per choice (for logprobs `text_offset`).
    private var streamedScalars: [Int]

    /// `echoPrefixes`: the prompt text of each choice when `echo` is on (empty otherwise).
    public init(request: ValidatedCompletionRequest, identity: ResponseIdentity, echoPrefixes: [String] = []) {
        let count = request.prompts.count * request.output.choices
        builder = CompletionResponseBuilder(request: request, identity: identity)
        choices = Array(repeating: ChoiceTextAssembler(stops: request.output.stop), count: count)
        finishReasons = Array(repeating: nil, count: count)
        self.echoPrefixes = request.echo ? echoPrefixes : []
        streamedScalars = Array(repeating: 0, count: count)
    }

    /// Echoed prompts (when asked for): the first events of the stream.
    public mutating func start() -> [CompletionResponse] {
        var chunks: [CompletionResponse] = []
        for (index, prefix) in echoPrefixes.enumerated() where index < choices.count && !prefix.isEmpty {
            if let chunk = builder.textChunk(StreamDelta(choice: index, text: prefix), textOffset: 0) { chunks.append(chunk) }
            streamedScalars[index] = prefix.unicodeScalars.count
        }
        return chunks
    }

    public mutating func append(choice: Int, text: String, logprobs: [TokenLogprob] = []) -> (chunks: [CompletionResponse], stopMatched: Bool) {
        guard choices.indices.contains(choice), finishReasons[choice] == nil else { return ([], false) }
        let release = choices[choice].append(text, logprobs: logprobs)
        var chunks = emit(choice: choice, release)
        if release.stopMatched {
            finishReasons[choice] = .stop
            chunks.append(builder.finishChunk(choice: choice, reason: .stop))
        }
        return (chunks, release.stopMatched)
    }

    public mutating func finish(choice: Int, reason: WireFinishReason) -> [CompletionResponse] {
        guard choices.indices.contains(choice), finishReasons[choice] == nil else { return [] }
        let release = choices[choice].finish()
        finishReasons[choice] = reason
        return emit(choice: choice, release) + [builder.finishChunk(choice: choice, reason: reason)]
    }

    public var isFinished: Bool { finishReasons.allSatisfy { $0 != nil } }

    public func end(usage: Usage) -> [CompletionResponse] {
        builder.usageChunk(usage).map { [$0] } ?? []
    }

    public var generatedChoices: [GeneratedChoice] {
        choices.indices.map { index in
            GeneratedChoice(text: choices[index].text, finishReason: finishReasons[index] ?? .length,
                            logprobs: builder.logprobs == nil ? nil : choices[index].logprobs)
        }
    }

    public func response(usage: Usage) -> CompletionResponse {
        builder.response(choices: generatedChoices, usage: usage, echoPrefixes: echoPrefixes)
    }

    private mutating func emit(choice: Int, _ release: ChoiceTextAssembler.Release) -> [CompletionResponse] {
        let delta = StreamDelta(choice: choice, text: release.text, logprobs: builder.logprobs == nil ? nil : release.logprobs)
        let chunk = builder.textChunk(delta, textOffset: streamedScalars[choice])
        streamedScalars[choice] += release.text.unicodeScalars.count
        return chunk.map { [$0] } ?? []
    }
}
