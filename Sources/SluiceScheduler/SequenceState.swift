// Per-request and per-sequence bookkeeping inside the scheduler (vLLM v1's Request: only
// `computed` and the token list; prefill, decode and recompute are the same loop).

struct RequestState: Sendable {
    let id: RequestID
    let promptTokens: [TokenID]
    let maxNewTokens: Int
    let choices: Int
    /// Root of the block hash chain (carries the cache salt).
    let rootHash: UInt64
    /// Not yet started: counts against the waiting-queue bounds.
    var queued = true
    var liveChoices: Int
    var cachedPromptTokens = 0
    var completionTokens = 0
    var preemptions = 0
}

struct SequenceState: Sendable {
    let id: SequenceID
    /// Prompt followed by the generated tokens.
    var tokens: [TokenID]
    let promptCount: Int
    /// Tokens whose KV is in `blockTable` (vLLM's `num_computed_tokens`).
    var computed = 0
    var blockTable: [BlockID] = []
    /// Chain hashes of the leading full blocks already published to (or found in) the prefix cache.
    var chainHashes: [UInt64] = []
    var admittedOnce = false
    var generatedCount: Int { tokens.count - promptCount }
    var uncomputed: Int { tokens.count - computed }
}
