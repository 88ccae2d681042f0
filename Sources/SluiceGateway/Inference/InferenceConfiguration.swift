import SluiceEngine
import SluiceScheduler

/// Engine and scheduler settings of `sluice serve` (flags, `SLUICE_…` variables, config-file keys:
/// see `GatewayConfiguration.inferenceSettings`).
public struct InferenceConfiguration: Sendable, Hashable {
    /// Tokens per forward pass (decodes + prefill chunks).
    public var maxBatchedTokens = 256
    /// Sequences running at once.
    public var maxSequences = 32
    /// KV blocks in the pool; nil: 1024 (16k tokens at block size 16; ~750 MB of f32 K/V for
    /// SmolLM2-135M), or one full context if that is more.
    public var kvBlocks: Int?
    /// Tokens per KV block.
    public var blockSize = 16
    /// Per-sequence context (prompt + generated); nil: the model's own, capped at 4096.
    public var contextSize: Int?
    /// Requests admitted but not started; more get 503 + Retry-After.
    public var maxWaitingRequests = 256
    /// Compute threads of the forward pass; nil: one per core.
    public var threads: Int?
    /// Seconds a request may run before it is cancelled with an error; nil: no limit.
    public var requestTimeoutSeconds: Double?
    public var prefixCaching = true
    /// Whose prompts may reuse each other's prefix-cache blocks (`--prefix-cache-scope`).
    public var prefixCacheScope: PrefixCacheScope = .shared
    /// Threads that sample a step's logit rows in parallel (1: on the engine thread alone).
    public var samplingThreads = 1
    /// Weights as stored in the file (repacked, 8-bit activations) or dequantized to f32 at load.
    public var weightsAsFloat32 = false
    /// K/V element type in the paged pool: f16 by default, as llama.cpp's (with llama.cpp numerics
    /// the outputs are then bit-identical to llama-server's), or f32 (exact two-pass attention).
    public var kvCacheFloat32 = false
    /// Kernel rounding: llama.cpp's (bit-identical outputs) or our faster own.
    public var numerics: KernelNumerics = .llamaCpp

    public init() {}

    /// The scheduler's limits for a model whose context is `modelContextLength` tokens.
    public func schedulerConfig(modelContextLength: Int) -> SchedulerConfig {
        let context = max(2, contextSize ?? min(modelContextLength, 4096))
        let blocksPerSequence = (context + blockSize - 1) / blockSize
        let blocks = kvBlocks ?? max(blocksPerSequence, 1024)
        return SchedulerConfig(
            blockSize: blockSize, totalBlocks: blocks, maxBatchedTokens: maxBatchedTokens, maxSequences: maxSequences,
            maxModelLength: context, longPrefillTokenThreshold: max(1, maxBatchedTokens / 2),
            maxWaitingRequests: maxWaitingRequests, enablePrefixCaching: prefixCaching,
            admissionWatermarkBlocks: min(max(0, blocks / 100), blocks - 1))
    }
}

extension GatewayConfiguration {
    static let inferenceSettings: [GatewaySetting] = [
        .integer("max-batched-tokens", 1...65_536, "Tokens one engine step may process, decodes plus prefill chunks.",
                 default: .value("256")) { $0.inference.maxBatchedTokens = $1 },
        .integer("max-sequences", 1...1024, "Sequences running at once.", default: .value("32")) { $0.inference.maxSequences = $1 },
        .integer("kv-blocks", 1...1_000_000, "KV cache blocks in the pool.",
                 default: .described("1024 (16k tokens), or one full context if more")) { $0.inference.kvBlocks = $1 },
        .integer("block-size", 1...1024, "Tokens per KV cache block.", default: .value("16")) { $0.inference.blockSize = $1 },
        .integer("ctx-size", 2...1_048_576, "Context of one sequence, prompt plus output.",
                 default: .described("the model's, at most 4096")) { $0.inference.contextSize = $1 },
        .integer("max-waiting-requests", 0...1_000_000, "Requests that may wait for the engine; beyond it 503 + Retry-After.",
                 default: .value("256")) { $0.inference.maxWaitingRequests = $1 },
        .integer("threads", 1...1024, "Compute threads of the forward pass.", default: .described("one per core")) {
            $0.inference.threads = $1
        },
        .seconds("request-timeout", "Seconds a generation may run before it is cancelled with an error.",
                 default: .described("no limit")) { $0.inference.requestTimeoutSeconds = $1 },
        .boolean("prefix-caching", "Reuse KV blocks of identical prompt prefixes.", default: true) { $0.inference.prefixCaching = $1 },
        .choice("prefix-cache-scope", PrefixCacheScope.allCases.map { $0.rawValue },
                "Who may reuse whose cached prompt prefixes: shared (every caller: a common system prompt is computed once) "
                    + "or tenant (only requests of the same API key).",
                default: PrefixCacheScope.shared.rawValue) { $0.inference.prefixCacheScope = PrefixCacheScope(rawValue: $1) ?? .shared },
        .integer("sampling-threads", 1...8, "Threads that sample a step's logit rows in parallel (1: the engine thread).",
                 default: .value("1")) { $0.inference.samplingThreads = $1 },
        .choice("weights", ["stored", "f32"], "Weights in memory: stored (the file's quantization, repacked) or f32 (dequantized at load).",
                default: "stored") { $0.inference.weightsAsFloat32 = $1 == "f32" },
        .choice("kv-cache-type", ["f16", "f32"],
                "KV cache element type: f16 (llama.cpp's; its flash-attention rounding, so greedy output matches llama.cpp) or f32.",
                default: "f16") { $0.inference.kvCacheFloat32 = $1 == "f32" },
        .choice("numerics", KernelNumerics.allCases.map { $0.rawValue },
                "Kernel rounding: llama.cpp (bit-identical to llama.cpp's CPU backend) or fast (own rounding, faster batched matmuls).",
                default: KernelNumerics.llamaCpp.rawValue) { $0.inference.numerics = KernelNumerics(rawValue: $1) ?? .llamaCpp },
    ]
}
