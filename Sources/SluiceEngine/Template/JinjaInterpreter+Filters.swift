import Foundation

/// Jinja2 built-in filters used by common chat templates. An unknown filter is
/// an `.unsupported` error, never silently ignored: a wrong prompt is worse than none.
extension JinjaInterpreter {
    func applyFilter(_ name: String, to value: JinjaValue, arguments: JinjaCallArguments,
                     at offset: Int?) throws -> JinjaValue {
        switch name {
        case "safe", "escape_none":
            return value
        case "string":
            return .string(value.printed)
        case "trim":
            guard case .string(let text) = value else { return .string(value.printed.jinjaTrimmingWhitespace()) }
            if let chars = arguments.value(0, "chars"), case .string(let set) = chars {
                return .string(strip(text, characters: set, leading: true, trailing: true))
            }
            return .string(text.jinjaTrimmingWhitespace())
        case "upper":
            return .string(value.printed.uppercased())
        case "lower":
            return .string(value.printed.lowercased())
        case "capitalize":
            return .string(capitalize(value.printed))
        case "title":
            return .string(titleCase(value.printed))
        case "length", "count":
            switch value {
            case .string(let text): return .integer(text.count)
            case .list(let items): return .integer(items.count)
            case .dict(let dict): return .integer(dict.count)
            case .undefined: return .integer(0)
            default: throw error(.evaluation, "object of type \(value.typeName) has no length", at: offset)
            }
        case "first":
            let items = try iterate(value, at: offset)
            return items.first ?? .undefined("first")
        case "last":
            let items = try iterate(value, at: offset)
            return items.last ?? .undefined("last")
        case "reverse":
            if case .string(let text) = value { return .string(String(text.reversed())) }
            return .list(try iterate(value, at: offset).reversed())
        case "list":
            return .list(try iterate(value, at: offset))
        case "join":
            let separator = arguments.value(0, "d")?.printed ?? ""
            var items = try iterate(value, at: offset)
            if let attribute = arguments.value(1, "attribute") {
                items = try items.map { try self.attribute(attribute.printed, of: $0, at: offset) }
            }
            return .string(items.map(\.printed).joined(separator: separator))
        case "default", "d":
            let fallback = arguments.value(0, "default_value") ?? .string("")
            let checkTruthiness = arguments.value(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (checkTruthiness && !value.isTruthy) { return fallback }
            return value
        case "replace":
            guard let old = arguments.value(0, "old"), let new = arguments.value(1, "new") else {
                throw error(.evaluation, "replace needs two arguments", at: offset)
            }
            return .string(try replace(value.printed, old.printed, new.printed,
                                       count: arguments.value(2, "count")?.asInteger, at: offset))
        case "int":
            let fallback = arguments.value(0, "default") ?? .integer(0)
            switch value {
            case .integer: return value
            case .bool(let flag): return .integer(flag ? 1 : 0)
            case .float(let number): return number.isFinite && abs(number) < 9e18 ? .integer(Int(number)) : fallback
            case .string(let text):
                let trimmed = text.jinjaTrimmingWhitespace()
                if let number = Int(trimmed) { return .integer(number) }
                if let number = Double(trimmed), number.isFinite, abs(number) < 9e18 { return .integer(Int(number)) }
                return fallback
            default: return fallback
            }
        case "float":
            if let number = value.asNumber { return .float(number) }
            if case .string(let text) = value, let number = Double(text.jinjaTrimmingWhitespace()) { return .float(number) }
            return arguments.value(0, "default") ?? .float(0)
        case "abs":
            if case .integer(let number) = value, number != Int.min { return .integer(abs(number)) }
            if case .float(let number) = value { return .float(abs(number)) }
            throw error(.evaluation, "bad operand for abs(): \(value.typeName)", at: offset)
        case "round":
            guard let number = value.asNumber else { throw error(.evaluation, "round needs a number", at: offset) }
            let precision = arguments.value(0, "precision")?.asInteger ?? 0
            var scale = 1.0
            for _ in 0..<min(max(precision, 0), 15) { scale *= 10 }
            return .float((number * scale).rounded(.toNearestOrEven) / scale)
        case "tojson":
            let indent = arguments.value(0, "indent")?.asInteger
            return .string(try JinjaJSON.encode(value, indent: indent, at: offset, interpreter: self))
        case "items":
            guard case .dict(let dict) = value else { throw error(.evaluation, "items needs a mapping", at: offset) }
            return .list(dict.items.map { .list([.string($0.0), $0.1]) })
        case "dictsort":
            guard case .dict(let dict) = value else { throw error(.evaluation, "dictsort needs a mapping", at: offset) }
            let sorted = dict.items.sorted { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) }
            return .list(sorted.map { .list([.string($0.0), $0.1]) })
        case "sort":
            return .list(try sort(try iterate(value, at: offset), arguments: arguments, at: offset))
        case "unique":
            var seen: [JinjaValue] = []
            for item in try iterate(value, at: offset) where !seen.contains(where: { jinjaEqual($0, item) }) {
                seen.append(item)
            }
            return .list(seen)
        case "selectattr", "rejectattr":
            return .list(try selectAttribute(try iterate(value, at: offset), arguments: arguments,
                                             keep: name == "selectattr", at: offset))
        case "select", "reject":
            return .list(try select(try iterate(value, at: offset), arguments: arguments,
                                    keep: name == "select", at: offset))
        case "map":
            return .list(try map(try iterate(value, at: offset), arguments: arguments, at: offset))
        case "indent":
            return .string(indent(value.printed, arguments: arguments))
        case "escape", "e", "forceescape":
            return .string(htmlEscape(value.printed))
        case "min", "max":
            let items = try iterate(value, at: offset)
            guard var best = items.first else { return .undefined(name) }
            for item in items.dropFirst() {
                let order = try compare(item, best, at: offset)
                if name == "min" ? order < 0 : order > 0 { best = item }
            }
            return best
        case "sum":
            var total = arguments.value(1, "start") ?? .integer(0)
            for item in try iterate(value, at: offset) {
                let term = try arguments.value(0, "attribute").map { try lookupPath($0.printed, in: item, at: offset) } ?? item
                total = try binary(.add, total, term, at: offset ?? 0)
            }
            return total
        case "wordcount":
            return .integer(value.printed.split(whereSeparator: { $0.isWhitespace }).count)
        case "batch", "slice":
            throw error(.unsupported, "filter '\(name)' is not supported", at: offset)
        default:
            throw error(.unsupported, "unknown filter '\(name)'", at: offset)
        }
    }

