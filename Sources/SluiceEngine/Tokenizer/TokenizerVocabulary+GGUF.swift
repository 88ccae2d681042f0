/// Reading the vocabulary from a model file's `tokenizer.ggml.*` metadata
/// (GGUF spec, "Tokenizer" section; key names as llama.cpp writes them).
extension TokenizerVocabulary {
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        do {
            let tokens = try file.stringArray("tokenizer.ggml.tokens")
            let rawTypes = file.metadata["tokenizer.ggml.token_type"] == nil ? [] : try file.int32Array("tokenizer.ggml.token_type")
            let types = rawTypes.map { TokenType(rawValue: $0) ?? .normal }
            self.init(
                model: try file.string("tokenizer.ggml.model"),
                preTokenizer: try file.optionalString("tokenizer.ggml.pre"),
                tokens: tokens,
                tokenTypes: types,
                merges: file.metadata["tokenizer.ggml.merges"] == nil ? [] : try file.stringArray("tokenizer.ggml.merges"),
                scores: file.metadata["tokenizer.ggml.scores"] == nil ? [] : try file.floatArray("tokenizer.ggml.scores"),
                bosTokenId: try file.optionalInt("tokenizer.ggml.bos_token_id"),
                eosTokenId: try file.optionalInt("tokenizer.ggml.eos_token_id"),
                eotTokenId: try file.optionalInt("tokenizer.ggml.eot_token_id"),
                eomTokenId: try file.optionalInt("tokenizer.ggml.eom_token_id"),
                unknownTokenId: try file.optionalInt("tokenizer.ggml.unknown_token_id"),
                paddingTokenId: try file.optionalInt("tokenizer.ggml.padding_token_id"),
                addBOS: try file.optionalBool("tokenizer.ggml.add_bos_token"),
                addEOS: try file.optionalBool("tokenizer.ggml.add_eos_token"),
                addSpacePrefix: try file.optionalBool("tokenizer.ggml.add_space_prefix"))
        } catch {
            throw TokenizerError("model file: \(error)")
        }
    }
}

extension Tokenizer {
    /// The tokenizer a model file describes.
    public convenience init(gguf file: GGUFFile) throws(TokenizerError) {
        try self.init(vocabulary: try TokenizerVocabulary(gguf: file))
    }
}

extension ChatTemplate {
    /// The model file's `tokenizer.chat_template` (ChatML when absent), with the
    /// BOS/EOS token texts the template may print.
    public static func forModel(gguf file: GGUFFile, tokenizer: Tokenizer) throws(ChatTemplateError) -> ChatTemplate {
        let source: String?
        do { source = try file.optionalString("tokenizer.chat_template") } catch {
            throw ChatTemplateError(.syntax, "model file: \(error)")
        }
        return try forModel(source: source, bosToken: tokenizer.bosTokenId.flatMap(tokenizer.tokenText) ?? "",
                            eosToken: tokenizer.eosTokenId.flatMap(tokenizer.tokenText) ?? "")
    }
}
