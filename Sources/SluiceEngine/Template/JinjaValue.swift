/// A runtime value inside the Jinja interpreter. Semantics (truthiness,
/// equality, printing) follow Python, because chat templates are written for
/// and tested with Jinja2 under Python.
enum JinjaValue {
    /// A missing variable, attribute or key; prints as "" and is falsy, like
    /// Jinja2's default `Undefined`. Carries the name for error messages.
    case undefined(String)
    case none
    case bool(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    /// Lists and tuples alike.
    case list([JinjaValue])
    case dict(JinjaDict)
    /// `namespace()`: the one mutable object, so `set ns.x = ...` inside a loop is seen outside it.
    case namespace(JinjaNamespace)
    case callable(JinjaCallable)

    init(_ value: TemplateValue) {
        switch value {
        case .null: self = .none
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .integer(number)
        case .double(let number): self = .float(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .list(items.map(JinjaValue.init))
        case .object(let entries):
            var dict = JinjaDict()
            for entry in entries { dict[entry.key] = JinjaValue(entry.value) }
            self = .dict(dict)
        }
    }

    init(_ literal: JinjaLiteral) {
        switch literal {
        case .none: self = .none
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .integer(number)
        case .float(let number): self = .float(number)
        case .string(let text): self = .string(text)
        }
    }

    /// Levels of containers below this value, counted up to `limit` (scalars are 0).
    func nestingDepth(limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        switch self {
        case .list(let items):
            var deepest = 0
            for item in items {
                deepest = max(deepest, item.nestingDepth(limit: limit - 1))
                if deepest + 1 >= limit { break }
            }
            return deepest + 1
        case .dict(let dict):
            var deepest = 0
            for (_, item) in dict.items {
                deepest = max(deepest, item.nestingDepth(limit: limit - 1))
                if deepest + 1 >= limit { break }
            }
            return deepest + 1
        case .namespace(let namespace):
            return JinjaValue.dict(namespace.attributes).nestingDepth(limit: limit)
        default:
            return 0
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let flag): return flag
        case .integer(let number): return number != 0
        case .float(let number): return number != 0
        case .string(let text): return !text.isEmpty
        case .list(let items): return !items.isEmpty
        case .dict(let dict): return !dict.isEmpty
        case .namespace, .callable: return true
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .integer: return "int"
        case .float: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .namespace: return "namespace"
        case .callable: return "callable"
        }
    }

    /// Numeric view (bool counts as int, as in Python).
    var asNumber: Double? {
        switch self {
        case .bool(let flag): return flag ? 1 : 0
        case .integer(let number): return Double(number)
        case .float(let number): return number
        default: return nil
        }
    }

    var asInteger: Int? {
        switch self {
        case .bool(let flag): return flag ? 1 : 0
        case .integer(let number): return number
        default: return nil
        }
    }

    /// Python `str(value)`: what `{{ value }}` prints.
    var printed: String {
        switch self {
        case .undefined: return ""
        case .string(let text): return text
        default: return repr
        }
    }

    /// Python `repr(value)`: how values print inside lists and dicts.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .integer(let number): return String(number)
        case .float(let number): return Self.pythonFloat(number)
        case .string(let text): return Self.pythonStringRepr(text)
        case .list(let items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let dict):
            return "{" + dict.keys.map { Self.pythonStringRepr($0) + ": " + (dict[$0] ?? .none).repr }
                .joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .callable(let function): return "<function \(function.name)>"
        }
    }

    static func pythonFloat(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        return number.description  // shortest round-trip digits, "1.0" for integral values, like Python
    }

    static func pythonStringRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for char in text.unicodeScalars {
            switch char {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(char) == quote { out += "\\" + String(quote) } else { out.unicodeScalars.append(char) }
            }
        }
        out.append(quote)
        return out
    }
}

/// Python-style equality: numbers compare by value across int/float/bool,
/// strings by code points (not Swift's canonical equivalence).
func jinjaEqual(_ lhs: JinjaValue, _ rhs: JinjaValue) -> Bool {
    switch (lhs, rhs) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
    case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { jinjaEqual($0, $1) }
    case (.dict(let a), .dict(let b)):
        return a.count == b.count && a.keys.allSatisfy { key in
            guard let left = a[key], let right = b[key] else { return false }
            return jinjaEqual(left, right)
        }
    case (.namespace(let a), .namespace(let b)): return a === b
    default:
        if let a = lhs.asNumber, let b = rhs.asNumber { return a == b }
        return false
    }
}

/// Insertion-ordered string-keyed dictionary (Python dicts keep insertion order).
struct JinjaDict {
    private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var items: [(String, JinjaValue)] { keys.map { ($0, storage[$0] ?? .none) } }
}

final class JinjaNamespace {
    var attributes: JinjaDict
    init(_ attributes: JinjaDict) { self.attributes = attributes }
}

/// Arguments of a call as evaluated values.
struct JinjaCallArguments {
    var positional: [JinjaValue] = []
    var keyword: [(String, JinjaValue)] = []

    /// Argument by position or keyword name, as Python binds them.
    func value(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keyword.first { $0.0 == name }?.1
    }
}

/// A function value: globals (`range`, `namespace`, `raise_exception`), bound
/// methods (`text.strip`), macros and `loop.cycle`.
final class JinjaCallable {
    let name: String
    let body: (JinjaCallArguments) throws -> JinjaValue
    init(_ name: String, _ body: @escaping (JinjaCallArguments) throws -> JinjaValue) {
        self.name = name
        self.body = body
    }
}
