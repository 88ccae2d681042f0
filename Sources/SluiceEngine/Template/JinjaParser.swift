/// Recursive-descent parser from lexer tokens to the Jinja AST. Operator
/// precedence follows Jinja2's parser (lowest first): conditional `x if c else y`,
/// `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`,
/// unary `- +`, then postfix (`.attr`, `[i]`, `(args)`) with filters `|` and tests `is`.
struct JinjaParser {
    /// Nesting guard: a hostile template cannot overflow the stack while parsing.
    static let maxDepth = 64

    private var tokens: [JinjaLexer.Token]
    private var position = 0
    private var depth = 0
    private let lexer: JinjaLexer

    init(lexer: JinjaLexer) throws {
        self.lexer = lexer
        self.tokens = try lexer.tokenize()
    }

    mutating func parseTemplate() throws -> [JinjaStatement] {
        let (body, endTag) = try parseBlock(until: [])
        if let endTag { throw error("unexpected '{% \(endTag) %}'") }
        return body
    }

    // MARK: - Token helpers

    private var current: JinjaLexer.Token { tokens[position] }

    private func error(_ message: String, at offset: Int? = nil) -> ChatTemplateError {
        ChatTemplateError(.syntax, message, line: lexer.lineNumber(at: offset ?? current.offset))
    }

    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }
    private func isName(_ name: String) -> Bool { current.kind == .name(name) }

    private mutating func accept(symbol: String) -> Bool {
        if isSymbol(symbol) { advance(); return true }
        return false
    }

    private mutating func accept(name: String) -> Bool {
        if isName(name) { advance(); return true }
        return false
    }

    private mutating func expect(symbol: String) throws {
        guard accept(symbol: symbol) else { throw error("expected '\(symbol)' but found \(describe(current.kind))") }
    }

    private mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else { throw error("expected a name but found \(describe(current.kind))") }
        advance()
        return name
    }

    private mutating func expectStatementClose() throws {
        guard current.kind == .statementClose else { throw error("expected '%}' but found \(describe(current.kind))") }
        advance()
    }

    private func describe(_ kind: JinjaLexer.TokenKind) -> String {
        switch kind {
        case .text: return "text"
        case .expressionOpen: return "'{{'"
        case .expressionClose: return "'}}'"
        case .statementOpen: return "'{%'"
        case .statementClose: return "'%}'"
        case .name(let name): return "'\(name)'"
        case .string: return "a string"
        case .integer, .float: return "a number"
        case .symbol(let symbol): return "'\(symbol)'"
        case .end: return "end of template"
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Self.maxDepth {
            throw ChatTemplateError(.limitExceeded, "template nesting deeper than \(Self.maxDepth)",
                                    line: lexer.lineNumber(at: current.offset))
        }
    }

    private mutating func leave() { depth -= 1 }

    // MARK: - Statements

    /// Parses statements until a `{% name %}` whose name is in `until`; returns the
    /// name with the tokens positioned just after it (the tag is not closed yet).
    private mutating func parseBlock(until: Set<String>) throws -> ([JinjaStatement], String?) {
        try enter()
        defer { leave() }
        var body: [JinjaStatement] = []
        while true {
            switch current.kind {
            case .end:
                if !until.isEmpty {
                    throw error("unexpected end of template, expected one of: \(until.sorted().joined(separator: ", "))")
                }
                return (body, nil)
            case .text(let text):
                body.append(.text(text))
                advance()
            case .expressionOpen:
                advance()
                let expression = try parseExpression()
                guard current.kind == .expressionClose else { throw error("expected '}}' but found \(describe(current.kind))") }
                advance()
                body.append(.output(expression))
            case .statementOpen:
                advance()
                let offset = current.offset
                let keyword = try expectName()
                if until.contains(keyword) { return (body, keyword) }
                if let statement = try parseStatement(keyword, offset: offset) { body.append(contentsOf: statement) }
            default:
                throw error("unexpected \(describe(current.kind))")
            }
        }
    }

    private mutating func parseStatement(_ keyword: String, offset: Int) throws -> [JinjaStatement]? {
        switch keyword {
        case "if": return [try parseIf()]
        case "for": return [try parseFor(offset: offset)]
        case "set": return [try parseSet(offset: offset)]
        case "macro": return [try parseMacro()]
        case "filter":
            let filters = try parseFilterChain()
            try expectStatementClose()
            let (body, _) = try parseBlock(until: ["endfilter"])
            try expectStatementClose()
            return [.filterBlock(filters, body, offset: offset)]
        case "break":
            try expectStatementClose()
            return [.breakLoop(offset: offset)]
        case "continue":
            try expectStatementClose()
            return [.continueLoop(offset: offset)]
        case "generation":
            // Hugging Face's AssistantTracker tag: renders its body unchanged.
            try expectStatementClose()
            let (body, _) = try parseBlock(until: ["endgeneration"])
            try expectStatementClose()
            return body
        case "elif", "else", "endif", "endfor", "endset", "endmacro", "endfilter", "endraw", "endgeneration":
            throw ChatTemplateError(.syntax, "unexpected '{% \(keyword) %}'", line: lexer.lineNumber(at: offset))
        default:
            throw ChatTemplateError(.unsupported, "unsupported tag '{% \(keyword) %}'", line: lexer.lineNumber(at: offset))
        }
    }

    private mutating func parseIf() throws -> JinjaStatement {
        var branches: [(JinjaExpression, [JinjaStatement])] = []
        var condition = try parseExpression()
        while true {
            try expectStatementClose()
            let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseExpression()
            case "else":
                try expectStatementClose()
                let (otherwise, _) = try parseBlock(until: ["endif"])
                try expectStatementClose()
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                try expectStatementClose()
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(offset: Int) throws -> JinjaStatement {
        var targets = [try expectName()]
        while accept(symbol: ",") { targets.append(try expectName()) }
        guard accept(name: "in") else { throw error("expected 'in' in for loop") }
        let iterable = try parseOr(allowConditional: false)
        var condition: JinjaExpression?
        if accept(name: "if") { condition = try parseExpression() }
        if isName("recursive") {
            throw ChatTemplateError(.unsupported, "recursive for loops are not supported", line: lexer.lineNumber(at: offset))
        }
        try expectStatementClose()
        let (body, end) = try parseBlock(until: ["else", "endfor"])
        var otherwise: [JinjaStatement] = []
        if end == "else" {
            try expectStatementClose()
            (otherwise, _) = try parseBlock(until: ["endfor"])
        }
        try expectStatementClose()
        return .loop(JinjaForLoop(targets: targets, iterable: iterable, condition: condition, body: body,
                                  otherwise: otherwise, offset: offset))
    }

    private mutating func parseSet(offset: Int) throws -> JinjaStatement {
        let first = try expectName()
        var target = JinjaAssignTarget.name(first)
        if accept(symbol: ".") {
            target = .attribute(first, try expectName())
        } else if isSymbol(",") {
            var names = [first]
            while accept(symbol: ",") { names.append(try expectName()) }
            target = .names(names)
        }
        if accept(symbol: "=") {
            let value = try parseTupleOrExpression()
            try expectStatementClose()
            return .assign(target, value, offset: offset)
        }
        guard case .name(let name) = target else { throw error("block set needs a plain variable name") }
        let filters = isSymbol("|") ? try parseFilterChain() : []
        try expectStatementClose()
        let (body, _) = try parseBlock(until: ["endset"])
        try expectStatementClose()
        return .assignBlock(name, body, filters: filters)
    }

    private mutating func parseMacro() throws -> JinjaStatement {
        let name = try expectName()
        try expect(symbol: "(")
        var parameters: [JinjaMacroParameter] = []
        while !isSymbol(")") {
            let parameter = try expectName()
            var defaultValue: JinjaExpression?
            if accept(symbol: "=") { defaultValue = try parseExpression() }
            parameters.append(JinjaMacroParameter(name: parameter, defaultValue: defaultValue))
            if !accept(symbol: ",") { break }
        }
        try expect(symbol: ")")
        try expectStatementClose()
        let (body, _) = try parseBlock(until: ["endmacro"])
        if case .name = current.kind { advance() }  // `{% endmacro name %}`
        try expectStatementClose()
        return .macro(name: name, parameters: parameters, body: body)
    }

    /// `| name(args) | other` — the leading `|` is optional for `{% filter %}` blocks.
    private mutating func parseFilterChain() throws -> [(String, JinjaArguments)] {
        var filters: [(String, JinjaArguments)] = []
        _ = accept(symbol: "|")
        repeat {
            let name = try parseDottedName()
            let arguments = isSymbol("(") ? try parseCallArguments() : JinjaArguments()
            filters.append((name, arguments))
        } while accept(symbol: "|")
        return filters
    }

    private mutating func parseDottedName() throws -> String {
        var name = try expectName()
        while accept(symbol: ".") { name += "." + (try expectName()) }
        return name
    }

    // MARK: - Expressions

    mutating func parseExpression() throws -> JinjaExpression {
        try parseOr(allowConditional: true)
    }

    /// `set x = a, b` assigns a tuple.
    private mutating func parseTupleOrExpression() throws -> JinjaExpression {
        let first = try parseExpression()
        guard isSymbol(",") else { return first }
        var items = [first]
        while accept(symbol: ",") {
            if current.kind == .statementClose { break }
            items.append(try parseExpression())
        }
        return .tuple(items)
    }

    private mutating func parseOr(allowConditional: Bool) throws -> JinjaExpression {
        try enter()
        defer { leave() }
        var left = try parseAnd()
        while accept(name: "or") { left = .or(left, try parseAnd()) }
        if allowConditional, accept(name: "if") {
            let condition = try parseOr(allowConditional: false)
            var otherwise: JinjaExpression?
            if accept(name: "else") { otherwise = try parseOr(allowConditional: true) }
            return .conditional(condition: condition, then: left, otherwise: otherwise)
        }
        return left
    }

    private mutating func parseAnd() throws -> JinjaExpression {
        var left = try parseNot()
        while accept(name: "and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws -> JinjaExpression {
        let offset = current.offset
        if accept(name: "not") {
            try enter()
            defer { leave() }
            return .unary(.not, try parseNot(), offset: offset)
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws -> JinjaExpression {
        var left = try parseAdditive()
        while true {
            let offset = current.offset
            if case .symbol(let symbol) = current.kind, let op = JinjaBinaryOperator(rawValue: symbol),
                [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual].contains(op)
            {
                advance()
                left = .binary(op, left, try parseAdditive(), offset: offset)
            } else if accept(name: "in") {
                left = .binary(.contains, left, try parseAdditive(), offset: offset)
            } else if isName("not"), position + 1 < tokens.count, tokens[position + 1].kind == .name("in") {
                advance()
                advance()
                left = .binary(.notContains, left, try parseAdditive(), offset: offset)
            } else {
                return left
            }
        }
    }

    private mutating func parseAdditive() throws -> JinjaExpression {
        var left = try parseConcat()
        while true {
            let offset = current.offset
            if accept(symbol: "+") {
                left = .binary(.add, left, try parseConcat(), offset: offset)
            } else if accept(symbol: "-") {
                left = .binary(.subtract, left, try parseConcat(), offset: offset)
            } else {
                return left
            }
        }
    }

    private mutating func parseConcat() throws -> JinjaExpression {
        var left = try parseMultiplicative()
        while true {
            let offset = current.offset
            guard accept(symbol: "~") else { return left }
            left = .binary(.concat, left, try parseMultiplicative(), offset: offset)
        }
    }

    private mutating func parseMultiplicative() throws -> JinjaExpression {
        var left = try parsePower()
        while true {
            let offset = current.offset
            let op: JinjaBinaryOperator
            if accept(symbol: "*") { op = .multiply }
            else if accept(symbol: "/") { op = .divide }
            else if accept(symbol: "//") { op = .floorDivide }
            else if accept(symbol: "%") { op = .modulo }
            else { return left }
            left = .binary(op, left, try parsePower(), offset: offset)
        }
    }

    private mutating func parsePower() throws -> JinjaExpression {
        var left = try parseUnary()
        while true {
            let offset = current.offset
            guard accept(symbol: "**") else { return left }
            left = .binary(.power, left, try parseUnary(), offset: offset)
        }
    }

    private mutating func parseUnary() throws -> JinjaExpression {
        try enter()
        defer { leave() }
        let offset = current.offset
        var node: JinjaExpression
        if accept(symbol: "-") {
            node = .unary(.negate, try parseUnary(), offset: offset)
        } else if accept(symbol: "+") {
            node = .unary(.plus, try parseUnary(), offset: offset)
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        return try parseFiltersAndTests(node)
    }

    private mutating func parsePrimary() throws -> JinjaExpression {
        let offset = current.offset
        switch current.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name, offset: offset)
            }
        case .string(var text):
            advance()
            while case .string(let more) = current.kind {  // adjacent literals concatenate
                text += more
                advance()
            }
            return .literal(.string(text))
        case .integer(let value):
            advance()
            return .literal(.integer(value))
        case .float(let value):
            advance()
            return .literal(.float(value))
        case .symbol("("):
            advance()
            if accept(symbol: ")") { return .tuple([]) }
            let first = try parseExpression()
            if accept(symbol: ")") { return first }
            var items = [first]
            while accept(symbol: ",") {
                if isSymbol(")") { break }
                items.append(try parseExpression())
            }
            try expect(symbol: ")")
            return .tuple(items)
        case .symbol("["):
            advance()
            var items: [JinjaExpression] = []
            while !isSymbol("]") {
                items.append(try parseExpression())
                if !accept(symbol: ",") { break }
            }
            try expect(symbol: "]")
            return .list(items)
        case .symbol("{"):
            advance()
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !isSymbol("}") {
                let key = try parseExpression()
                try expect(symbol: ":")
                pairs.append((key, try parseExpression()))
                if !accept(symbol: ",") { break }
            }
            try expect(symbol: "}")
            return .dict(pairs)
        default:
            throw error("expected an expression but found \(describe(current.kind))")
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            let offset = current.offset
            if accept(symbol: ".") {
                if case .integer(let index) = current.kind {  // `items.0`
                    advance()
                    node = .index(node, .literal(.integer(index)), offset: offset)
                } else {
                    node = .attribute(node, try expectName(), offset: offset)
                }
            } else if accept(symbol: "[") {
                node = try parseSubscript(node, offset: offset)
            } else if isSymbol("(") {
                node = .call(node, try parseCallArguments(), offset: offset)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpression, offset: Int) throws -> JinjaExpression {
        var start: JinjaExpression?
        if !isSymbol(":") { start = try parseExpression() }
        guard accept(symbol: ":") else {
            try expect(symbol: "]")
            guard let start else { throw error("empty subscript") }
            return .index(base, start, offset: offset)
        }
        var stop: JinjaExpression?
        var step: JinjaExpression?
        if !isSymbol(":") && !isSymbol("]") { stop = try parseExpression() }
        if accept(symbol: ":"), !isSymbol("]") { step = try parseExpression() }
        try expect(symbol: "]")
        return .slice(base, start: start, stop: stop, step: step, offset: offset)
    }

    private mutating func parseCallArguments() throws -> JinjaArguments {
        try expect(symbol: "(")
        var arguments = JinjaArguments()
        while !isSymbol(")") {
            if case .name(let name) = current.kind, position + 1 < tokens.count, tokens[position + 1].kind == .symbol("=") {
                advance()
                advance()
                arguments.keyword.append((name, try parseExpression()))
            } else {
                if !arguments.keyword.isEmpty { throw error("positional argument after keyword argument") }
                arguments.positional.append(try parseExpression())
            }
            if !accept(symbol: ",") { break }
        }
        try expect(symbol: ")")
        return arguments
    }

    private mutating func parseFiltersAndTests(_ base: JinjaExpression) throws -> JinjaExpression {
        var node = base
        while true {
            let offset = current.offset
            if accept(symbol: "|") {
                let name = try parseDottedName()
                let arguments = isSymbol("(") ? try parseCallArguments() : JinjaArguments()
                node = .filter(node, name: name, arguments, offset: offset)
                node = try parsePostfix(node)
            } else if accept(name: "is") {
                let negated = accept(name: "not")
                var name: String
                if case .name(let test) = current.kind {
                    name = test
                    advance()
                } else if case .symbol(let symbol) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(symbol) {
                    name = symbol
                    advance()
                } else {
                    throw error("expected a test name after 'is'")
                }
                if name == "none" || name == "None" { name = "none" }
                if name == "true" || name == "True" { name = "true" }
                if name == "false" || name == "False" { name = "false" }
                var arguments = JinjaArguments()
                if isSymbol("(") {
                    arguments = try parseCallArguments()
                } else if startsTestArgument() {
                    // `x is divisibleby 3`, `x is sameas y`: one bare argument.
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                node = .test(node, name: name, arguments, negated: negated, offset: offset)
            } else {
                return node
            }
        }
    }

    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .string, .integer, .float: return true
        case .name(let name): return !["and", "or", "else", "if", "in", "not", "is"].contains(name)
        default: return false
        }
    }
}