    func strip(_ text: String, characters: String?, leading: Bool, trailing: Bool) -> String {
        let set = characters.map { Set($0.unicodeScalars) }
        func shouldStrip(_ scalar: Unicode.Scalar) -> Bool {
            if let set { return set.contains(scalar) }
            return scalar.properties.isWhitespace
        }
        var scalars = Substring(text).unicodeScalars[...]
        if leading { while let first = scalars.first, shouldStrip(first) { scalars.removeFirst() } }
        if trailing { while let last = scalars.last, shouldStrip(last) { scalars.removeLast() } }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Jinja2 `escape`: the five HTML-special characters.
    func htmlEscape(_ text: String) -> String {
        var result = ""
        for char in text {
            switch char {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&#34;"
            case "'": result += "&#39;"
            default: result.append(char)
            }
        }
        return result
    }

    func capitalize(_ text: String) -> String {
        guard let first = text.first else { return text }
        return String(first).uppercased() + text.dropFirst().lowercased()
    }

    /// Python `str.title()`: uppercase after any non-letter, lowercase otherwise.
    func titleCase(_ text: String) -> String {
        var result = ""
        var previousIsLetter = false
        for char in text {
            result += previousIsLetter ? String(char).lowercased() : String(char).uppercased()
            previousIsLetter = char.isLetter
        }
        return result
    }

    func replace(_ text: String, _ old: String, _ new: String, count: Int?, at offset: Int?) throws -> String {
        if old.isEmpty {
            // Python inserts `new` between every character (and at both ends).
            var pieces = text.map(String.init)
            pieces.insert("", at: 0)
            pieces.append("")
            return pieces.joined(separator: new)
        }
        var result = ""
        var remaining = Substring(text)
        var replaced = 0
        let limit = count.map { $0 < 0 ? Int.max : $0 } ?? Int.max
        while replaced < limit, let range = remaining.range(of: old, options: .literal) {
            result += remaining[..<range.lowerBound]
            result += new
            remaining = remaining[range.upperBound...]
            replaced += 1
            try checkLength(result.utf8.count, at: offset)
        }
        result += remaining
        return result
    }

    private func sort(_ items: [JinjaValue], arguments: JinjaCallArguments, at offset: Int?) throws -> [JinjaValue] {
        let reverse = arguments.value(0, "reverse")?.isTruthy ?? false
        let attribute = arguments.value(2, "attribute")?.printed
        let keyed = try items.map { item -> (JinjaValue, JinjaValue) in
            (try attribute.map { try self.attribute($0, of: item, at: offset) } ?? item, item)
        }
        var failure: Error?
        let sorted = keyed.sorted { a, b in
            do { return try compare(a.0, b.0, at: offset) * (reverse ? -1 : 1) < 0 } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        return sorted.map(\.1)
    }

    private func selectAttribute(_ items: [JinjaValue], arguments: JinjaCallArguments, keep: Bool,
                                 at offset: Int?) throws -> [JinjaValue] {
        guard let attributeName = arguments.positional.first?.printed else {
            throw error(.evaluation, "selectattr needs an attribute name", at: offset)
        }
        let testName = arguments.positional.count > 1 ? arguments.positional[1].printed : nil
        let testArguments = JinjaCallArguments(positional: Array(arguments.positional.dropFirst(2)))
        return try items.filter { item in
            let attribute = try lookupPath(attributeName, in: item, at: offset)
            let passed = try testName.map { try applyTest($0, to: attribute, arguments: testArguments, at: offset) }
                ?? attribute.isTruthy
            return passed == keep
        }
    }

    private func select(_ items: [JinjaValue], arguments: JinjaCallArguments, keep: Bool,
                        at offset: Int?) throws -> [JinjaValue] {
        let testName = arguments.positional.first?.printed
        let testArguments = JinjaCallArguments(positional: Array(arguments.positional.dropFirst(1)))
        return try items.filter { item in
            let passed = try testName.map { try applyTest($0, to: item, arguments: testArguments, at: offset) }
                ?? item.isTruthy
            return passed == keep
        }
    }

    /// `map(attribute='x')`, `map(attribute='x', default=...)` or `map('filter', args...)`.
    private func map(_ items: [JinjaValue], arguments: JinjaCallArguments, at offset: Int?) throws -> [JinjaValue] {
        if let attribute = arguments.keyword.first(where: { $0.0 == "attribute" })?.1.printed {
            let fallback = arguments.keyword.first { $0.0 == "default" }?.1
            return try items.map { item in
                let value = try lookupPath(attribute, in: item, at: offset)
                if value.isUndefined, let fallback { return fallback }
                return value
            }
        }
        guard let filterName = arguments.positional.first?.printed else {
            throw error(.evaluation, "map needs a filter name or attribute=", at: offset)
        }
        let filterArguments = JinjaCallArguments(positional: Array(arguments.positional.dropFirst()),
                                                 keyword: arguments.keyword)
        return try items.map { try applyFilter(filterName, to: $0, arguments: filterArguments, at: offset) }
    }

    /// Dotted attribute path, as Jinja2's `make_attrgetter` accepts (`"function.name"`).
    private func lookupPath(_ path: String, in value: JinjaValue, at offset: Int?) throws -> JinjaValue {
        var current = value
        for part in path.split(separator: ".") {
            if current.isUndefined { return current }
            if let index = Int(part) {
                current = try subscriptValue(current, .integer(index), at: offset)
            } else if case .dict(let dict) = current {
                current = dict[String(part)] ?? .undefined(String(part))
            } else {
                current = try attribute(String(part), of: current, at: offset)
            }
        }
        return current
    }

    private func indent(_ text: String, arguments: JinjaCallArguments) -> String {
        let width = arguments.value(0, "width")
        let prefix: String
        if case .string(let custom)? = width { prefix = custom } else {
            prefix = String(repeating: " ", count: max(0, min(width?.asInteger ?? 4, 256)))
        }
        let indentFirst = arguments.value(1, "first")?.isTruthy ?? false
        let indentBlank = arguments.value(2, "blank")?.isTruthy ?? false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.enumerated().map { index, line in
            if index == 0 && !indentFirst { return String(line) }
            if line.isEmpty && !indentBlank { return String(line) }
            return prefix + line
        }.joined(separator: "\n")
    }
}
