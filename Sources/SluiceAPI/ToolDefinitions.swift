// `tools`, `tool_choice` and `parallel_tool_calls` of a chat request (ChatCompletionTool,
// ChatCompletionToolChoiceOption). Only function tools exist for these models; `custom` tools
// (free-form grammar input) are refused by name.

public struct ToolDefinition: Hashable, Sendable {
    public var name: String
    public var description: String?
    /// The arguments' JSON Schema; absent means a function without parameters (`{}` accepted,
    /// any object).
    public var parameters: JSONValue?
    public var strict: Bool
    /// The declared key order inside `parameters` (see `JSONSchemaFormat.keyOrder`).
    public var parametersKeyOrder: [[String]: [String]]

    public init(name: String, description: String? = nil, parameters: JSONValue? = nil, strict: Bool = false,
                parametersKeyOrder: [[String]: [String]] = [:]) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
        self.parametersKeyOrder = parametersKeyOrder
    }
}

public enum ToolChoice: Hashable, Sendable {
    /// Never call a tool (the default without tools).
    case none
    /// The model decides (the default with tools).
    case auto
    /// At least one call to some tool.
    case required
    /// A call to this function.
    case function(String)
}

/// The tool part of a validated chat request.
public struct ToolRequest: Hashable, Sendable {
    public var tools: [ToolDefinition]
    public var choice: ToolChoice
    /// `parallel_tool_calls` (default true): more than one call per answer allowed.
    public var parallelCalls: Bool

    public init(tools: [ToolDefinition] = [], choice: ToolChoice = .none, parallelCalls: Bool = true) {
        self.tools = tools
        self.choice = choice
        self.parallelCalls = parallelCalls
    }

    /// No tool may be called: the answer is text.
    public var isOff: Bool { tools.isEmpty || choice == .none }
}

extension ToolRequest {
    static func read(from body: JSONObjectReader, keyOrder: [[String]: [String]] = [:]) throws(APIError) -> ToolRequest {
        var tools: [ToolDefinition] = []
        if let raw = body.value("tools") {
            guard case let .array(items) = raw else { throw typeError("tools", expected: "an array", got: raw) }
            var names = Set<String>()
            for (index, item) in items.enumerated() {
                var tool = try readTool(item, path: "tools[\(index)]")
                tool.parametersKeyOrder = keyOrder.under(["tools", String(index), "function", "parameters"])
                guard names.insert(tool.name).inserted else {
                    throw APIError.invalidRequest("Invalid 'tools[\(index)].function.name': the function name '\(tool.name)' is used by another tool; names must be unique.", param: "tools[\(index)].function.name")
                }
                tools.append(tool)
            }
        }
        let choice = try readChoice(body.value("tool_choice"), tools: tools)
        let parallel = try body.bool("parallel_tool_calls") ?? true
        return ToolRequest(tools: tools, choice: choice, parallelCalls: parallel)
    }

    private static func readTool(_ raw: JSONValue, path: String) throws(APIError) -> ToolDefinition {
        let tool = try JSONObjectReader(raw, path: path)
        let type = try expectString(tool.required("type"), path: "\(path).type")
        guard type == "function" else {
            throw APIError.invalidRequest("Invalid value for '\(path).type': '\(type)'. Supported values are: 'function' (custom tools are not supported by this server).", param: "\(path).type")
        }
        let function = try JSONObjectReader(tool.required("function"), path: "\(path).function")
        let name = try expectString(function.required("name"), path: "\(path).function.name")
        try checkFunctionStyleName(name, path: "\(path).function.name")
        let parameters = function.value("parameters")
        if let parameters {
            guard case .object = parameters else {
                throw typeError("\(path).function.parameters", expected: "an object (a JSON Schema)", got: parameters)
            }
        }
        return ToolDefinition(name: name, description: try function.string("description"), parameters: parameters,
                              strict: try function.bool("strict") ?? false)
    }

    /// `"none" | "auto" | "required" | {"type": "function", "function": {"name"}}`.
    private static func readChoice(_ raw: JSONValue?, tools: [ToolDefinition]) throws(APIError) -> ToolChoice {
        guard let raw else { return tools.isEmpty ? .none : .auto }
        let choice: ToolChoice
        switch raw {
        case .string("none"): choice = .none
        case .string("auto"): choice = .auto
        case .string("required"): choice = .required
        case let .string(other):
            throw APIError.invalidRequest("Invalid value for 'tool_choice': '\(other)'. Supported values are: 'none', 'auto', 'required' or an object naming a function.", param: "tool_choice")
        case .object:
            let object = try JSONObjectReader(raw, path: "tool_choice")
            let type = try expectString(object.required("type"), path: "tool_choice.type")
            guard type == "function" else {
                throw APIError.invalidRequest("Invalid value for 'tool_choice.type': '\(type)'. Supported values are: 'function'.", param: "tool_choice.type")
            }
            let function = try JSONObjectReader(object.required("function"), path: "tool_choice.function")
            let name = try expectString(function.required("name"), path: "tool_choice.function.name")
            guard tools.contains(where: { $0.name == name }) else {
                throw APIError.invalidRequest("Invalid 'tool_choice': the function '\(name)' is not among 'tools'.", param: "tool_choice")
            }
            choice = .function(name)
        default:
            throw typeError("tool_choice", expected: "a string or an object", got: raw)
        }
        if tools.isEmpty, choice != .none {
            throw APIError.invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", param: "tool_choice")
        }
        return choice
    }
}
