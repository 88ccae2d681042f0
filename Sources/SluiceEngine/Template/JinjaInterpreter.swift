/// Tree-walking evaluator for the Jinja AST. One instance renders one template
/// once (it holds the variable scopes and the guards' counters); it is cheap to make.
final class JinjaInterpreter {
    /// Guards against hostile templates and inputs. A chat template is data from a
    /// model file; a message is data from a client: neither may hang or exhaust the server.
    struct Limits: Sendable {
        var maxOutputBytes = 8 << 20
        var maxSteps = 2_000_000
        var maxCallDepth = 32
        var maxSequenceLength = 1 << 20
    }

    /// A variable scope. Loops and macro calls push one, so `set` inside a loop
    /// does not leak out of it (Jinja2 scoping; the reason `namespace()` exists).
    final class Scope {
        var variables: [String: JinjaValue] = [:]
        let parent: Scope?
        init(parent: Scope?) { self.parent = parent }

        func lookup(_ name: String) -> JinjaValue? {
            var scope: Scope? = self
            while let current = scope {
                if let value = current.variables[name] { return value }
                scope = current.parent
            }
            return nil
        }
    }

    enum Flow { case normal, breakLoop, continueLoop }

    let lexer: JinjaLexer
    let limits: Limits
    var scope: Scope
    private var steps = 0
    private var outputBytes = 0
    private var callDepth = 0

    init(lexer: JinjaLexer, limits: Limits, globals: [String: JinjaValue]) {
        self.lexer = lexer
        self.limits = limits
        let root = Scope(parent: nil)
        root.variables = globals
        self.scope = Scope(parent: root)
        for (name, function) in builtinGlobals() where globals[name] == nil {
            root.variables[name] = .callable(function)
        }
    }

    func render(_ body: [JinjaStatement]) throws -> String {
        var output = ""
        let flow = try execute(body, into: &output)
        if flow != .normal { throw ChatTemplateError(.syntax, "'break' or 'continue' outside a loop") }
        return output
    }

    // MARK: - Errors and guards

    func error(_ kind: ChatTemplateError.Kind, _ message: String, at offset: Int?) -> ChatTemplateError {
        ChatTemplateError(kind, message, line: offset.map { lexer.lineNumber(at: $0) })
    }

    private func step() throws {
        steps += 1
        if steps > limits.maxSteps {
            throw ChatTemplateError(.limitExceeded, "template evaluation exceeded \(limits.maxSteps) steps")
        }
    }

    func emit(_ text: String, into output: inout String) throws {
        outputBytes += text.utf8.count
        if outputBytes > limits.maxOutputBytes {
            throw ChatTemplateError(.limitExceeded, "rendered output exceeds \(limits.maxOutputBytes) bytes")
        }
        output += text
    }

    /// Values nested deeper than this are refused: printing, comparing and freeing
    /// them recurse, and a template looping `set x = [x]` must not overflow the stack.
    static let maxNesting = 128

    func checkNesting(_ elements: [JinjaValue]) throws {
        for element in elements where element.nestingDepth(limit: Self.maxNesting) >= Self.maxNesting {
            throw ChatTemplateError(.limitExceeded, "value nested deeper than \(Self.maxNesting) levels")
        }
    }

    func checkLength(_ count: Int, at offset: Int?) throws {
        if count > limits.maxSequenceLength {
            throw error(.limitExceeded, "sequence of \(count) items exceeds \(limits.maxSequenceLength)", at: offset)
        }
    }

    // MARK: - Statements

