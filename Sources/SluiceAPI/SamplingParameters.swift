// Validated generation parameters shared by both endpoints. Ranges from the OpenAI spec
// (CreateChatCompletionRequest / CreateCompletionRequest); `top_k` and `min_p` are the usual
// extensions (vLLM, llama.cpp).

public struct SamplingParameters: Hashable, Sendable {
    /// 0...2; 0 means greedy.
    public var temperature: Double = 1
    /// 0...1; 1 disables nucleus sampling, 0 keeps only the most likely token.
    public var topP: Double = 1
    /// nil when disabled (absent, 0 or -1 on the wire).
    public var topK: Int?
    /// nil when disabled (absent or 0).
    public var minP: Double?
    /// -2...2.
    public var presencePenalty: Double = 0
    /// -2...2.
    public var frequencyPenalty: Double = 0
    /// Best-effort determinism (per-request RNG).
    public var seed: Int64?
    /// Token id → bias added to its logit, -100...100.
    public var logitBias: [Int32: Double] = [:]

    public init() {}
}

/// Stop, limits and streaming options common to both endpoints.
public struct OutputOptions: Hashable, Sendable {
    /// Up to 4 non-empty stop strings ("The returned text will not contain the stop sequence.").
    public var stop: [String] = []
    /// OpenAI `n`: 1...16 here.
    public var choices: Int = 1
    public var stream = false
    /// `stream_options.include_usage`: a last chunk with `choices: []` and the usage.
    public var includeUsage = false
    /// `user` (deprecated upstream, kept for logs).
    public var user: String?

    public init() {}
}

extension SamplingParameters {
    static func read(from body: JSONObjectReader) throws(APIError) -> SamplingParameters {
        var parameters = SamplingParameters()
        parameters.temperature = try body.number("temperature", in: 0...2) ?? 1
        parameters.topP = try body.number("top_p", in: 0...1) ?? 1
        if let topK = try body.int("top_k", in: -1...Int(Int32.max)), topK > 0 { parameters.topK = topK }
        if let minP = try body.number("min_p", in: 0...1), minP > 0 { parameters.minP = minP }
        parameters.presencePenalty = try body.number("presence_penalty", in: -2...2) ?? 0
        parameters.frequencyPenalty = try body.number("frequency_penalty", in: -2...2) ?? 0
        parameters.seed = try body.integer("seed", in: Int64.min...Int64.max)
        if let bias = body.value("logit_bias") {
            let map = try JSONObjectReader(bias, path: "logit_bias")
            for (key, value) in map.members where value != .null {
                // Keys are token ids written as strings (`{"50256": -100}`), never a list (B15).
                guard let token = Int32(key), token >= 0 else {
                    throw APIError.invalidRequest("Invalid key in 'logit_bias': '\(key)' is not a token id (a non-negative integer in a string).", param: "logit_bias")
                }
                parameters.logitBias[token] = try expectNumber(value, path: "logit_bias.\(key)", in: -100...100)
            }
        }
        return parameters
    }
}

extension OutputOptions {
    static func read(from body: JSONObjectReader) throws(APIError) -> OutputOptions {
        var options = OutputOptions()
        options.choices = try body.int("n", in: 1...16) ?? 1
        options.stream = try body.bool("stream") ?? false
        options.user = try body.string("user")
        if let stop = body.value("stop") {
            switch stop {
            case let .string(text):
                options.stop = text.isEmpty ? [] : [text]
            case let .array(items):
                guard items.count <= 4 else {
                    throw APIError.invalidRequest("Invalid 'stop': expected at most 4 stop sequences, but got \(items.count).", param: "stop")
                }
                for (index, item) in items.enumerated() {
                    let text = try expectString(item, path: "stop[\(index)]")
                    if !text.isEmpty, !options.stop.contains(text) { options.stop.append(text) }
                }
            default:
                throw typeError("stop", expected: "a string or an array of strings", got: stop)
            }
        }
        if let streamOptions = body.value("stream_options") {
            let reader = try JSONObjectReader(streamOptions, path: "stream_options")
            // OpenAI: "Only set this when you set stream: true." (a 400 there too).
            guard options.stream else {
                throw APIError.invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: "stream_options")
            }
            options.includeUsage = try reader.bool("include_usage") ?? false
        }
        return options
    }
}
