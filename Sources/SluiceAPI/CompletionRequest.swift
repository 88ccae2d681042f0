// `POST /v1/completions` (legacy) request → `ValidatedCompletionRequest` (openai_compat.md §1.5).

/// One prompt: text to tokenize, or token ids given by the client.
public enum PromptInput: Hashable, Sendable {
    case text(String)
    case tokens([Int32])
}

public struct ValidatedCompletionRequest: Hashable, Sendable {
    public var model: String
    /// One or more prompts; each gets `n` choices, numbered `promptIndex * n + choice`.
    public var prompts: [PromptInput]
    /// Defaults to 16 (the spec's default for this endpoint); 0 is allowed with `echo`.
    public var maxTokens: Int
    public var sampling: SamplingParameters
    public var output: OutputOptions
    /// Integer `logprobs` 0...5 (top alternatives per token); nil when not asked.
    public var logprobs: Int?
    /// Prepend the prompt to the completion.
    public var echo: Bool
    /// `response_format` as on chat: an extension here (vLLM and llama.cpp's server accept it too).
    public var responseFormat: ResponseFormat = .text
}

extension ValidatedCompletionRequest {
    public static func validate(body: [UInt8]) throws(APIError) -> ValidatedCompletionRequest {
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch { throw APIError.invalidJSON(error) }
        return try validate(json, keyOrder: schemaKeyOrder(json, body: body))
    }

    public static func validate(_ json: JSONValue, keyOrder: [[String]: [String]] = [:]) throws(APIError) -> ValidatedCompletionRequest {
        let body = try JSONObjectReader(json, path: "")
        let model = try expectString(body.required("model"), path: "model")
        try UnsupportedParameters.check(body, endpoint: .completions)
        let prompts = try validatePrompt(body.required("prompt"))
        let maxTokens = try body.int("max_tokens", in: 0...Int(Int32.max)) ?? 16
        let echo = try body.bool("echo") ?? false
        if maxTokens == 0, !echo {
            throw APIError.invalidRequest("Invalid 'max_tokens': expected a value of at least 1 (0 is only allowed with 'echo').", param: "max_tokens")
        }
        if let logprobs = body.value("logprobs"), case .bool = logprobs {
            // A common mix-up with the chat endpoint, where `logprobs` is a boolean.
            throw typeError("logprobs", expected: "an integer between 0 and 5", got: logprobs)
        }
        return ValidatedCompletionRequest(
            model: model, prompts: prompts, maxTokens: maxTokens,
            sampling: try SamplingParameters.read(from: body), output: try OutputOptions.read(from: body),
            logprobs: try body.int("logprobs", in: 0...5), echo: echo, responseFormat: try ResponseFormat.read(from: body, keyOrder: keyOrder))
    }

    /// string | [string] | [int] | [[int]] (CreateCompletionRequest.prompt).
    private static func validatePrompt(_ value: JSONValue) throws(APIError) -> [PromptInput] {
        switch value {
        case let .string(text):
            return [.text(text)]
        case let .array(items):
            guard let first = items.first else {
                throw APIError.invalidRequest("Invalid 'prompt': empty array. Expected at least one prompt.", param: "prompt")
            }
            switch first {
            case .string:
                var prompts: [PromptInput] = []
                for (index, item) in items.enumerated() { prompts.append(.text(try expectString(item, path: "prompt[\(index)]"))) }
                return prompts
            case .integer, .number:
                return [.tokens(try tokenIDs(items, path: "prompt"))]
            case .array:
                var prompts: [PromptInput] = []
                for (index, item) in items.enumerated() {
                    guard case let .array(tokens) = item else { throw typeError("prompt[\(index)]", expected: "an array of token ids", got: item) }
                    guard !tokens.isEmpty else {
                        throw APIError.invalidRequest("Invalid 'prompt[\(index)]': empty token array.", param: "prompt[\(index)]")
                    }
                    prompts.append(.tokens(try tokenIDs(tokens, path: "prompt[\(index)]")))
                }
                return prompts
            default:
                throw typeError("prompt[0]", expected: "a string, a token id or an array of token ids", got: first)
            }
        default:
            throw typeError("prompt", expected: "a string, an array of strings or an array of token ids", got: value)
        }
    }

    private static func tokenIDs(_ items: [JSONValue], path: String) throws(APIError) -> [Int32] {
        var tokens: [Int32] = []
        tokens.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            tokens.append(Int32(try expectInteger(item, path: "\(path)[\(index)]", in: 0...Int64(Int32.max))))
        }
        return tokens
    }
}
