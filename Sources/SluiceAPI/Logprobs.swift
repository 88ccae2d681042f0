// Log-probability shapes. Chat: `{content: [{token, logprob, bytes, top_logprobs: [...]}], refusal}`
// (ChatCompletionTokenLogprob). Completions: `{tokens, token_logprobs, top_logprobs, text_offset}`.

/// What the engine reports for one generated token (input to the builders).
public struct TokenLogprob: Hashable, Sendable {
    public struct Alternative: Hashable, Sendable {
        public var token: String
        public var bytes: [UInt8]
        public var logprob: Double
        public init(token: String, bytes: [UInt8], logprob: Double) {
            self.token = token
            self.bytes = bytes
            self.logprob = logprob
        }
    }
    /// The token's text; `bytes` are its exact UTF-8 bytes (a lone byte of a split character
    /// cannot be a String, which is why OpenAI sends both).
    public var token: String
    public var bytes: [UInt8]
    public var logprob: Double
    public var top: [Alternative]
    public init(token: String, bytes: [UInt8], logprob: Double, top: [Alternative] = []) {
        self.token = token
        self.bytes = bytes
        self.logprob = logprob
        self.top = top
    }
}

/// JSON has no -inf: OpenAI reports impossible tokens as -9999.0.
func wireLogprob(_ value: Double) -> Double { value.isFinite ? value : -9999.0 }

public struct ChatTopLogprob: Codable, Hashable, Sendable {
    public var token: String
    public var logprob: Double
    public var bytes: [Int]?
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
        try container.encode(logprob, forKey: .logprob)
        try container.encode(bytes, forKey: .bytes)
    }
}

public struct ChatTokenLogprob: Codable, Hashable, Sendable {
    public var token: String
    public var logprob: Double
    public var bytes: [Int]?
    public var topLogprobs: [ChatTopLogprob]

    init(_ source: TokenLogprob, topCount: Int) {
        token = source.token
        logprob = wireLogprob(source.logprob)
        bytes = source.bytes.map(Int.init)
        topLogprobs = source.top.prefix(topCount).map {
            ChatTopLogprob(token: $0.token, logprob: wireLogprob($0.logprob), bytes: $0.bytes.map(Int.init))
        }
    }

    enum CodingKeys: String, CodingKey {
        case token, logprob, bytes
        case topLogprobs = "top_logprobs"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
        try container.encode(logprob, forKey: .logprob)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(topLogprobs, forKey: .topLogprobs)
    }
}

public struct ChatLogprobs: Codable, Hashable, Sendable {
    public var content: [ChatTokenLogprob]?
    public var refusal: [ChatTokenLogprob]?
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(content, forKey: .content)
        try container.encode(refusal, forKey: .refusal)
    }
}

public struct CompletionLogprobs: Codable, Hashable, Sendable {
    public var tokens: [String]
    public var tokenLogprobs: [Double?]
    public var topLogprobs: [[String: Double]?]
    /// Offset of each token in the choice's text, in Unicode scalars (Python string indices).
    public var textOffset: [Int]

    /// `startOffset`: where the first token begins in `text` (the prompt's length with `echo`).
    init(_ tokens: [TokenLogprob], topCount: Int, startOffset: Int) {
        self.tokens = tokens.map(\.token)
        tokenLogprobs = tokens.map { wireLogprob($0.logprob) }
        topLogprobs = tokens.map { token in
            var alternatives: [String: Double] = [:]
            for alternative in token.top.prefix(topCount) where alternatives[alternative.token] == nil {
                alternatives[alternative.token] = wireLogprob(alternative.logprob)
            }
            return alternatives
        }
        var offsets: [Int] = []
        var offset = startOffset
        for token in tokens {
            offsets.append(offset)
            offset += token.token.unicodeScalars.count
        }
        textOffset = offsets
    }

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }
}
