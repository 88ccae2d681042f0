import SluiceAPI
import SluiceEngine
import SluiceScheduler
import Synchronization

// The backend seam: what the pipeline hands to whatever computes tokens (the local engine today,
// a remote OpenAI-compatible upstream next), and what comes back. Nothing here is an OpenAI wire
// shape: the routes' adapters turn events into response bodies and SSE chunks, and
// `APIError(_:promptParam:)` is the one place a failure becomes a status and an envelope.
// (`TokenLogprob` is SluiceAPI's engine-neutral report of one sampled token, the builders'
// input; the wire shapes are `ChatLogprobs` and `CompletionLogprobs`.)

/// Computes tokens for jobs. Implementations must deliver, per job, events in the order
/// `InferenceEvent` documents, and free everything a job holds when it is cancelled.
public protocol InferenceBackend: Sendable {
    /// Admits a job or refuses it at once (context too long, overloaded, shutting down), before
    /// any response byte is written, so a refusal is still an HTTP status.
    func submit(_ job: InferenceJob) -> Result<InferenceHandle, InferenceFailure>
}

/// One API request as a backend runs it: validated parameters and prompt token ids (the
/// pipeline tokenizes, since admission reserves by token count; a remote backend that tokenizes
/// for itself will add a text prompt here), no JSON past the route's adapter. Several prompts (legacy completions) are several sequences whose choices are
/// numbered `promptIndex * choicesPerPrompt + choice`.
public struct InferenceJob: Sendable {
    public var prompts: [[TokenID]]
    public var choicesPerPrompt: Int
    /// Per choice. 0 (completions with `echo`) runs nothing: see `InferenceHandle.nothingToGenerate`.
    public var maxNewTokens: Int
    /// The sampler's parameters; `seed` (when set) is mixed with the choice index so the `n`
    /// choices of a seeded request differ but repeat across runs.
    public var sampling: SluiceEngine.SamplingParameters
    public var stops: [String]
    /// Prefix-cache scope: jobs with different salts never share KV blocks (nil: shared).
    public var cacheSalt: String?
    /// Seconds from submission after which the job is cancelled with `.timedOut` (nil: no limit).
    public var timeoutSeconds: Double?
    /// A grammar every choice's output must follow (structured output, forced tool calls).
    public var constraint: OutputConstraint?

    public init(prompts: [[TokenID]], choicesPerPrompt: Int = 1, maxNewTokens: Int,
                sampling: SluiceEngine.SamplingParameters = .greedy, stops: [String] = [],
                cacheSalt: String? = nil, timeoutSeconds: Double? = nil, constraint: OutputConstraint? = nil) {
        self.constraint = constraint
        self.prompts = prompts
        self.choicesPerPrompt = choicesPerPrompt
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stops = stops
        self.cacheSalt = cacheSalt
        self.timeoutSeconds = timeoutSeconds
    }

    public var choiceCount: Int { prompts.count * choicesPerPrompt }

    /// Prompt tokens, each prompt counted once (as `usage.prompt_tokens` counts them).
    public var promptTokenCount: Int { prompts.reduce(0) { $0 + $1.count } }

    /// The most completion tokens the job can produce: every choice of every prompt may run to
    /// `maxNewTokens`. Admission reserves `promptTokenCount + maxCompletionTokens`.
    public var maxCompletionTokens: Int { maxNewTokens * choiceCount }
}

/// Why a choice ended normally.
public enum GenerationFinishReason: Sendable, Hashable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `maxNewTokens` or the context was reached.
    case length
}

/// Token counts of a finished job, summed over prompts and choices.
public struct GenerationUsage: Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens whose KV came from the prefix cache.
    public var cachedPromptTokens: Int

    public init(promptTokens: Int, completionTokens: Int, cachedPromptTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }
}

