import SluiceAPI
import SluiceEngine
import SluiceScheduler

/// Per-choice state the engine thread keeps between steps: the sampler (its own seeded RNG and
/// penalty window), the incremental detokenizer (UTF-8 hold-back) and the text assembler (stop
/// strings with their own hold-back, logprobs kept with their text).
struct ChoiceRuntime {
    let choiceIndex: Int
    var sampler: Sampler
    var detokenizer: IncrementalDetokenizer
    var assembler: ChoiceTextAssembler
    /// The job's grammar, where it has one.
    var constraint: ChoiceConstraint?
    /// A finish event was sent (a stop string can end a choice before the scheduler reports it).
    var finished = false
    var lastTokenAt: Double?
}

/// One submitted job. Created by the handler's thread under the service lock; afterwards only the
/// engine thread touches it (that discipline is why it is `@unchecked Sendable`).
final class JobRuntime: @unchecked Sendable {
    let id: UInt64
    let continuation: AsyncStream<InferenceEvent>.Continuation
    let submittedAt: Double
    let deadline: Double?
    let wantsLogprobs: Bool
    /// Shared with the handle: tokens so far, for settling a request that does not complete.
    let progress: GenerationProgress
    var requests: [RequestID] = []
    var choices: [SequenceID: ChoiceRuntime] = [:]
    var unfinishedRequests = 0
    var usage = GenerationUsage(promptTokens: 0, completionTokens: 0)
    var firstTokenAt: Double?
    /// Set when the job must end with an error (timeout) instead of `completed`.
    var failure: InferenceFailure?
    /// A choice was cancelled (client gone): the job ends without a terminal event.
    var sawCancel = false
    var finishReasons: [GenerationFinishReason] = []

    init(id: UInt64, continuation: AsyncStream<InferenceEvent>.Continuation, submittedAt: Double,
         deadline: Double?, wantsLogprobs: Bool, progress: GenerationProgress) {
        self.id = id
        self.progress = progress
        self.continuation = continuation
        self.submittedAt = submittedAt
        self.deadline = deadline
        self.wantsLogprobs = wantsLogprobs
    }

    func add(_ part: RequestUsage) {
        usage.promptTokens += part.promptTokens
        usage.completionTokens += part.completionTokens
        usage.cachedPromptTokens += part.cachedPromptTokens
    }
}

extension UInt64 {
    /// A distinct, reproducible seed per choice (SplitMix64's increment spreads neighbouring indices).
    func mixed(withChoice choice: Int) -> UInt64 {
        choice == 0 ? self : self &+ UInt64(choice) &* 0x9E37_79B9_7F4A_7C15
    }
}
