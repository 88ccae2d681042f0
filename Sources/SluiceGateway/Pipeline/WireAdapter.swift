import SluiceAPI

/// One endpoint's wire format over the shared `InferencePipeline`: how its request becomes a
/// backend job, and how backend events become its response body or SSE chunks. Everything else
/// (authorization, cache, admission, submission, streaming, settlement, cache fill, errors) is
/// the pipeline's, so it is written once for every route.
///
/// An adapter value is made per request, after the job is known; streaming may keep state in it
/// (completions' logprob text offsets), hence the `mutating` chunk functions.
protocol WireAdapter: Sendable {
    associatedtype Request: Sendable
    associatedtype Builder: StreamingResponseBuilder

    /// The request field a context-length error names (`messages`, `prompt`).
    static var promptParam: String { get }
    /// Prefix of response ids (`chatcmpl-`, `cmpl-`).
    static var idPrefix: String { get }

    /// Parses and validates the body (400s with `param` paths from SluiceAPI).
    static func validate(body: [UInt8]) throws(APIError) -> Request
    static func model(of request: Request) -> String
    static func output(of request: Request) -> OutputOptions
    static func sampling(of request: Request) -> SluiceAPI.SamplingParameters
    /// False for requests whose answer cannot be replayed from the cache in every shape asked.
    static func isCacheable(_ request: Request) -> Bool
    /// The tenant-independent cache key (`CanonicalRequestKey`), computed only when the cache is used.
    static func cacheKey(_ request: Request) -> [UInt8]
    /// The backend job: prompts tokenized with the model's template or tokenizer, max tokens
    /// defaulted, sampling mapped. Throws 400s for prompts the model cannot take.
    static func job(for request: Request, model: ServedLanguageModel) throws(APIError) -> InferenceJob

    init(request: Request, job: InferenceJob, model: ServedLanguageModel, identity: ResponseIdentity)

    /// The request's response builder, and the same with the usage chunk always on.
    var builder: Builder { get }
    var usageBuilder: Builder { get }
    /// The request asked for logprobs (the collected answer keeps them).
    var wantsLogprobs: Bool { get }

    /// SSE events sent before any backend event (chat's role chunks, completions' echoed prompts).
    mutating func openingEvents() -> [[UInt8]]
    /// The SSE event of one text delta; nil when there is nothing to send.
    mutating func deltaEvent(choice: Int, text: String, logprobs: [TokenLogprob]) -> [UInt8]?
    /// The SSE events that end one choice (text held back until the end, then its finish chunk).
    mutating func finishEvents(choice: Int, reason: WireFinishReason) -> [[UInt8]]
    /// The collected choices as the answer reports them (chat reads tool calls out of the text).
    func finalChoices(_ choices: [GeneratedChoice]) -> [GeneratedChoice]
    /// The usage event. `always`: even when the request did not ask for it (the cache keeps it
    /// for later requests that do).
    func usageEvent(_ usage: Usage, always: Bool) -> [UInt8]?
    /// The whole non-streamed response body.
    func body(choices: [GeneratedChoice], usage: Usage) -> [UInt8]
    /// A finished answer as the stream events a streaming request would have received (opening,
    /// content and finish; no usage or [DONE]): what the cache replays for a non-streamed miss.
    func replayEvents(choices: [GeneratedChoice], usage: Usage) -> [[UInt8]]
}

extension WireAdapter {
    mutating func finishEvents(choice: Int, reason: WireFinishReason) -> [[UInt8]] {
        [ServerSentEvents.event(builder.finishChunk(choice: choice, reason: reason))]
    }

    func finalChoices(_ choices: [GeneratedChoice]) -> [GeneratedChoice] { choices }

    func usageEvent(_ usage: Usage, always: Bool) -> [UInt8]? {
        (always ? usageBuilder : builder).usageChunk(usage).map { ServerSentEvents.event($0) }
    }

    func replayEvents(choices: [GeneratedChoice], usage: Usage) -> [[UInt8]] {
        let deltas = choices.enumerated().map { StreamDelta(choice: $0.offset, text: $0.element.text, logprobs: $0.element.logprobs) }
        var events = builder.streamChunks(choices: choices, deltas: deltas, usage: usage).map { ServerSentEvents.event($0) }
        if builder.includeUsage { events.removeLast() }  // the usage chunk is stored on its own
        return events
    }
}

extension GenerationFinishReason {
    var wire: WireFinishReason {
        switch self {
        case .stop: return .stop
        case .length: return .length
        }
    }
}

extension GenerationUsage {
    var wire: Usage { Usage(promptTokens: promptTokens, completionTokens: completionTokens, cachedTokens: cachedPromptTokens) }
}
