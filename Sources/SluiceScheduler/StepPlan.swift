// The contract with the executor: one `StepPlan` in, one `StepOutput` back.

/// One sequence's share of a step.
public struct ScheduledSequence: Hashable, Sendable {
    public var sequenceID: SequenceID
    /// Token ids to run through the model this step (a prefill chunk, a recompute chunk or one decode token).
    public var tokens: [TokenID]
    /// Position of `tokens[0]`; positions `0..<startPosition` are already in the KV blocks.
    public var startPosition: Int
    /// Physical KV blocks for positions `0..<startPosition + tokens.count`, in order:
    /// position p lives in block `blockTable[p / blockSize]`, slot `p % blockSize`.
    public var blockTable: [BlockID]
    /// Whether the executor must compute logits for the last token and sample (last prompt chunk or decode).
    /// Only these rows need the LM head (batching.md §5.1: it is 31 % of a step's weight bytes).
    public var needsLogits: Bool
}

/// What the executor runs next.
public struct StepPlan: Hashable, Sendable {
    /// Increments by one per non-empty plan.
    public var step: UInt64
    /// Decodes of running sequences first, then their prefill or recompute chunks, then newly admitted
    /// sequences; within each group, oldest first.
    public var sequences: [ScheduledSequence]
    /// Sequences that left since the previous plan (finished, cancelled or preempted): an executor
    /// that keeps per-sequence state (sampler RNG, penalties) may drop it.
    public var releasedSequences: [SequenceID]
    public var totalTokens: Int { sequences.reduce(0) { $0 + $1.tokens.count } }
    public var isEmpty: Bool { sequences.isEmpty }
}

/// The sample for one sequence that had `needsLogits`.
public struct SequenceSample: Hashable, Sendable {
    public var sequenceID: SequenceID
    public var token: TokenID
    /// Set by the caller when this token ends the sequence (EOS → `.stop`). Stop strings, which need
    /// detokenised text, can instead be reported later through `finish(_:reason:)`.
    public var finishReason: FinishReason?
    public init(sequenceID: SequenceID, token: TokenID, finishReason: FinishReason? = nil) {
        self.sequenceID = sequenceID
        self.token = token
        self.finishReason = finishReason
    }
}

/// The executor's answer to a plan.
public struct StepOutput: Hashable, Sendable {
    public var samples: [SequenceSample]
    public init(samples: [SequenceSample]) { self.samples = samples }
}
