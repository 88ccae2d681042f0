import SluiceAPI
import SluiceEngine
import SluiceScheduler
import Synchronization

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

/// Tokens a job has consumed so far, readable from any thread while it runs. A request that
/// ends without `completed` (client gone, timeout, engine failure) is charged this: its prompt
/// and the tokens actually generated until then, never its full reservation. A cancelled
/// handler cannot wait for the stream's last events (a cancelled task's `for await` ends at
/// once), so the count lives here rather than in an event.
public final class GenerationProgress: Sendable {
    /// Prompt tokens of every prompt of the job (each counted once, like `usage.prompt_tokens`).
    public let promptTokens: Int
    private let generated = Atomic<Int>(0)

    public init(promptTokens: Int) { self.promptTokens = promptTokens }

    /// Tokens sampled so far over every choice (end-of-generation tokens included, as the
    /// scheduler counts them for `usage.completion_tokens`).
    public var completionTokens: Int { generated.load(ordering: .relaxed) }

    /// Called by the engine thread once per appended token.
    func tokenAppended() { generated.add(1, ordering: .relaxed) }
}

/// The handler's side of a submitted job.
public struct InferenceHandle: Sendable {
    public let id: UInt64
    public let events: AsyncStream<InferenceEvent>
    /// What the job has consumed so far (settlement of a request that did not complete).
    public let progress: GenerationProgress
    let service: EngineService

    /// Aborts the job at the next step boundary; its KV blocks are freed then. Idempotent.
    public func cancel() { service.cancel(jobID: id) }
}

extension AdmissionTicket {
    /// Settles a request that ended without `completed` (client gone, timeout, engine failure):
    /// its prompt and the tokens generated until now, so a client that disconnects after a few
    /// chunks of a `max_tokens: 4000` stream is charged a few tokens, not 4000. A job that failed
    /// before its first token is charged its prompt only.
    func settleUnfinished(_ handle: InferenceHandle) async {
        await settle(promptTokens: handle.progress.promptTokens, completionTokens: handle.progress.completionTokens)
    }
}
