import Foundation

/// Python methods that templates call on values (`text.strip()`, `message.get('x')`)
/// and the global functions (`range`, `namespace`, `raise_exception`).
extension JinjaInterpreter {
    func boundMethod(_ name: String, of value: JinjaValue, at offset: Int?) -> JinjaCallable? {
        switch value {
        case .string(let text): return stringMethod(name, text, at: offset)
        case .dict(let dict): return dictMethod(name, dict, at: offset)
        case .list(let items): return listMethod(name, items)
        default: return nil
        }
    }

    private func stringMethod(_ name: String, _ text: String, at offset: Int?) -> JinjaCallable? {
        let body: (JinjaCallArguments) throws -> JinjaValue
        switch name {
        case "strip", "lstrip", "rstrip":
            body = { arguments in
                var characters: String?
                if case .string(let set)? = arguments.value(0, "chars") { characters = set }
                return .string(self.strip(text, characters: characters,
                                          leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split":
            body = { arguments in
                let separator = arguments.value(0, "sep")
                let limit = arguments.value(1, "maxsplit")?.asInteger ?? -1
                return .list(try self.split(text, separator: separator, maxSplit: limit, at: offset).map { .string($0) })
            }
        case "startswith", "endswith":
            body = { arguments in
                let candidates: [JinjaValue]
                switch arguments.value(0, "prefix") {
                case .list(let items)?: candidates = items  // Python accepts a tuple of prefixes
                case let single?: candidates = [single]
                case nil: throw self.error(.evaluation, "\(name) needs an argument", at: offset)
                }
                let scalars = Array(text.unicodeScalars)
                return .bool(candidates.contains { candidate in
                    let affix = Array(candidate.printed.unicodeScalars)
                    guard affix.count <= scalars.count else { return false }
                    return name == "startswith" ? scalars.prefix(affix.count).elementsEqual(affix)
                        : scalars.suffix(affix.count).elementsEqual(affix)
                })
            }
        case "upper": body = { _ in .string(text.uppercased()) }
        case "lower": body = { _ in .string(text.lowercased()) }
        case "title": body = { _ in .string(self.titleCase(text)) }
        case "capitalize": body = { _ in .string(self.capitalize(text)) }
        case "replace":
            body = { arguments in
                guard let old = arguments.value(0, "old"), let new = arguments.value(1, "new") else {
                    throw self.error(.evaluation, "replace needs two arguments", at: offset)
                }
                return .string(try self.replace(text, old.printed, new.printed,
                                                count: arguments.value(2, "count")?.asInteger, at: offset))
            }
        case "find":
            body = { arguments in
                let needle = arguments.value(0, "sub")?.printed ?? ""
                guard let range = text.range(of: needle, options: .literal) else { return .integer(-1) }
                return .integer(text.distance(from: text.startIndex, to: range.lowerBound))
            }
        case "count":
            body = { arguments in
                let needle = arguments.value(0, "sub")?.printed ?? ""
                if needle.isEmpty { return .integer(text.count + 1) }
                return .integer(text.components(separatedBy: needle).count - 1)
            }
        case "join":
            body = { arguments in
                let items = try self.iterate(arguments.value(0, "iterable") ?? .list([]), at: offset)
                return .string(items.map(\.printed).joined(separator: text))
            }
        case "splitlines":
            body = { _ in .list(text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
                .map { .string(String($0)) }.dropLast(text.last?.isNewline == true ? 1 : 0)) }
        case "isdigit": body = { _ in .bool(!text.isEmpty && text.allSatisfy(\.isNumber)) }
        case "isalpha": body = { _ in .bool(!text.isEmpty && text.allSatisfy(\.isLetter)) }
        case "isspace": body = { _ in .bool(!text.isEmpty && text.allSatisfy(\.isWhitespace)) }
        default: return nil
        }
        return JinjaCallable("str.\(name)", body)
    }

    private func dictMethod(_ name: String, _ dict: JinjaDict, at offset: Int?) -> JinjaCallable? {
        switch name {
        case "items": return JinjaCallable("dict.items") { _ in .list(dict.items.map { .list([.string($0.0), $0.1]) }) }
        case "keys": return JinjaCallable("dict.keys") { _ in .list(dict.keys.map { .string($0) }) }
        case "values": return JinjaCallable("dict.values") { _ in .list(dict.items.map(\.1)) }
        case "get":
            return JinjaCallable("dict.get") { arguments in
                guard let key = arguments.value(0, "key") else { throw self.error(.evaluation, "get needs a key", at: offset) }
                return dict[key.printed] ?? arguments.value(1, "default") ?? .none
            }
        default: return nil
        }
    }

    private func listMethod(_ name: String, _ items: [JinjaValue]) -> JinjaCallable? {
        switch name {
        case "index":
            return JinjaCallable("list.index") { arguments in
                guard let needle = arguments.positional.first,
                    let index = items.firstIndex(where: { jinjaEqual($0, needle) })
                else { throw ChatTemplateError(.evaluation, "value is not in list") }
                return .integer(index)
            }
        case "count":
            return JinjaCallable("list.count") { arguments in
                guard let needle = arguments.positional.first else { return .integer(0) }
                return .integer(items.filter { jinjaEqual($0, needle) }.count)
            }
        default: return nil
        }
    }

    /// Python `str.split`: no separator splits on whitespace runs and drops empty parts.
    private func split(_ text: String, separator: JinjaValue?, maxSplit: Int, at offset: Int?) throws -> [String] {
        let limit = maxSplit < 0 ? Int.max : maxSplit
        guard let separator, !separator.isNone else {
            var parts: [String] = []
            var remaining = Substring(text).drop { $0.isWhitespace }
            while !remaining.isEmpty {
                if parts.count == limit {
                    parts.append(String(remaining.reversed().drop { $0.isWhitespace }.reversed()))
                    break
                }
                let word = remaining.prefix { !$0.isWhitespace }
                parts.append(String(word))
                remaining = remaining[word.endIndex...].drop { $0.isWhitespace }
            }
            return parts
        }
        let sep = separator.printed
        guard !sep.isEmpty else { throw error(.evaluation, "empty separator", at: offset) }
        var parts: [String] = []
        var remaining = Substring(text)
        while parts.count < limit, let range = remaining.range(of: sep, options: .literal) {
            parts.append(String(remaining[..<range.lowerBound]))
            remaining = remaining[range.upperBound...]
            try checkLength(parts.count, at: offset)
        }
        parts.append(String(remaining))
        return parts
    }

    func builtinGlobals() -> [String: JinjaCallable] {
        [
            "raise_exception": JinjaCallable("raise_exception") { arguments in
                let message = arguments.positional.first?.printed ?? "template raised an exception"
                throw ChatTemplateError(.raisedByTemplate, message)
            },
            "range": JinjaCallable("range") { [unowned self] arguments in
                let numbers = arguments.positional.compactMap(\.asInteger)
                guard numbers.count == arguments.positional.count, (1...3).contains(numbers.count) else {
                    throw ChatTemplateError(.evaluation, "range expects 1 to 3 integers")
                }
                let start = numbers.count > 1 ? numbers[0] : 0
                let stop = numbers.count > 1 ? numbers[1] : numbers[0]
                let step = numbers.count > 2 ? numbers[2] : 1
                guard step != 0 else { throw ChatTemplateError(.evaluation, "range step must not be zero") }
                let span = ((Double(stop) - Double(start)) / Double(step)).rounded(.up)  // Double: no overflow on hostile bounds
                let count = span > 0 ? Int(min(span, 1e15)) : 0
                try self.checkLength(count, at: nil)
                return .list(Swift.stride(from: start, to: stop, by: step).map { .integer($0) })
            },
            "namespace": JinjaCallable("namespace") { arguments in
                var attributes = JinjaDict()
                if case .dict(let initial)? = arguments.positional.first {
                    for (key, value) in initial.items { attributes[key] = value }
                }
                for (key, value) in arguments.keyword { attributes[key] = value }
                return .namespace(JinjaNamespace(attributes))
            },
            "dict": JinjaCallable("dict") { arguments in
                var dict = JinjaDict()
                for (key, value) in arguments.keyword { dict[key] = value }
                return .dict(dict)
            },
        ]
    }
}
