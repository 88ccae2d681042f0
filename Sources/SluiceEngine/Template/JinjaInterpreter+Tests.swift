/// Jinja2 tests: the right-hand side of `x is name` / `x is not name`.
extension JinjaInterpreter {
    func applyTest(_ name: String, to value: JinjaValue, arguments: JinjaCallArguments, at offset: Int?) throws -> Bool {
        let argument = arguments.positional.first
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "number":
            switch value {
            case .integer, .float: return true
            default: return false
            }
        case "integer": if case .integer = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "sequence", "iterable":
            switch value {
            case .list, .string, .dict: return true
            default: return false
            }
        case "callable": if case .callable = value { return true } else { return false }
        case "odd", "even":
            guard let number = value.asInteger else { throw error(.evaluation, "\(name) needs an integer", at: offset) }
            return (number % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let number = value.asInteger, let divisor = argument?.asInteger, divisor != 0 else {
                throw error(.evaluation, "divisibleby needs a non-zero integer", at: offset)
            }
            return number % divisor == 0
        case "lower": return value.printed == value.printed.lowercased()
        case "upper": return value.printed == value.printed.uppercased()
        case "eq", "equalto", "==", "sameas": return jinjaEqual(value, try required(argument, name, offset))
        case "ne", "!=": return !jinjaEqual(value, try required(argument, name, offset))
        case "lt", "lessthan", "<": return try compare(value, try required(argument, name, offset), at: offset) < 0
        case "le", "<=": return try compare(value, try required(argument, name, offset), at: offset) <= 0
        case "gt", "greaterthan", ">": return try compare(value, try required(argument, name, offset), at: offset) > 0
        case "ge", ">=": return try compare(value, try required(argument, name, offset), at: offset) >= 0
        case "in": return try contains(try required(argument, name, offset), value, at: offset)
        default:
            throw error(.unsupported, "unknown test '\(name)'", at: offset)
        }
    }

    private func required(_ argument: JinjaValue?, _ test: String, _ offset: Int?) throws -> JinjaValue {
        guard let argument else { throw error(.evaluation, "test '\(test)' needs an argument", at: offset) }
        return argument
    }
}
