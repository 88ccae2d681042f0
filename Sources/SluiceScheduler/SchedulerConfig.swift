// Limits of the scheduler. Defaults suit the CPU engine: small steps bound inter-token latency
// (batching.md §4.1: a large prefill in one step stalls every decoding stream).

public struct SchedulerConfig: Hashable, Sendable {
    /// Tokens per KV block (vLLM's default 16).
    public var blockSize: Int
    /// Physical KV blocks in the pool.
    public var totalBlocks: Int
    /// Tokens processed by one forward pass (decodes + prefill chunks).
    public var maxBatchedTokens: Int
    /// Sequences running at once (and so at most in one step).
    public var maxSequences: Int
    /// The model's context length: prompt + max new tokens must fit in it.
    public var maxModelLength: Int
    /// Caps one sequence's prefill chunk per step, so one long prompt cannot take the whole budget
    /// (vLLM's `long_prefill_token_threshold`, batching.md §4.2). `nil`: only the step budget caps it.
    public var longPrefillTokenThreshold: Int?
    /// Back-pressure: requests not yet started that may wait at once.
    public var maxWaitingRequests: Int
    /// Back-pressure: prompt tokens of requests not yet started that may wait at once.
    public var maxWaitingPromptTokens: Int
    /// Reuse full KV blocks across requests by a hash chain of their tokens.
    public var enablePrefixCaching: Bool
    /// Blocks kept free when admitting a new request while others run, so running sequences can
    /// grow without immediately preempting (batching.md §4.3, preemption thrash). Ignored when
    /// nothing runs, so a request that fits the pool always starts eventually.
    public var admissionWatermarkBlocks: Int

    public init(
        blockSize: Int = 16,
        totalBlocks: Int,
        maxBatchedTokens: Int = 256,
        maxSequences: Int = 16,
        maxModelLength: Int = 8192,
        longPrefillTokenThreshold: Int? = nil,
        maxWaitingRequests: Int = 256,
        maxWaitingPromptTokens: Int = 1 << 20,
        enablePrefixCaching: Bool = true,
        admissionWatermarkBlocks: Int = 0
    ) {
        self.blockSize = blockSize
        self.totalBlocks = totalBlocks
        self.maxBatchedTokens = maxBatchedTokens
        self.maxSequences = maxSequences
        self.maxModelLength = maxModelLength
        self.longPrefillTokenThreshold = longPrefillTokenThreshold
        self.maxWaitingRequests = maxWaitingRequests
        self.maxWaitingPromptTokens = maxWaitingPromptTokens
        self.enablePrefixCaching = enablePrefixCaching
        self.admissionWatermarkBlocks = admissionWatermarkBlocks
    }

    func validate() throws(SchedulerError) {
        func require(_ ok: Bool, _ message: String) throws(SchedulerError) {
            if !ok { throw .invalidConfiguration(message) }
        }
        try require(blockSize >= 1, "blockSize must be at least 1")
        try require(totalBlocks >= 1 && totalBlocks < Int(Int32.max), "totalBlocks must be in 1..<2^31")
        try require(maxBatchedTokens >= 1, "maxBatchedTokens must be at least 1")
        try require(maxSequences >= 1, "maxSequences must be at least 1")
        try require(maxModelLength >= 2, "maxModelLength must be at least 2")
        try require((longPrefillTokenThreshold ?? 1) >= 1, "longPrefillTokenThreshold must be at least 1")
        try require(maxWaitingRequests >= 0, "maxWaitingRequests must not be negative")
        try require(maxWaitingPromptTokens >= 0, "maxWaitingPromptTokens must not be negative")
        try require(admissionWatermarkBlocks >= 0 && admissionWatermarkBlocks < totalBlocks,
                    "admissionWatermarkBlocks must be in 0..<totalBlocks")
    }
}
