import SluiceAPI

/// `POST /v1/chat/completions` (openai_compat.md §1.2-1.4): the conversation is rendered with
/// the model's chat template; the answer is one `chat.completion` body or a
/// `chat.completion.chunk` stream: a role chunk per choice, content deltas, a finish chunk per
/// choice, the usage chunk when `stream_options.include_usage`, then `data: [DONE]`.
struct ChatCompletionsAdapter: WireAdapter {
    static let promptParam = "messages"
    static let idPrefix = "chatcmpl-"

    let builder: ChatResponseBuilder
    /// Always produces the usage chunk (see `usageEvent(_:always:)`).
    let usageBuilder: ChatResponseBuilder
    let choiceCount: Int
    /// How the model writes tool calls, when the request lets it call any.
    let toolFormat: ToolCallFormat?
    /// Per choice, while streaming with tools: content and calls read out of the text so far.
    var parsers: [ToolCallStreamParser]

    static func validate(body: [UInt8]) throws(APIError) -> ValidatedChatRequest { try ValidatedChatRequest.validate(body: body) }
    static func model(of request: ValidatedChatRequest) -> String { request.model }
    static func output(of request: ValidatedChatRequest) -> OutputOptions { request.output }
    static func sampling(of request: ValidatedChatRequest) -> SluiceAPI.SamplingParameters { request.sampling }
    static func isCacheable(_ request: ValidatedChatRequest) -> Bool { true }
    static func cacheKey(_ request: ValidatedChatRequest) -> [UInt8] { CanonicalRequestKey.chat(request) }

    static func job(for request: ValidatedChatRequest, model: ServedLanguageModel) throws(APIError) -> InferenceJob {
        let prompt = try model.chatPrompt(request.messages, tools: request.tools)
        let plan = try ConstraintPlan.chat(responseFormat: request.responseFormat, tools: request.tools, format: model.toolFormat)
        return InferenceJob(
            prompts: [prompt], choicesPerPrompt: request.output.choices,
            maxNewTokens: model.maxNewTokens(requested: request.maxTokens, promptCount: prompt.count),
            sampling: ServedLanguageModel.engineSampling(request.sampling, logprobs: request.logprobs,
                                                         topLogprobs: request.topLogprobs),
            stops: request.output.stop, constraint: try plan.map { plan throws(APIError) in try model.grammars.constraint(for: plan) })
    }

    init(request: ValidatedChatRequest, job: InferenceJob, model: ServedLanguageModel, identity: ResponseIdentity) {
        builder = ChatResponseBuilder(request: request, identity: identity)
        usageBuilder = builder.withUsageChunk()
        choiceCount = job.choiceCount
        toolFormat = request.tools.isOff ? nil : model.toolFormat
        parsers = toolFormat.map { format in Array(repeating: ToolCallStreamParser(format: format), count: job.choiceCount) } ?? []
    }

    var wantsLogprobs: Bool { builder.logprobs }

    func openingEvents() -> [[UInt8]] {
        (0..<choiceCount).map { ServerSentEvents.event(builder.roleChunk(choice: $0)) }
    }

    mutating func deltaEvent(choice: Int, text: String, logprobs: [TokenLogprob]) -> [UInt8]? {
        guard parsers.indices.contains(choice) else {
            return builder.contentChunk(StreamDelta(choice: choice, text: text, logprobs: logprobs)).map { ServerSentEvents.event($0) }
        }
        let events = events(of: parsers[choice].append(text), choice: choice, logprobs: logprobs)
        return events.isEmpty ? nil : Array(events.joined())
    }

    mutating func finishEvents(choice: Int, reason: WireFinishReason) -> [[UInt8]] {
        var events: [[UInt8]] = []
        var reason = reason
        if parsers.indices.contains(choice) {
            events = self.events(of: parsers[choice].finish(), choice: choice, logprobs: [])
            if parsers[choice].hasCalls, reason == .stop { reason = .toolCalls }
        }
        return events + [ServerSentEvents.event(builder.finishChunk(choice: choice, reason: reason))]
    }

    /// Content pieces carry the step's logprobs (OpenAI reports logprobs of content tokens only);
    /// call pieces become tool-call deltas.
    private func events(of pieces: [ToolCallStreamParser.Piece], choice: Int, logprobs: [TokenLogprob]) -> [[UInt8]] {
        var logprobs: [TokenLogprob]? = logprobs
        return pieces.compactMap { piece in
            switch piece {
            case .content(let text):
                defer { logprobs = nil }
                return builder.contentChunk(StreamDelta(choice: choice, text: text, logprobs: logprobs)).map { ServerSentEvents.event($0) }
            case let .callStarted(index, id, name):
                return ServerSentEvents.event(builder.toolCallChunk(choice: choice, .start(index: index, id: id, name: name)))
            case let .arguments(index, fragment):
                return ServerSentEvents.event(builder.toolCallChunk(choice: choice, .arguments(index: index, fragment)))
            }
        }
    }

    /// Tool calls read out of each choice's whole text (the same reading the stream does).
    func finalChoices(_ choices: [GeneratedChoice]) -> [GeneratedChoice] {
        guard let toolFormat else { return choices }
        return choices.map { choice in
            var parser = ToolCallStreamParser(format: toolFormat)
            _ = parser.append(choice.text)
            _ = parser.finish()
            var final = choice
            final.text = parser.content
            final.toolCalls = parser.calls
            if parser.hasCalls, choice.finishReason == .stop { final.finishReason = .toolCalls }
            return final
        }
    }

    func body(choices: [GeneratedChoice], usage: Usage) -> [UInt8] {
        WireJSON.encode(builder.response(choices: choices, usage: usage))
    }
}
