import Foundation

/// One chat message as a template sees it: `message.role`, `message.content`,
/// plus anything else the request carried (`tool_calls`, `name`, ...).
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: TemplateValue
    public var extra: [TemplateEntry]

    public init(role: String, content: String) {
        self.init(role: role, content: .string(content))
    }

    public init(role: String, content: TemplateValue, extra: [TemplateEntry] = []) {
        self.role = role
        self.content = content
        self.extra = extra
    }

    var templateValue: TemplateValue {
        .object([TemplateEntry(key: "role", value: .string(role)), TemplateEntry(key: "content", value: content)] + extra)
    }
}

/// A model's chat template (GGUF `tokenizer.chat_template`), parsed once and
/// rendered per request. Rendering uses Hugging Face's Jinja settings
/// (`trim_blocks`, `lstrip_blocks`) so prompts match `apply_chat_template` and llama.cpp.
public struct ChatTemplate: Sendable {
    /// Used when a model file has no template (llama.cpp's ChatML fallback).
    public static let chatMLSource = """
        {%- for message in messages -%}
        {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}
        {%- endfor -%}
        {%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}
        """

    public struct Limits: Sendable {
        public var maxOutputBytes: Int
        public var maxSteps: Int
        public init(maxOutputBytes: Int = 8 << 20, maxSteps: Int = 2_000_000) {
            self.maxOutputBytes = maxOutputBytes
            self.maxSteps = maxSteps
        }
    }

    public let source: String
    public var bosToken: String
    public var eosToken: String
    public var limits: Limits
    private let lexer: JinjaLexer
    private let body: [JinjaStatement]

    public init(source: String, bosToken: String = "", eosToken: String = "", limits: Limits = Limits())
        throws(ChatTemplateError)
    {
        self.source = source
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.limits = limits
        let lexer = JinjaLexer(source: source)
        self.lexer = lexer
        do {
            var parser = try JinjaParser(lexer: lexer)
            self.body = try parser.parseTemplate()
        } catch {
            throw Self.wrap(error)
        }
    }

    /// The model's template, or ChatML when the file carries none.
    public static func forModel(source: String?, bosToken: String, eosToken: String) throws(ChatTemplateError) -> ChatTemplate {
        guard let source, !source.isEmpty else {
            return try ChatTemplate(source: chatMLSource, bosToken: bosToken, eosToken: eosToken)
        }
        return try ChatTemplate(source: source, bosToken: bosToken, eosToken: eosToken)
    }

    /// Renders a conversation. `tools` is `none` in the template when nil, as in
    /// `apply_chat_template`. `date` (injected, for determinism) enables
    /// `strftime_now`, which some templates (Llama 3.x) call when it is defined.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool = true, tools: [TemplateValue]? = nil,
                       date: Date? = nil, variables: [String: TemplateValue] = [:]) throws(ChatTemplateError) -> String {
        var context = variables
        context["messages"] = .array(messages.map(\.templateValue))
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        context["bos_token"] = .string(bosToken)
        context["eos_token"] = .string(eosToken)
        if context["tools"] == nil { context["tools"] = tools.map { .array($0) } ?? .null }
        return try render(context: context, date: date)
    }

    /// Renders with an arbitrary context (every top-level variable given explicitly).
    public func render(context: [String: TemplateValue], date: Date? = nil) throws(ChatTemplateError) -> String {
        for (name, value) in context where value.nestingDepth(limit: JinjaInterpreter.maxNesting) >= JinjaInterpreter.maxNesting {
            throw ChatTemplateError(.limitExceeded, "variable '\(name)' is nested deeper than \(JinjaInterpreter.maxNesting) levels")
        }
        var globals = context.mapValues(JinjaValue.init)
        if let date {
            globals["strftime_now"] = .callable(JinjaCallable("strftime_now") { arguments in
                .string(Self.strftime(arguments.positional.first?.printed ?? "%Y-%m-%d", date))
            })
        }
        var interpreterLimits = JinjaInterpreter.Limits()
        interpreterLimits.maxOutputBytes = limits.maxOutputBytes
        interpreterLimits.maxSteps = limits.maxSteps
        let interpreter = JinjaInterpreter(lexer: lexer, limits: interpreterLimits, globals: globals)
        do {
            return try interpreter.render(body)
        } catch {
            throw Self.wrap(error)
        }
    }

    private static func wrap(_ error: any Error) -> ChatTemplateError {
        (error as? ChatTemplateError) ?? ChatTemplateError(.evaluation, String(describing: error))
    }

    /// C `strftime` in UTC: the format language templates expect (`"%d %b %Y"`).
    private static func strftime(_ format: String, _ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 256)
        let count = Foundation.strftime(&buffer, buffer.count, String(format.prefix(128)), &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
