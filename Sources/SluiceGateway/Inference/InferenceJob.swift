import SluiceAPI
import SluiceEngine
import SluiceScheduler

/// One API request as the engine service runs it: token ids and validated parameters only
/// (no JSON past the route handler). Several prompts (legacy completions) become several
/// scheduler requests whose choices are numbered `promptIndex * choicesPerPrompt + choice`.
public struct InferenceJob: Sendable {
    public var prompts: [[TokenID]]
    public var choicesPerPrompt: Int
    public var maxNewTokens: Int
    /// The engine sampler's parameters; `seed` (when set) is mixed with the choice index so the
    /// `n` choices of a seeded request differ but repeat across runs.
    public var sampling: SluiceEngine.SamplingParameters
    public var stops: [String]
    public var cacheSalt: String?
    /// Seconds from submission after which the request is cancelled (nil: no limit).
    public var timeoutSeconds: Double?

    public init(prompts: [[TokenID]], choicesPerPrompt: Int = 1, maxNewTokens: Int,
                sampling: SluiceEngine.SamplingParameters = .greedy, stops: [String] = [],
                cacheSalt: String? = nil, timeoutSeconds: Double? = nil) {
        self.prompts = prompts
        self.choicesPerPrompt = choicesPerPrompt
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stops = stops
        self.cacheSalt = cacheSalt
        self.timeoutSeconds = timeoutSeconds
    }

    public var choiceCount: Int { prompts.count * choicesPerPrompt }
}

/// What a waiting handler receives, in order: per choice any number of `delta`s then one
/// `finished`; then exactly one `completed` (or one `failed`, after which nothing follows).
public enum InferenceEvent: Sendable, Equatable {
    /// Text released for a choice: never half a UTF-8 character, never part of a stop string.
    /// `logprobs` has one entry per generated token whose text this is (when asked for).
    case delta(choice: Int, text: String, logprobs: [SluiceAPI.TokenLogprob])
    case finished(choice: Int, reason: WireFinishReason)
    /// Every choice finished; token counts summed over prompts and choices.
    case completed(Usage)
    /// The request ended abnormally after admission (timeout, engine failure).
    case failed(APIError)
}

/// The handler's side of a submitted job.
public struct InferenceHandle: Sendable {
    public let id: UInt64
    public let events: AsyncStream<InferenceEvent>
    let service: EngineService

    /// Aborts the job at the next step boundary; its KV blocks are freed then. Idempotent.
    public func cancel() { service.cancel(jobID: id) }
}
