// `response_format` (ResponseFormatText / ResponseFormatJsonObject / ResponseFormatJsonSchema):
// what shape the answer's text must have. Enforced by the gateway's constrained decoder; here it
// is only read and checked for the wire shape (the schema itself is compiled, and its keywords
// refused or accepted, by SluiceGrammar).

public enum ResponseFormat: Hashable, Sendable {
    case text
    /// Any JSON object.
    case jsonObject
    case jsonSchema(JSONSchemaFormat)

    /// True when the text is constrained (anything but `text`).
    public var isConstrained: Bool { self != .text }
}

public struct JSONSchemaFormat: Hashable, Sendable {
    /// `^[a-zA-Z0-9_-]{1,64}$` as OpenAI requires.
    public var name: String
    public var description: String?
    /// The JSON Schema (an object or a boolean schema); absent on the wire means `{}` (any value).
    public var schema: JSONValue
    /// Recorded for the cache key; the output is constrained either way (a grammar cannot enforce
    /// a schema "loosely").
    public var strict: Bool
    /// Each object's keys in the order the client wrote them, by path inside `schema` (see
    /// `JSONParser.parseRecordingKeyOrder`): properties are generated in declared order.
    public var keyOrder: [[String]: [String]]

    public init(name: String, description: String? = nil, schema: JSONValue, strict: Bool, keyOrder: [[String]: [String]] = [:]) {
        self.name = name
        self.description = description
        self.schema = schema
        self.strict = strict
        self.keyOrder = keyOrder
    }
}

extension ResponseFormat {
    static func read(from body: JSONObjectReader, keyOrder: [[String]: [String]] = [:]) throws(APIError) -> ResponseFormat {
        guard let raw = body.value("response_format") else { return .text }
        let format = try JSONObjectReader(raw, path: "response_format")
        let type = try expectString(format.required("type"), path: "response_format.type")
        switch type {
        case "text":
            return .text
        case "json_object":
            return .jsonObject
        case "json_schema":
            let spec = try JSONObjectReader(format.required("json_schema"), path: "response_format.json_schema")
            let name = try expectString(spec.required("name"), path: "response_format.json_schema.name")
            try checkFunctionStyleName(name, path: "response_format.json_schema.name")
            let schema = spec.value("schema") ?? .object([:])
            switch schema {
            case .object, .bool: break
            default: throw typeError("response_format.json_schema.schema", expected: "an object (a JSON Schema)", got: schema)
            }
            return .jsonSchema(JSONSchemaFormat(name: name, description: try spec.string("description"), schema: schema,
                                                strict: try spec.bool("strict") ?? false,
                                                keyOrder: keyOrder.under(["response_format", "json_schema", "schema"])))
        default:
            throw APIError.invalidRequest("Invalid value for 'response_format.type': '\(type)'. Supported values are: 'text', 'json_object' and 'json_schema'.", param: "response_format.type")
        }
    }
}

/// OpenAI's rule for function and schema names: a-z, A-Z, 0-9, underscores and dashes, 1 to 64 long.
func checkFunctionStyleName(_ name: String, path: String) throws(APIError) {
    let valid = !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
    }
    guard valid else {
        throw APIError.invalidRequest("Invalid '\(path)': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.", param: path)
    }
}

extension Dictionary where Key == [String], Value == [String] {
    /// The `properties` objects below `prefix`, with the prefix removed from their paths (the
    /// order of other objects' keys, `{"type", "properties"}`, changes nothing).
    func under(_ prefix: [String]) -> [[String]: [String]] {
        var result: [[String]: [String]] = [:]
        for (path, keys) in self where path.count > prefix.count && path.last == "properties"
            && Array(path.prefix(prefix.count)) == prefix {
            result[Array(path.dropFirst(prefix.count))] = keys
        }
        return result
    }
}

/// The key order of a body, recorded only when a schema in it will be compiled (a second,
/// recording parse of those requests alone: the common request pays nothing).
func schemaKeyOrder(_ json: JSONValue, body: [UInt8]) -> [[String]: [String]] {
    guard json["response_format"] != nil || json["tools"] != nil else { return [:] }
    return (try? JSONParser.parseRecordingKeyOrder(body))?.keyOrder ?? [:]
}
