// A point-in-time view for `/metrics` and logs.

public struct SchedulerMetrics: Hashable, Sendable {
    /// Sequences waiting (new or preempted).
    public var waitingSequences: Int
    /// Requests not yet started (the back-pressure bound counts these).
    public var queuedRequests: Int
    public var queuedPromptTokens: Int
    public var runningSequences: Int
    public var kvBlocksUsed: Int
    /// Idle blocks kept for prefix hits (evictable).
    public var kvBlocksCached: Int
    public var kvBlocksTotal: Int
    /// Prompt tokens served from the prefix cache on first admission, since start.
    public var prefixCacheHitTokens: Int
    /// Prompt tokens looked up in the prefix cache on first admission, since start.
    public var prefixCacheQueryTokens: Int
    public var lastBatchSequences: Int
    public var lastBatchTokens: Int
    public var preemptions: Int
    /// Tokens whose KV was thrown away by preemptions (recompute waste, batching.md §4.3).
    public var preemptedTokens: Int
    public var cancelledSequences: Int
    public var rejectedRequests: Int
    public var steps: UInt64
}
