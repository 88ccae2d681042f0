// Identifiers, events and finish reasons shared by the scheduler's public API.

/// A vocabulary index. The scheduler never interprets it; it only feeds it back to the executor.
public typealias TokenID = Int32

/// A physical KV block index into the executor's paged KV storage.
public typealias BlockID = Int32

/// Identifies one submitted request. Assigned by the scheduler in submission order, so comparing
/// two ids compares arrival order (our priority: first come, first served).
public struct RequestID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: RequestID, b: RequestID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "r\(rawValue)" }
}

/// One generated choice of a request (`n` choices share the prompt's KV blocks through the prefix cache).
/// Ordered by arrival first, then by choice index: the older request always wins.
public struct SequenceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let request: RequestID
    public let choice: Int
    public init(request: RequestID, choice: Int) {
        self.request = request
        self.choice = choice
    }
    public static func < (a: SequenceID, b: SequenceID) -> Bool {
        (a.request, a.choice) < (b.request, b.choice)
    }
    public var description: String { "\(request).\(choice)" }
}

/// Why a sequence stopped. Maps onto OpenAI's `finish_reason` (`stop`, `length`); `cancelled` and
/// `failed` streams are closed by the service without a normal finish chunk.
public enum FinishReason: String, Sendable, Hashable {
    /// EOS or a stop string, decided by the caller (engine service).
    case stop
    /// `maxNewTokens` reached, or the model's context length.
    case length
    /// `cancel(_:)` was called (client gone, timeout).
    case cancelled
    /// The executor returned no sample for a sequence that needed one.
    case failed
}

/// Token counts for `usage`, reported once every choice of a request has finished.
public struct RequestUsage: Hashable, Sendable {
    public var promptTokens: Int
    /// Prompt tokens served from the prefix cache on first admission (`usage.prompt_tokens_details.cached_tokens`).
    /// Hits while recomputing after a preemption are not counted (vLLM #25780: they polluted the metric).
    public var cachedPromptTokens: Int
    /// Generated tokens summed over all choices.
    public var completionTokens: Int
    public var preemptions: Int
    public init(promptTokens: Int, cachedPromptTokens: Int, completionTokens: Int, preemptions: Int) {
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.completionTokens = completionTokens
        self.preemptions = preemptions
    }
}

/// What happened to requests during `schedule()` or `update(with:)`; the engine service turns these into streams.
public enum SchedulerEvent: Hashable, Sendable {
    /// A sampled token was appended to the sequence; `index` counts generated tokens from 0.
    case tokenAppended(SequenceID, token: TokenID, index: Int)
    /// The sequence left the scheduler; its blocks are freed.
    case finished(SequenceID, FinishReason)
    /// The sequence lost its KV blocks and went back to the waiting queue; it will be recomputed
    /// from its prompt plus generated tokens, so its stream just pauses.
    case preempted(SequenceID)
    /// Every choice of the request has finished; `usage` is final.
    case requestFinished(RequestID, usage: RequestUsage)
}
