// Typed access to one JSON object's members, with errors that name the member's JSON path.
// Absent and `null` are the same for optional fields: SDKs send explicit nulls for unset options.

struct JSONObjectReader {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(APIError) {
        guard case let .object(members) = value else {
            throw path.isEmpty
                ? APIError.invalidRequest("The request body must be a JSON object, but got \(article(value.typeName)).", param: nil)
                : typeError(path, expected: "an object", got: value)
        }
        self.members = members
        self.path = path
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member, or nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws(APIError) -> JSONValue {
        guard let value = value(key) else {
            throw APIError.invalidRequest("Missing required parameter: '\(childPath(key))'.", param: childPath(key))
        }
        return value
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let value = value(key) else { return nil }
        return try expectString(value, path: childPath(key))
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case let .bool(flag) = value else { throw typeError(childPath(key), expected: "a boolean", got: value) }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64? {
        guard let value = value(key) else { return nil }
        return try expectInteger(value, path: childPath(key), in: range)
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let value = try integer(key, in: Int64(range.lowerBound)...Int64(range.upperBound)) else { return nil }
        return Int(value)
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let value = value(key) else { return nil }
        return try expectNumber(value, path: childPath(key), in: range)
    }
}

func article(_ typeName: String) -> String {
    ["a", "e", "i", "o", "u"].contains(typeName.first.map(String.init) ?? "") ? "an \(typeName)" : "a \(typeName)"
}

func typeError(_ path: String, expected: String, got value: JSONValue) -> APIError {
    .invalidRequest("Invalid type for '\(path)': expected \(expected), but got \(article(value.typeName)) instead.", param: path)
}

func expectString(_ value: JSONValue, path: String) throws(APIError) -> String {
    guard case let .string(text) = value else { throw typeError(path, expected: "a string", got: value) }
    return text
}

/// Integers may arrive as integral floats (`5.0`); anything fractional or out of range is an error.
func expectInteger(_ value: JSONValue, path: String, in range: ClosedRange<Int64>) throws(APIError) -> Int64 {
    let integer: Int64
    switch value {
    case let .integer(exact):
        integer = exact
    case let .number(double) where double.rounded() == double && abs(double) < 9.2e18:
        integer = Int64(double)
    case .number:
        if case let .number(double) = value, double.rounded() == double {
            throw APIError.invalidRequest("Invalid '\(path)': integer out of range. Expected a value between \(range.lowerBound) and \(range.upperBound).", param: path)
        }
        throw typeError(path, expected: "an integer", got: value)
    default:
        throw typeError(path, expected: "an integer", got: value)
    }
    guard range.contains(integer) else {
        throw APIError.invalidRequest("Invalid '\(path)': expected a value between \(range.lowerBound) and \(range.upperBound), but got \(integer) instead.", param: path)
    }
    return integer
}

func expectNumber(_ value: JSONValue, path: String, in range: ClosedRange<Double>) throws(APIError) -> Double {
    let number: Double
    switch value {
    case let .integer(exact): number = Double(exact)
    case let .number(double): number = double
    default: throw typeError(path, expected: "a number", got: value)
    }
    guard range.contains(number) else {
        throw APIError.invalidRequest("Invalid '\(path)': expected a value between \(formatBound(range.lowerBound)) and \(formatBound(range.upperBound)), but got \(formatBound(number)) instead.", param: path)
    }
    return number
}

private func formatBound(_ value: Double) -> String {
    value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}
