import SluiceAPI
import SluiceEngine
import SluiceScheduler

/// What the OpenAI routes need of the served model besides the engine: its id, tokenizer, chat
/// template and context limit. Built once at startup from the GGUF file.
public struct ServedLanguageModel: Sendable {
    public let id: String
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Prompt + generated tokens of one sequence (the scheduler's `maxModelLength`).
    public let maxModelLength: Int
    /// The vocabulary as the grammar engine sees it and the grammars compiled for it.
    public let grammars: GrammarCache
    /// How this model writes tool calls (from its template).
    let toolFormat: ToolCallFormat

    public init(id: String, tokenizer: Tokenizer, template: ChatTemplate, maxModelLength: Int) {
        self.id = id
        self.tokenizer = tokenizer
        self.template = template
        self.maxModelLength = maxModelLength
        grammars = GrammarCache(tokenizer: tokenizer)
        toolFormat = ToolCallFormat.detect(templateSource: template.source)
    }

    /// Loads the tokenizer and the model's own chat template from the file.
    public static func load(id: String, file: GGUFFile, maxModelLength: Int) throws(GatewayError) -> ServedLanguageModel {
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(gguf: file))
        } catch {
            throw GatewayError(.modelUnreadable, "tokenizer: \(error)")
        }
        do {
            let template = try ChatTemplate.forModel(gguf: file, tokenizer: tokenizer)
            return ServedLanguageModel(id: id, tokenizer: tokenizer, template: template, maxModelLength: maxModelLength)
        } catch {
            throw GatewayError(.modelUnreadable, "chat template: \(error)")
        }
    }

    /// Renders the conversation with the model's template (generation prompt appended) and
    /// tokenizes it with special tokens parsed, as llama.cpp's server does.
    func chatPrompt(_ messages: [ValidatedChatMessage], tools: ToolRequest = ToolRequest()) throws(APIError) -> [TokenID] {
        let rendered = ToolPrompt(format: toolFormat, tools: tools).render(messages)
        do {
            return try templatedPrompt(rendered.messages, tools: rendered.tools)
        } catch {
            throw APIError.invalidRequest("The conversation cannot be rendered with this model's chat template: \(error)", param: "messages")
        }
    }

    /// `sluice generate`'s prompt: one user turn rendered like `chatPrompt`, or the text as it is.
    public func prompt(_ text: String, asChatTurn: Bool) throws(GatewayError) -> [TokenID] {
        guard asChatTurn else { return tokenizer.encode(text, addSpecialTokens: true, parseSpecial: false).map { TokenID($0) } }
        do {
            return try templatedPrompt([ChatMessage(role: "user", content: text)])
        } catch {
            throw GatewayError(.invalidConfiguration, "the prompt cannot be rendered with this model's chat template: \(error)")
        }
    }

    private func templatedPrompt(_ messages: [ChatMessage], tools: [TemplateValue]? = nil) throws -> [TokenID] {
        let rendered = try template.render(messages: messages, tools: tools)
        return tokenizer.encode(rendered, addSpecialTokens: true, parseSpecial: true).map { TokenID($0) }
    }

    /// A completions prompt: text is tokenized (special tokens parsed), ids are checked.
    func completionPrompt(_ input: PromptInput, index: Int) throws(APIError) -> [TokenID] {
        switch input {
        case .text(let text):
            return tokenizer.encode(text, addSpecialTokens: true, parseSpecial: true).map { TokenID($0) }
        case .tokens(let ids):
            if let bad = ids.first(where: { Int($0) >= tokenizer.vocabularySize }) {
                throw APIError.invalidRequest("Invalid token id \(bad) in 'prompt': the vocabulary has \(tokenizer.vocabularySize) tokens.", param: "prompt")
            }
            return ids
        }
    }

    /// The text of a prompt as the client sees it (for `echo`): as sent, or the ids decoded.
    func promptText(_ input: PromptInput, tokens: [TokenID]) -> String {
        if case .text(let text) = input { return text }
        return tokenizer.decode(tokens.map(Int.init))
    }

    /// `max_tokens` absent: the rest of the context (vLLM's default).
    func maxNewTokens(requested: Int?, promptCount: Int) -> Int {
        requested ?? max(1, maxModelLength - promptCount)
    }

    /// The validated wire parameters as the engine's sampler takes them.
    static func engineSampling(_ wire: SluiceAPI.SamplingParameters, logprobs: Bool, topLogprobs: Int) -> SluiceEngine.SamplingParameters {
        SluiceEngine.SamplingParameters(
            temperature: Float(wire.temperature), topK: wire.topK ?? 0, topP: Float(wire.topP), minP: Float(wire.minP ?? 0),
            presencePenalty: Float(wire.presencePenalty), frequencyPenalty: Float(wire.frequencyPenalty),
            logitBias: Dictionary(uniqueKeysWithValues: wire.logitBias.map { (Int($0.key), Float($0.value)) }),
            seed: wire.seed.map { UInt64(bitPattern: $0) }, logprobs: logprobs, topLogprobs: topLogprobs)
    }
}
