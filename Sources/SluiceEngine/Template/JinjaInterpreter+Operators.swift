import Foundation

/// Binary operators with Python semantics: `/` is true division, `//` floors,
/// `%` takes the divisor's sign, `+` concatenates strings and lists, `~` always
/// concatenates the printed forms.
extension JinjaInterpreter {
    func binary(_ op: JinjaBinaryOperator, _ left: JinjaValue, _ right: JinjaValue, at offset: Int) throws -> JinjaValue {
        switch op {
        case .concat:
            return .string(left.printed + right.printed)
        case .equal:
            return .bool(jinjaEqual(left, right))
        case .notEqual:
            return .bool(!jinjaEqual(left, right))
        case .less, .lessEqual, .greater, .greaterEqual:
            let order = try compare(left, right, at: offset)
            switch op {
            case .less: return .bool(order < 0)
            case .lessEqual: return .bool(order <= 0)
            case .greater: return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .contains:
            return .bool(try contains(right, left, at: offset))
        case .notContains:
            return .bool(!(try contains(right, left, at: offset)))
        case .add:
            switch (left, right) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.list(let a), .list(let b)):
                try checkLength(a.count + b.count, at: offset)
                return .list(a + b)
            default: return try arithmetic(op, left, right, at: offset)
            }
        case .multiply:
            if case .string(let text) = left, let times = right.asInteger {
                try checkLength(text.utf8.count * max(times, 0), at: offset)
                return .string(String(repeating: text, count: max(times, 0)))
            }
            if case .list(let items) = left, let times = right.asInteger {
                try checkLength(items.count * max(times, 0), at: offset)
                return .list(Array(repeating: items, count: max(times, 0)).flatMap { $0 })
            }
            return try arithmetic(op, left, right, at: offset)
        case .subtract, .divide, .floorDivide, .modulo, .power:
            return try arithmetic(op, left, right, at: offset)
        }
    }

    private func arithmetic(_ op: JinjaBinaryOperator, _ left: JinjaValue, _ right: JinjaValue,
                            at offset: Int) throws -> JinjaValue {
        guard let a = left.asNumber, let b = right.asNumber else {
            throw error(.evaluation, "unsupported operand types for \(op.rawValue): \(left.typeName) and \(right.typeName)",
                        at: offset)
        }
        if let x = left.asInteger, let y = right.asInteger {
            switch op {
            case .add: return try checked(x.addingReportingOverflow(y), at: offset)
            case .subtract: return try checked(x.subtractingReportingOverflow(y), at: offset)
            case .multiply: return try checked(x.multipliedReportingOverflow(by: y), at: offset)
            case .floorDivide, .modulo:
                guard y != 0 else { throw error(.evaluation, "integer division or modulo by zero", at: offset) }
                guard !(x == Int.min && y == -1) else { throw error(.evaluation, "integer overflow", at: offset) }
                var quotient = x / y
                var remainder = x % y
                if remainder != 0, (remainder < 0) != (y < 0) {
                    quotient -= 1
                    remainder += y
                }
                return .integer(op == .floorDivide ? quotient : remainder)
            case .power where y >= 0:
                var result = 1
                for _ in 0..<min(y, 64) {
                    let (product, overflow) = result.multipliedReportingOverflow(by: x)
                    if overflow { throw error(.evaluation, "integer overflow in **", at: offset) }
                    result = product
                }
                if y > 64, abs(x) > 1 { throw error(.evaluation, "integer overflow in **", at: offset) }
                if y > 64 { return .integer(x == -1 && y % 2 == 1 ? -1 : (x == 0 ? 0 : 1)) }
                return .integer(result)
            default: break
            }
        }
        switch op {
        case .add: return .float(a + b)
        case .subtract: return .float(a - b)
        case .multiply: return .float(a * b)
        case .divide:
            guard b != 0 else { throw error(.evaluation, "division by zero", at: offset) }
            return .float(a / b)
        case .floorDivide:
            guard b != 0 else { throw error(.evaluation, "float floor division by zero", at: offset) }
            return .float((a / b).rounded(.down))
        case .modulo:
            guard b != 0 else { throw error(.evaluation, "float modulo by zero", at: offset) }
            let remainder = a.truncatingRemainder(dividingBy: b)
            return .float(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power: return .float(pow(a, b))
        default: throw error(.evaluation, "unsupported operator \(op.rawValue)", at: offset)
        }
    }

    private func checked(_ result: (partialValue: Int, overflow: Bool), at offset: Int) throws -> JinjaValue {
        if result.overflow { throw error(.evaluation, "integer overflow", at: offset) }
        return .integer(result.partialValue)
    }

    /// Three-way comparison for `<`, `sort` and friends: numbers, strings (by code
    /// point, as Python does) and lists (lexicographically).
    func compare(_ left: JinjaValue, _ right: JinjaValue, at offset: Int?) throws -> Int {
        if let a = left.asNumber, let b = right.asNumber { return a < b ? -1 : (a > b ? 1 : 0) }
        switch (left, right) {
        case (.string(let a), .string(let b)):
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        case (.list(let a), .list(let b)):
            for (x, y) in zip(a, b) {
                let order = try compare(x, y, at: offset)
                if order != 0 { return order }
            }
            return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
        default:
            throw error(.evaluation, "cannot compare \(left.typeName) with \(right.typeName)", at: offset)
        }
    }

    /// Python `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue, at offset: Int?) throws -> Bool {
        switch container {
        case .string(let text):
            guard case .string(let part) = needle else {
                throw error(.evaluation, "'in <string>' requires string as left operand", at: offset)
            }
            return part.isEmpty || text.utf8.firstRange(of: part.utf8) != nil
        case .list(let items): return items.contains { jinjaEqual($0, needle) }
        case .dict(let dict): return dict[needle.printed] != nil
        case .namespace(let namespace): return namespace.attributes[needle.printed] != nil
        case .undefined, .none:
            throw error(.evaluation, "argument of type \(container.typeName) is not iterable", at: offset)
        default:
            throw error(.evaluation, "argument of type \(container.typeName) is not iterable", at: offset)
        }
    }
}