    func execute(_ statements: [JinjaStatement], into output: inout String) throws -> Flow {
        for statement in statements {
            try step()
            switch statement {
            case .text(let text):
                try emit(text, into: &output)
            case .output(let expression):
                try emit(try evaluate(expression).printed, into: &output)
            case .conditional(let branches, let otherwise):
                var taken = false
                for (condition, body) in branches {
                    guard try evaluate(condition).isTruthy else { continue }
                    taken = true
                    let flow = try execute(body, into: &output)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try execute(otherwise, into: &output)
                    if flow != .normal { return flow }
                }
            case .loop(let loop):
                try executeLoop(loop, into: &output)
            case .assign(let target, let expression, let offset):
                try assign(target, try evaluate(expression), at: offset)
            case .assignBlock(let name, let body, let filters):
                var captured = ""
                _ = try execute(body, into: &captured)
                var value = JinjaValue.string(captured)
                for (filter, arguments) in filters {
                    value = try applyFilter(filter, to: value, arguments: try evaluateArguments(arguments), at: nil)
                }
                scope.variables[name] = value
            case .macro(let name, let parameters, let body):
                scope.variables[name] = .callable(makeMacro(name: name, parameters: parameters, body: body))
            case .filterBlock(let filters, let body, let offset):
                var captured = ""
                _ = try execute(body, into: &captured)
                var value = JinjaValue.string(captured)
                for (filter, arguments) in filters {
                    value = try applyFilter(filter, to: value, arguments: try evaluateArguments(arguments), at: offset)
                }
                try emit(value.printed, into: &output)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private func assign(_ target: JinjaAssignTarget, _ value: JinjaValue, at offset: Int) throws {
        switch target {
        case .name(let name):
            scope.variables[name] = value
        case .names(let names):
            let items = try unpack(value, count: names.count, at: offset)
            for (name, item) in zip(names, items) { scope.variables[name] = item }
        case .attribute(let object, let attribute):
            guard case .namespace(let namespace)? = scope.lookup(object) else {
                throw error(.evaluation, "cannot set attribute '\(attribute)' on '\(object)': not a namespace", at: offset)
            }
            namespace.attributes[attribute] = value
        }
    }

    private func unpack(_ value: JinjaValue, count: Int, at offset: Int) throws -> [JinjaValue] {
        let items = try iterate(value, at: offset)
        guard items.count == count else {
            throw error(.evaluation, "cannot unpack \(items.count) values into \(count) names", at: offset)
        }
        return items
    }

    private func executeLoop(_ loop: JinjaForLoop, into output: inout String) throws {
        var items = try iterate(try evaluate(loop.iterable), at: loop.offset)
        let outer = scope
        scope = Scope(parent: outer)
        defer { scope = outer }
        if let condition = loop.condition {
            // `for x in xs if cond`: filtered before `loop` is computed, as in Jinja2.
            items = try items.filter { item in
                try bindTargets(loop.targets, item, at: loop.offset)
                return try evaluate(condition).isTruthy
            }
        }
        if items.isEmpty {
            _ = try execute(loop.otherwise, into: &output)
            return
        }
        let length = items.count
        for (index, item) in items.enumerated() {
            try step()
            try bindTargets(loop.targets, item, at: loop.offset)
            scope.variables["loop"] = loopVariable(index: index, length: length, items: items)
            let flow = try execute(loop.body, into: &output)
            if flow == .breakLoop { break }
        }
    }

    private func bindTargets(_ targets: [String], _ item: JinjaValue, at offset: Int) throws {
        if targets.count == 1 {
            scope.variables[targets[0]] = item
        } else {
            for (name, value) in zip(targets, try unpack(item, count: targets.count, at: offset)) {
                scope.variables[name] = value
            }
        }
    }

    private func loopVariable(index: Int, length: Int, items: [JinjaValue]) -> JinjaValue {
        var loop = JinjaDict()
        loop["index"] = .integer(index + 1)
        loop["index0"] = .integer(index)
        loop["revindex"] = .integer(length - index)
        loop["revindex0"] = .integer(length - index - 1)
        loop["first"] = .bool(index == 0)
        loop["last"] = .bool(index == length - 1)
        loop["length"] = .integer(length)
        loop["depth"] = .integer(1)
        loop["depth0"] = .integer(0)
        loop["previtem"] = index > 0 ? items[index - 1] : .undefined("loop.previtem")
        loop["nextitem"] = index + 1 < length ? items[index + 1] : .undefined("loop.nextitem")
        loop["cycle"] = .callable(JinjaCallable("loop.cycle") { arguments in
            guard !arguments.positional.isEmpty else { return .undefined("loop.cycle") }
            return arguments.positional[index % arguments.positional.count]
        })
        return .dict(loop)
    }

    /// Items a `for` loop visits: list elements, dict keys, string characters.
    func iterate(_ value: JinjaValue, at offset: Int?) throws -> [JinjaValue] {
        switch value {
        case .list(let items): return items
        case .dict(let dict): return dict.keys.map { .string($0) }
        case .string(let text): return text.map { .string(String($0)) }
        case .undefined, .none: return []  // Jinja2 iterates an undefined as empty
        case .namespace(let namespace): return namespace.attributes.keys.map { .string($0) }
        default: throw error(.evaluation, "\(value.typeName) is not iterable", at: offset)
        }
    }

    private func makeMacro(name: String, parameters: [JinjaMacroParameter], body: [JinjaStatement]) -> JinjaCallable {
        let definingScope = scope
        return JinjaCallable(name) { [unowned self] arguments in
            self.callDepth += 1
            defer { self.callDepth -= 1 }
            if self.callDepth > self.limits.maxCallDepth {
                throw ChatTemplateError(.limitExceeded, "macro calls nested deeper than \(self.limits.maxCallDepth)")
            }
            let outer = self.scope
            self.scope = Scope(parent: definingScope)
            defer { self.scope = outer }
            for (index, parameter) in parameters.enumerated() {
                if let value = arguments.value(index, parameter.name) {
                    self.scope.variables[parameter.name] = value
                } else if let defaultValue = parameter.defaultValue {
                    self.scope.variables[parameter.name] = try self.evaluate(defaultValue)
                } else {
                    self.scope.variables[parameter.name] = .undefined(parameter.name)
                }
            }
            var output = ""
            _ = try self.execute(body, into: &output)
            return .string(output)
        }
    }

    // MARK: - Expressions

    func evaluate(_ expression: JinjaExpression) throws -> JinjaValue {
        try step()
        switch expression {
        case .literal(let literal):
            return JinjaValue(literal)
        case .name(let name, _):
            return scope.lookup(name) ?? .undefined(name)
        case .list(let items), .tuple(let items):
            let values = try items.map(evaluate)
            try checkNesting(values)
            return .list(values)
        case .dict(let pairs):
            var dict = JinjaDict()
            for (key, value) in pairs { dict[try evaluate(key).printed] = try evaluate(value) }
            try checkNesting(dict.items.map(\.1))
            return .dict(dict)
        case .attribute(let base, let name, let offset):
            return try attribute(name, of: try evaluate(base), at: offset)
        case .index(let base, let index, let offset):
            return try subscriptValue(try evaluate(base), try evaluate(index), at: offset)
        case .slice(let base, let start, let stop, let step, let offset):
            return try slice(try evaluate(base), start: try start.map(evaluate), stop: try stop.map(evaluate),
                             step: try step.map(evaluate), at: offset)
        case .call(let callee, let arguments, let offset):
            let function = try evaluate(callee)
            guard case .callable(let callable) = function else {
                throw error(.unsupported, "'\(describe(callee))' is not a known function", at: offset)
            }
            return try callable.body(try evaluateArguments(arguments))
        case .filter(let base, let name, let arguments, let offset):
            return try applyFilter(name, to: try evaluate(base), arguments: try evaluateArguments(arguments), at: offset)
        case .test(let base, let name, let arguments, let negated, let offset):
            let result = try applyTest(name, to: try evaluate(base), arguments: try evaluateArguments(arguments), at: offset)
            return .bool(result != negated)
        case .unary(let op, let operand, let offset):
            let value = try evaluate(operand)
            switch op {
            case .not: return .bool(!value.isTruthy)
            case .negate:
                if case .integer(let number) = value, number != Int.min { return .integer(-number) }
                if case .float(let number) = value { return .float(-number) }
                if case .bool(let flag) = value { return .integer(flag ? -1 : 0) }
                throw error(.evaluation, "cannot negate \(value.typeName)", at: offset)
            case .plus:
                guard value.asNumber != nil else { throw error(.evaluation, "unary + on \(value.typeName)", at: offset) }
                return value
            }
        case .binary(let op, let left, let right, let offset):
            return try binary(op, try evaluate(left), try evaluate(right), at: offset)
        case .and(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("conditional")
        }
    }

    func evaluateArguments(_ arguments: JinjaArguments) throws -> JinjaCallArguments {
        JinjaCallArguments(positional: try arguments.positional.map(evaluate),
                           keyword: try arguments.keyword.map { ($0.0, try evaluate($0.1)) })
    }

    private func describe(_ expression: JinjaExpression) -> String {
        switch expression {
        case .name(let name, _): return name
        case .attribute(let base, let name, _): return describe(base) + "." + name
        default: return "expression"
        }
    }

    /// `a.b`: dict methods first, then keys (Jinja2 tries `getattr`, then `getitem`).
    func attribute(_ name: String, of value: JinjaValue, at offset: Int?) throws -> JinjaValue {
        switch value {
        case .undefined(let base):
            throw error(.evaluation, "'\(base)' is undefined (reading '.\(name)')", at: offset)
        case .namespace(let namespace):
            return namespace.attributes[name] ?? .undefined(name)
        case .dict(let dict):
            if let method = boundMethod(name, of: value, at: offset) { return .callable(method) }
            return dict[name] ?? .undefined(name)
        default:
            if let method = boundMethod(name, of: value, at: offset) { return .callable(method) }
            return .undefined(name)
        }
    }

    func subscriptValue(_ base: JinjaValue, _ index: JinjaValue, at offset: Int?) throws -> JinjaValue {
        switch (base, index) {
        case (.undefined(let name), _):
            throw error(.evaluation, "'\(name)' is undefined (reading [\(index.repr)])", at: offset)
        case (.list(let items), _):
            guard let position = index.asInteger else {
                throw error(.evaluation, "list indices must be integers, not \(index.typeName)", at: offset)
            }
            let resolved = position < 0 ? items.count + position : position
            return items.indices.contains(resolved) ? items[resolved] : .undefined("[\(position)]")
        case (.string(let text), _):
            guard let position = index.asInteger else {
                throw error(.evaluation, "string indices must be integers", at: offset)
            }
            let characters = Array(text)
            let resolved = position < 0 ? characters.count + position : position
            return characters.indices.contains(resolved) ? .string(String(characters[resolved])) : .undefined("[\(position)]")
        case (.dict(let dict), _):
            return dict[index.printed] ?? .undefined(index.printed)
        case (.namespace(let namespace), _):
            return namespace.attributes[index.printed] ?? .undefined(index.printed)
        default:
            return .undefined("[\(index.repr)]")
        }
    }

    /// Python slicing `[start:stop:step]` on lists and strings, negative steps included.
    private func slice(_ base: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?,
                       at offset: Int) throws -> JinjaValue {
        func bound(_ value: JinjaValue?) throws -> Int? {
            guard let value, !value.isNone, !value.isUndefined else { return nil }
            guard let number = value.asInteger else { throw error(.evaluation, "slice indices must be integers", at: offset) }
            return number
        }
        let stride = try bound(step) ?? 1
        if stride == 0 { throw error(.evaluation, "slice step cannot be zero", at: offset) }
        func indices(count: Int) throws -> [Int] {
            func clamp(_ value: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
                guard var value else { return defaultValue }
                if value < 0 { value += count }
                return min(max(value, low), high)
            }
            var result: [Int] = []
            if stride > 0 {
                var index = clamp(try bound(start), 0, low: 0, high: count)
                let end = clamp(try bound(stop), count, low: 0, high: count)
                while index < end { result.append(index); index += stride }
            } else {
                var index = clamp(try bound(start), count - 1, low: -1, high: count - 1)
                let end = clamp(try bound(stop), -1, low: -1, high: count - 1)
                while index > end { result.append(index); index += stride }
            }
            return result
        }
        switch base {
        case .list(let items):
            return .list(try indices(count: items.count).map { items[$0] })
        case .string(let text):
            let characters = Array(text)
            return .string(String(try indices(count: characters.count).map { characters[$0] }))
        case .undefined(let name):
            throw error(.evaluation, "'\(name)' is undefined (slicing)", at: offset)
        default:
            throw error(.evaluation, "cannot slice \(base.typeName)", at: offset)
        }
    }
}
