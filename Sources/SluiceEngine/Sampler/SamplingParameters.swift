/// How to choose the next token, per request (validated OpenAI fields mapped
/// here by the API layer). Defaults disable every option except temperature 1.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 (or below) means greedy: always the most likely token.
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 disables.
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p; 1 disables.
    public var topP: Float
    /// Drop tokens less likely than `minP` × the most likely one's probability; 0 disables.
    public var minP: Float
    /// OpenAI: subtract `presencePenalty` from the logit of every token already generated once or more.
    public var presencePenalty: Float
    /// OpenAI: subtract `frequencyPenalty` × (times generated) from a token's logit.
    public var frequencyPenalty: Float
    /// CTRL-style repetition penalty (llama.cpp `repeat_penalty`): positive logits
    /// of seen tokens are divided by it, negative ones multiplied; 1 disables.
    public var repetitionPenalty: Float
    /// How many of the most recent tokens the penalties look at; 0 means all of them.
    public var penaltyWindow: Int
    /// Token id → bias added to its logit; -100 or less bans the token (OpenAI `logit_bias`).
    public var logitBias: [Int: Float]
    /// Per-request seed; nil lets the caller supply one (see `Sampler.init`).
    public var seed: UInt64?
    /// Return the chosen token's log-probability.
    public var logprobs: Bool
    /// Also return this many most likely alternatives (OpenAI `top_logprobs`, 0...20).
    public var topLogprobs: Int

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0, presencePenalty: Float = 0,
                frequencyPenalty: Float = 0, repetitionPenalty: Float = 1, penaltyWindow: Int = 64,
                logitBias: [Int: Float] = [:], seed: UInt64? = nil, logprobs: Bool = false, topLogprobs: Int = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.repetitionPenalty = repetitionPenalty
        self.penaltyWindow = penaltyWindow
        self.logitBias = logitBias
        self.seed = seed
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
    }

    public static let greedy = SamplingParameters(temperature: 0)

    var isGreedy: Bool { temperature <= 0 || topK == 1 }
    var hasPenalties: Bool { presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1 }
}