/// Every way a job can fail, at submission or while it runs: the one failure type of the
/// backend stream. `APIError(_:promptParam:)` maps it to a status and envelope.
public enum InferenceFailure: Error, Sendable, Hashable {
    /// Prompt plus `maxNewTokens` cannot fit one sequence's context.
    case contextLengthExceeded(requestedTokens: Int, limit: Int)
    /// The waiting queue is full (back-pressure).
    case overloaded(retryAfterSeconds: Int)
    /// The job is malformed for this backend (a scheduler-level check the validator missed).
    case invalidJob(String)
    /// `timeoutSeconds` passed before the job finished.
    case timedOut
    /// The backend is stopping; the job was refused or abandoned.
    case shuttingDown
    /// The computation failed (the forward pass threw, a sequence produced nothing).
    case backendFailed(String)
}

/// What a waiting handler receives, in order: per choice any number of `delta`s then one
/// `finished`; then exactly one `completed` (or one `failed`, after which nothing follows). A
/// cancelled job just ends.
public enum InferenceEvent: Sendable, Equatable {
    /// Text released for a choice: never half a UTF-8 character, never part of a stop string.
    /// `logprobs` has one entry per generated token whose text this is (when asked for).
    case delta(choice: Int, text: String, logprobs: [SluiceAPI.TokenLogprob])
    case finished(choice: Int, reason: GenerationFinishReason)
    case completed(GenerationUsage)
    case failed(InferenceFailure)

    /// Content or finish: what the response cache keeps of a stream as sent.
    var isContentOrFinish: Bool {
        switch self {
        case .delta, .finished: return true
        case .completed, .failed: return false
        }
    }
}

/// Tokens a job has consumed so far, readable from any thread while it runs. A request that
/// ends without `completed` (client gone, timeout, failure) is charged this: its prompt and the
/// tokens actually generated until then, never its full reservation. A cancelled handler cannot
/// wait for the stream's last events (a cancelled task's `for await` ends at once), so the count
/// lives here rather than in an event.
public final class GenerationProgress: Sendable {
    /// Prompt tokens of every prompt of the job (each counted once, like `usage.prompt_tokens`).
    public let promptTokens: Int
    private let generated = Atomic<Int>(0)

    public init(promptTokens: Int) { self.promptTokens = promptTokens }

    /// Tokens sampled so far over every choice (end-of-generation tokens included, as the
    /// scheduler counts them for `usage.completion_tokens`).
    public var completionTokens: Int { generated.load(ordering: .relaxed) }

    /// Called by the backend once per appended token.
    public func tokenAppended() { generated.add(1, ordering: .relaxed) }
}

/// The handler's side of a submitted job.
public struct InferenceHandle: Sendable {
    public let events: AsyncStream<InferenceEvent>
    /// What the job has consumed so far (settlement of a request that did not complete).
    public let progress: GenerationProgress
    private let cancelJob: @Sendable () -> Void

    public init(events: AsyncStream<InferenceEvent>, progress: GenerationProgress, cancel: @escaping @Sendable () -> Void) {
        self.events = events
        self.progress = progress
        self.cancelJob = cancel
    }

    /// Aborts the job; the backend frees what it holds (the engine at its next step boundary).
    /// Idempotent.
    public func cancel() { cancelJob() }

    /// A job with nothing to generate (`max_tokens: 0` with `echo`): every choice finishes at
    /// once with `length` and the usage is the prompt alone. No backend runs, but the response
    /// goes through the same stream or collect path as any other.
    public static func nothingToGenerate(_ job: InferenceJob) -> InferenceHandle {
        let (events, continuation) = AsyncStream.makeStream(of: InferenceEvent.self)
        for choice in 0..<job.choiceCount { continuation.yield(.finished(choice: choice, reason: .length)) }
        continuation.yield(.completed(GenerationUsage(promptTokens: job.promptTokenCount, completionTokens: 0)))
        continuation.finish()
        return InferenceHandle(events: events, progress: GenerationProgress(promptTokens: job.promptTokenCount), cancel: {})
    }
}

extension AdmissionTicket {
    /// Settles a request that ended without `completed` (client gone, timeout, failure): its
    /// prompt and the tokens generated until now, so a client that disconnects after a few chunks
    /// of a `max_tokens: 4000` stream is charged a few tokens, not 4000. A job that failed before
    /// its first token is charged its prompt only.
    func settleUnfinished(_ handle: InferenceHandle) async {
        await settle(promptTokens: handle.progress.promptTokens, completionTokens: handle.progress.completionTokens)
    }
}
