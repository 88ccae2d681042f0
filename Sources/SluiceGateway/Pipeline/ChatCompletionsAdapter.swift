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

    static func validate(body: [UInt8]) throws(APIError) -> ValidatedChatRequest { try ValidatedChatRequest.validate(body: body) }
    static func model(of request: ValidatedChatRequest) -> String { request.model }
    static func output(of request: ValidatedChatRequest) -> OutputOptions { request.output }
    static func sampling(of request: ValidatedChatRequest) -> SluiceAPI.SamplingParameters { request.sampling }
    static func isCacheable(_ request: ValidatedChatRequest) -> Bool { true }
    static func cacheKey(_ request: ValidatedChatRequest) -> [UInt8] { CanonicalRequestKey.chat(request) }

    static func job(for request: ValidatedChatRequest, model: ServedLanguageModel) throws(APIError) -> InferenceJob {
        let prompt = try model.chatPrompt(request.messages)
        return InferenceJob(
            prompts: [prompt], choicesPerPrompt: request.output.choices,
            maxNewTokens: model.maxNewTokens(requested: request.maxTokens, promptCount: prompt.count),
            sampling: ServedLanguageModel.engineSampling(request.sampling, logprobs: request.logprobs,
                                                         topLogprobs: request.topLogprobs),
            stops: request.output.stop)
    }

    init(request: ValidatedChatRequest, job: InferenceJob, model: ServedLanguageModel, identity: ResponseIdentity) {
        builder = ChatResponseBuilder(request: request, identity: identity)
        usageBuilder = builder.withUsageChunk()
        choiceCount = job.choiceCount
    }

    var wantsLogprobs: Bool { builder.logprobs }

    func openingEvents() -> [[UInt8]] {
        (0..<choiceCount).map { ServerSentEvents.event(builder.roleChunk(choice: $0)) }
    }

    func deltaEvent(choice: Int, text: String, logprobs: [TokenLogprob]) -> [UInt8]? {
        builder.contentChunk(StreamDelta(choice: choice, text: text, logprobs: logprobs)).map { ServerSentEvents.event($0) }
    }

    func body(choices: [GeneratedChoice], usage: Usage) -> [UInt8] {
        WireJSON.encode(builder.response(choices: choices, usage: usage))
    }
}
