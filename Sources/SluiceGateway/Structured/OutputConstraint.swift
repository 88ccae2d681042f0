import SluiceAPI
import SluiceGrammar

/// What the engine enforces on every choice of one job: a grammar compiled for the model's
/// vocabulary, applied from the first token, or (tool_choice `auto` without a response format)
/// only once the model has written `trigger`: free text until it starts a tool call, constrained
/// from there on. Values of this type carry no wire types; the engine service applies them.
public struct OutputConstraint: Sendable {
    public let grammar: CompiledGrammar
    /// nil: constrained from the first token.
    public let trigger: [UInt8]?

    public init(grammar: CompiledGrammar, trigger: [UInt8]? = nil) {
        self.grammar = grammar
        self.trigger = trigger
    }
}

/// The grammar a request asks for, before it is compiled for a vocabulary (pure: no model).
struct ConstraintPlan: Sendable {
    var grammar: Grammar
    var trigger: [UInt8]?
    /// The grammar cache's key: equal keys, equal grammars.
    var cacheKey: String
    /// The request field a grammar too large to prepare is blamed on.
    var param: String = "response_format"

    /// One space after `:` and `,` at most, the spacing models write by habit (`{"a": 1, "b": 2}`),
    /// so the grammar rarely fights the model's own next token; never more (bounded output).
    static let compiler: JSONSchemaCompiler = {
        var options = JSONSchemaOptions()
        options.whitespace = .spaceAfterSeparators
        return JSONSchemaCompiler(options: options)
    }()

    /// Calls after the first are allowed up to this many in all (`parallel_tool_calls`): small
    /// models otherwise repeat a call until `max_tokens`.
    static let maxParallelCalls = 8

    /// nil when nothing is constrained (text answer, `tool_choice: none` or no tools).
    static func chat(responseFormat: ResponseFormat, tools: ToolRequest, format: ToolCallFormat) throws(APIError) -> ConstraintPlan? {
        let compiler = Self.compiler
        var builder = GrammarBuilder()
        let answer = try answerExpression(responseFormat, compiler: compiler, builder: &builder)
        if tools.isOff {
            guard let answer else { return nil }
            return ConstraintPlan(grammar: builder.build(root: answer), trigger: nil,
                                  cacheKey: "answer:" + key(responseFormat))
        }
        var functions = tools.tools
        if case .function(let name) = tools.choice { functions = functions.filter { $0.name == name } }
        var calls: [(name: String, arguments: GrammarExpr)] = []
        for (index, tool) in tools.tools.enumerated() where functions.contains(where: { $0.name == tool.name }) {
            let schema = tool.parameters ?? .object(["type": .string("object")])
            do {
                calls.append((tool.name, try compiler.compile(schema, keyOrder: tool.parametersKeyOrder, into: &builder)))
            } catch {
                throw APIError.schemaRefused(error, param: "tools[\(index)].function.parameters")
            }
        }
        let prefix = format.opening + "{\"name\": \""
        func block(named name: String, arguments: GrammarExpr, dropping: Int) -> GrammarExpr {
            .sequence([.literal(Array(prefix.utf8.dropFirst(dropping))), .literal(name + "\", \"" + format.argumentsKey + "\": "),
                       arguments, .literal("}" + format.closing)])
        }
        func callList(firstDropping dropping: Int) -> GrammarExpr {
            let first = GrammarExpr.choice(calls.map { block(named: $0.name, arguments: $0.arguments, dropping: dropping) })
            let most = maxCalls(offered: calls.count, parallel: tools.parallelCalls, format: format)
            guard most > 1 else { return first }
            let next = GrammarExpr.choice(calls.map { block(named: $0.name, arguments: $0.arguments, dropping: 0) })
            return .sequence([first, .repetition(.sequence([.literal(format.separator), next]), min: 0, max: most - 1)])
        }
        let toolKey = "tools:" + functions.map { $0.name + "=" + ($0.parameters?.canonicalText ?? "") + Self.key($0.parametersKeyOrder) }
            .joined(separator: "\u{1}")
            + "|parallel:\(tools.parallelCalls)|format:\(format)"
        switch tools.choice {
        case .required, .function:
            return ConstraintPlan(grammar: builder.build(root: callList(firstDropping: 0)), trigger: nil, cacheKey: "calls:" + toolKey,
                                  param: "tools")
        case .auto:
            if let answer {
                // The answer is either calls or the constrained text, from the first token.
                return ConstraintPlan(grammar: builder.build(root: .choice([callList(firstDropping: 0), answer])), trigger: nil,
                                      cacheKey: "calls-or-answer:" + toolKey + "|" + key(responseFormat))
            }
            let trigger = Array(format.trigger.utf8)
            return ConstraintPlan(grammar: builder.build(root: callList(firstDropping: trigger.count)), trigger: trigger,
                                  cacheKey: "lazy-calls:" + toolKey, param: "tools")
        case .none:
            return nil  // isOff covered it
        }
    }

    /// How many calls one answer may make. A model whose template knows tools was trained to
    /// stop after its calls: up to `maxParallelCalls`. A model taught the generic format by the
    /// system section (SmolLM2) tends to repeat its call until `max_tokens`: at most one call per
    /// offered function there.
    static func maxCalls(offered: Int, parallel: Bool, format: ToolCallFormat) -> Int {
        guard parallel else { return 1 }
        return format.templateRendersTools ? maxParallelCalls : max(1, min(offered, maxParallelCalls))
    }

    /// `/v1/completions`' `response_format` extension.
    static func completion(responseFormat: ResponseFormat) throws(APIError) -> ConstraintPlan? {
        var builder = GrammarBuilder()
        guard let answer = try answerExpression(responseFormat, compiler: compiler, builder: &builder) else { return nil }
        return ConstraintPlan(grammar: builder.build(root: answer), trigger: nil, cacheKey: "answer:" + key(responseFormat))
    }

    private static func answerExpression(_ format: ResponseFormat, compiler: JSONSchemaCompiler,
                                         builder: inout GrammarBuilder) throws(APIError) -> GrammarExpr? {
        switch format {
        case .text:
            return nil
        case .jsonObject:
            return JSONSchemaCompiler.anyObject(into: &builder, whitespace: compiler.options.whitespace)
        case .jsonSchema(let spec):
            do {
                return try compiler.compile(spec.schema, keyOrder: spec.keyOrder, into: &builder)
            } catch {
                throw APIError.schemaRefused(error, param: "response_format.json_schema.schema")
            }
        }
    }

    private static func key(_ format: ResponseFormat) -> String {
        switch format {
        case .text: return "text"
        case .jsonObject: return "json_object"
        case .jsonSchema(let spec): return "json_schema:" + spec.schema.canonicalText + key(spec.keyOrder)
        }
    }

    private static func key(_ order: [[String]: [String]]) -> String {
        order.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            .map { "|" + $0.key.joined(separator: "/") + "=" + $0.value.joined(separator: ",") }.joined()
    }
}

extension APIError {
    /// A schema the grammar compiler refuses (an unsupported keyword, a limit): a 400 naming the
    /// keyword and where it is, never a silent skip.
    static func schemaRefused(_ error: JSONSchemaError, param: String) -> APIError {
        let location = error.path.isEmpty ? "" : " at '#/" + error.path.joined(separator: "/") + "'"
        let keyword = error.keyword.map { " ('\($0)')" } ?? ""
        return .invalidRequest("Invalid schema in '\(param)'\(keyword)\(location): \(error.message)", param: param)
    }
}
