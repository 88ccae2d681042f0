import SluiceAPI
import SluiceScheduler

/// `POST /v1/completions` (legacy, openai_compat.md §1.5): one or more prompts, `n` choices
/// each, numbered `promptIndex * n + choice`; integer `logprobs`; `echo` prepends the prompt
/// text. Logprobs cover generated tokens only (the engine computes logits for the last prompt
/// row, so `echo` with `logprobs` has no prompt-token logprobs).
struct CompletionsAdapter: WireAdapter {
    static let promptParam = "prompt"
    static let idPrefix = "cmpl-"

    let builder: CompletionResponseBuilder
    let usageBuilder: CompletionResponseBuilder
    /// The prompt text per choice when `echo` is on (empty otherwise).
    let echoes: [String]
    /// Unicode scalars already streamed per choice: logprobs' `text_offset` continues from there.
    var offsets: [Int]

    static func validate(body: [UInt8]) throws(APIError) -> ValidatedCompletionRequest {
        try ValidatedCompletionRequest.validate(body: body)
    }
    static func model(of request: ValidatedCompletionRequest) -> String { request.model }
    static func output(of request: ValidatedCompletionRequest) -> OutputOptions { request.output }
    static func sampling(of request: ValidatedCompletionRequest) -> SluiceAPI.SamplingParameters { request.sampling }
    /// `echo` requests are not cached: their stream shape (prompt chunks, text offsets) cannot be
    /// rebuilt from the body alone.
    static func isCacheable(_ request: ValidatedCompletionRequest) -> Bool { !request.echo }
    static func cacheKey(_ request: ValidatedCompletionRequest) -> [UInt8] { CanonicalRequestKey.completion(request) }

    static func job(for request: ValidatedCompletionRequest, model: ServedLanguageModel) throws(APIError) -> InferenceJob {
        var prompts: [[TokenID]] = []
        for (index, input) in request.prompts.enumerated() { prompts.append(try model.completionPrompt(input, index: index)) }
        let plan = try ConstraintPlan.completion(responseFormat: request.responseFormat)
        return InferenceJob(
            prompts: prompts, choicesPerPrompt: request.output.choices, maxNewTokens: request.maxTokens,
            sampling: ServedLanguageModel.engineSampling(request.sampling, logprobs: request.logprobs != nil,
                                                         topLogprobs: request.logprobs ?? 0),
            stops: request.output.stop, constraint: try plan.map { plan throws(APIError) in try model.grammars.constraint(for: plan) })
    }

    init(request: ValidatedCompletionRequest, job: InferenceJob, model: ServedLanguageModel, identity: ResponseIdentity) {
        builder = CompletionResponseBuilder(request: request, identity: identity)
        usageBuilder = builder.withUsageChunk()
        if request.echo {
            echoes = zip(request.prompts, job.prompts).flatMap { input, tokens in
                Array(repeating: model.promptText(input, tokens: tokens), count: job.choicesPerPrompt)
            }
        } else {
            echoes = []
        }
        offsets = Array(repeating: 0, count: job.choiceCount)
    }

    var wantsLogprobs: Bool { builder.logprobs != nil }

    mutating func openingEvents() -> [[UInt8]] {
        var events: [[UInt8]] = []
        for (index, echo) in echoes.enumerated() where index < offsets.count && !echo.isEmpty {
            if let chunk = builder.textChunk(StreamDelta(choice: index, text: echo)) { events.append(ServerSentEvents.event(chunk)) }
            offsets[index] = echo.unicodeScalars.count
        }
        return events
    }

    mutating func deltaEvent(choice: Int, text: String, logprobs: [TokenLogprob]) -> [UInt8]? {
        let known = offsets.indices.contains(choice)
        let delta = StreamDelta(choice: choice, text: text, logprobs: builder.logprobs == nil ? nil : logprobs)
        let chunk = builder.textChunk(delta, textOffset: known ? offsets[choice] : 0)
        if known { offsets[choice] += text.unicodeScalars.count }
        return chunk.map { ServerSentEvents.event($0) }
    }

    func body(choices: [GeneratedChoice], usage: Usage) -> [UInt8] {
        WireJSON.encode(builder.response(choices: choices, usage: usage, echoPrefixes: echoes))
    }
}
