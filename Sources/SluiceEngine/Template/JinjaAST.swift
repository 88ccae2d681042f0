/// The parsed form of a Jinja template. Value types only, so a parsed
/// `ChatTemplate` is `Sendable` and rendered concurrently without locks.
enum JinjaLiteral: Sendable, Equatable {
    case none
    case bool(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
}

indirect enum JinjaExpression: Sendable {
    case literal(JinjaLiteral)
    case name(String, offset: Int)
    case list([JinjaExpression])
    case tuple([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String, offset: Int)
    case index(JinjaExpression, JinjaExpression, offset: Int)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?, offset: Int)
    case call(JinjaExpression, JinjaArguments, offset: Int)
    case filter(JinjaExpression, name: String, JinjaArguments, offset: Int)
    case test(JinjaExpression, name: String, JinjaArguments, negated: Bool, offset: Int)
    case unary(JinjaUnaryOperator, JinjaExpression, offset: Int)
    case binary(JinjaBinaryOperator, JinjaExpression, JinjaExpression, offset: Int)
    case and(JinjaExpression, JinjaExpression)
    case or(JinjaExpression, JinjaExpression)
    case conditional(condition: JinjaExpression, then: JinjaExpression, otherwise: JinjaExpression?)
}

struct JinjaArguments: Sendable {
    var positional: [JinjaExpression] = []
    var keyword: [(String, JinjaExpression)] = []
}

enum JinjaUnaryOperator: Sendable { case not, negate, plus }

enum JinjaBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    case concat = "~"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case contains = "in", notContains = "not in"
}

/// Target of `{% set %}` and of `{% for %}` loop variables.
enum JinjaAssignTarget: Sendable {
    case name(String)
    case names([String])  // tuple unpacking: `set a, b = pair`
    case attribute(String, String)  // `set ns.count = ...` on a namespace()
}

struct JinjaMacroParameter: Sendable {
    var name: String
    var defaultValue: JinjaExpression?
}

indirect enum JinjaStatement: Sendable {
    case text(String)
    case output(JinjaExpression)
    case conditional(branches: [(JinjaExpression, [JinjaStatement])], otherwise: [JinjaStatement])
    case loop(JinjaForLoop)
    case assign(JinjaAssignTarget, JinjaExpression, offset: Int)
    case assignBlock(String, [JinjaStatement], filters: [(String, JinjaArguments)])
    case macro(name: String, parameters: [JinjaMacroParameter], body: [JinjaStatement])
    case filterBlock([(String, JinjaArguments)], [JinjaStatement], offset: Int)
    case breakLoop(offset: Int)
    case continueLoop(offset: Int)
}

struct JinjaForLoop: Sendable {
    var targets: [String]
    var iterable: JinjaExpression
    var condition: JinjaExpression?
    var body: [JinjaStatement]
    var otherwise: [JinjaStatement]
    var offset: Int
}
