/// Everything a tokenizer needs from a model file, as plain values (GGUF
/// `tokenizer.ggml.*` keys). Built from a `GGUFFile` or by hand in tests.
public struct TokenizerVocabulary: Sendable {
    /// GGUF `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer family for byte-level BPE ("smollm", "llama-bpe", "qwen2", ...).
    public var preTokenizer: String?
    public var tokens: [String]
    public var tokenTypes: [TokenType]
    /// `tokenizer.ggml.merges`: "left right" pairs, highest priority first (byte-level BPE).
    public var merges: [String]
    /// `tokenizer.ggml.scores`: merge priority of each token (SentencePiece).
    public var scores: [Float]
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var eotTokenId: Int?
    public var eomTokenId: Int?
    public var unknownTokenId: Int?
    public var paddingTokenId: Int?
    /// `tokenizer.ggml.add_bos_token`; nil means the model type's default.
    public var addBOS: Bool?
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix` (SentencePiece): prepend "▁" to the text.
    public var addSpacePrefix: Bool?

    public init(model: String, preTokenizer: String? = nil, tokens: [String], tokenTypes: [TokenType] = [],
                merges: [String] = [], scores: [Float] = [], bosTokenId: Int? = nil, eosTokenId: Int? = nil,
                eotTokenId: Int? = nil, eomTokenId: Int? = nil, unknownTokenId: Int? = nil,
                paddingTokenId: Int? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.scores = scores
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.eotTokenId = eotTokenId
        self.eomTokenId = eomTokenId
        self.unknownTokenId = unknownTokenId
        self.paddingTokenId = paddingTokenId
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }
}
