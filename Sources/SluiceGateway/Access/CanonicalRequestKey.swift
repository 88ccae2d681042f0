import SluiceAPI

/// The canonical bytes of a request for the response cache: every field that can change the
/// answer, each tagged and length-prefixed, so two requests share bytes only when every such
/// field is equal (no `("a","bc")` / `("ab","c")` ambiguity, no JSON key-order or spacing
/// effects). Left out on purpose: `stream` and `stream_options` (one entry serves both shapes,
/// see `CachedResponse`) and `user` (a label, not an input). The tenant is not part of the
/// bytes: `ResponseCache` scopes entries by tenant itself.
///
/// `AccessCacheKeyTests.chatFieldsAreAllKnown` fails when a field is added to the validated
/// request types without a decision here (LiteLLM #42400: a forgotten parameter served wrong answers).
public struct CanonicalRequestKey: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(endpoint: String) {
        bytes.reserveCapacity(512)
        add("endpoint", endpoint)
    }

    public mutating func add(_ tag: String, _ value: String) {
        appendTag(tag)
        var value = value
        value.withUTF8 { utf8 in
            appendLength(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }
    public mutating func add(_ tag: String, _ value: Int) { add(tag, Int64(value)) }
    public mutating func add(_ tag: String, _ value: Int64) { appendWord(tag, UInt64(bitPattern: value)) }
    public mutating func add(_ tag: String, _ value: Double) { appendWord(tag, value.bitPattern) }
    public mutating func add(_ tag: String, _ value: Bool) { appendByte(tag, value ? 1 : 0) }
    public mutating func add<T>(_ tag: String, _ value: T?, _ body: (inout CanonicalRequestKey, T) -> Void) {
        if let value {
            appendByte(tag, 1)
            body(&self, value)
        } else {
            appendByte(tag, 0)
        }
    }

    // The helpers write straight into `bytes` (no temporary arrays): the key is built on every
    // cacheable request, cache hits included.

    mutating func append(_ tag: String, _ value: [UInt8]) {
        appendTag(tag)
        appendLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// Tag, length 1, one byte.
    mutating func appendByte(_ tag: String, _ value: UInt8) {
        appendTag(tag)
        appendLength(1)
        bytes.append(value)
    }

    /// Tag, length 8, the value big-endian.
    mutating func appendWord(_ tag: String, _ value: UInt64) {
        appendTag(tag)
        appendLength(8)
        appendBigEndian(value)
    }

    mutating func appendTag(_ tag: String) {
        var tag = tag
        tag.withUTF8 { utf8 in
            appendLength(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func appendLength(_ count: Int) { appendBigEndian(UInt64(UInt(bitPattern: count))) }

    mutating func appendBigEndian(_ value: UInt64) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
    }

    /// `POST /v1/chat/completions`.
    public static func chat(_ request: ValidatedChatRequest) -> [UInt8] {
        var key = CanonicalRequestKey(endpoint: "chat.completions")
        key.add("model", request.model)
        key.add("messages", request.messages.count)
        for message in request.messages {
            key.add("role", message.role.rawValue)
            key.add("parts", message.contentParts.count)
            for part in message.contentParts { key.add("part", part) }
            key.add("name", message.name) { $0.add("value", $1) }
            key.add("tool_call_id", message.toolCallID) { $0.add("value", $1) }
            key.add("tool_calls", message.toolCalls.count)
            for call in message.toolCalls {
                key.add("call.id", call.id)
                key.add("call.name", call.name)
                key.add("call.arguments", call.arguments)
            }
        }
        key.add("max_tokens", request.maxTokens) { $0.add("value", $1) }
        key.addSampling(request.sampling)
        key.addOutput(request.output)
        key.add("logprobs", request.logprobs)
        key.add("top_logprobs", request.topLogprobs)
        key.addResponseFormat(request.responseFormat)
        key.add("tools", request.tools.tools.count)
        for tool in request.tools.tools {
            key.add("tool.name", tool.name)
            key.add("tool.description", tool.description) { $0.add("value", $1) }
            key.add("tool.parameters", tool.parameters?.canonicalText) { $0.add("value", $1) }
            key.addKeyOrder(tool.parametersKeyOrder)
            key.add("tool.strict", tool.strict)
        }
        switch request.tools.choice {
        case .none: key.add("tool_choice", "none")
        case .auto: key.add("tool_choice", "auto")
        case .required: key.add("tool_choice", "required")
        case .function(let name): key.add("tool_choice.function", name)
        }
        key.add("parallel_tool_calls", request.tools.parallelCalls)
        return key.bytes
    }

    /// `POST /v1/completions`.
    public static func completion(_ request: ValidatedCompletionRequest) -> [UInt8] {
        var key = CanonicalRequestKey(endpoint: "completions")
        key.add("model", request.model)
        key.add("prompts", request.prompts.count)
        for prompt in request.prompts {
            switch prompt {
            case .text(let text): key.add("prompt.text", text)
            case .tokens(let tokens):
                key.add("prompt.tokens", tokens.count)
                for token in tokens { key.add("t", Int(token)) }
            }
        }
        key.add("max_tokens", request.maxTokens)
        key.addSampling(request.sampling)
        key.addOutput(request.output)
        key.add("logprobs", request.logprobs) { $0.add("value", $1) }
        key.add("echo", request.echo)
        key.addResponseFormat(request.responseFormat)
        return key.bytes
    }

    mutating func addSampling(_ sampling: SamplingParameters) {
        add("temperature", sampling.temperature)
        add("top_p", sampling.topP)
        add("top_k", sampling.topK) { $0.add("value", $1) }
        add("min_p", sampling.minP) { $0.add("value", $1) }
        add("presence_penalty", sampling.presencePenalty)
        add("frequency_penalty", sampling.frequencyPenalty)
        add("seed", sampling.seed) { $0.add("value", $1) }
        add("logit_bias", sampling.logitBias.count)
        for (token, bias) in sampling.logitBias.sorted(by: { $0.key < $1.key }) {
            add("bias.token", Int(token))
            add("bias.value", bias)
        }
    }

    /// The constraint is part of the answer: the same prompt under another schema is another entry.
    mutating func addResponseFormat(_ format: ResponseFormat) {
        switch format {
        case .text: add("response_format", "text")
        case .jsonObject: add("response_format", "json_object")
        case .jsonSchema(let spec):
            add("response_format", "json_schema")
            add("schema.name", spec.name)
            add("schema.strict", spec.strict)
            add("schema", spec.schema.canonicalText)
            addKeyOrder(spec.keyOrder)
        }
    }

    /// Property order changes the generated document, so it is part of the key.
    mutating func addKeyOrder(_ order: [[String]: [String]]) {
        add("key_order", order.count)
        for (path, keys) in order.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            add("path", path.count)
            for component in path { add("p", component) }
            add("keys", keys.count)
            for key in keys { add("k", key) }
        }
    }

    /// `stream`, `include_usage` and `user` are deliberately absent (see the type's comment).
    mutating func addOutput(_ output: OutputOptions) {
        add("stop", output.stop.count)
        for stop in output.stop { add("stop.value", stop) }
        add("n", output.choices)
    }
}
