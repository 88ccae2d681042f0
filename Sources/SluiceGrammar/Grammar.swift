// The grammar the constrained decoder enforces: a context-free grammar over BYTES (not
// characters: a multi-byte UTF-8 character split across two tokens is just two bytes of one
// rule), whose rule bodies are regular expressions over bytes and references to other rules.
// Recursion (`$ref` cycles in a JSON Schema, nested JSON values) goes through rule references;
// everything else stays regular, which is what lets the matcher precompute token masks per
// position (see GrammarMatcher).
//
// Pure data: the JSON Schema compiler and the tool-call composer build it; the matcher compiles
// it for one vocabulary. Nothing here knows about tokens.

/// A set of bytes (256 bits).
public struct ByteSet: Sendable, Hashable {
    public var words: (UInt64, UInt64, UInt64, UInt64)

    public init() { words = (0, 0, 0, 0) }

    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        self.init()
        for byte in bytes { insert(byte) }
    }

    public init(_ range: ClosedRange<UInt8>) { self.init(range.lazy.map { $0 }) }

    public static let all: ByteSet = { var set = ByteSet(); set.words = (.max, .max, .max, .max); return set }()

    public func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    public mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    public func union(_ other: ByteSet) -> ByteSet {
        var set = ByteSet()
        set.words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
        return set
    }

    public func subtracting(_ other: ByteSet) -> ByteSet {
        var set = ByteSet()
        set.words = (words.0 & ~other.words.0, words.1 & ~other.words.1, words.2 & ~other.words.2, words.3 & ~other.words.3)
        return set
    }

    public var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    public static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// A rule's body: a regular expression over bytes whose atoms may also be rule references.
public indirect enum GrammarExpr: Sendable, Hashable {
    /// These bytes, in order (empty: matches the empty string).
    case literal([UInt8])
    /// One byte from the set (an empty set matches nothing).
    case bytes(ByteSet)
    case sequence([GrammarExpr])
    /// Any one alternative (no alternatives: matches nothing).
    case choice([GrammarExpr])
    /// `min` to `max` repetitions (`max` nil: unbounded).
    case repetition(GrammarExpr, min: Int, max: Int?)
    /// The body of another rule of the same grammar.
    case rule(RuleID)

    public static let empty = GrammarExpr.literal([])

    public static func literal(_ text: String) -> GrammarExpr { .literal(Array(text.utf8)) }
    public static func optional(_ expr: GrammarExpr) -> GrammarExpr { .repetition(expr, min: 0, max: 1) }
}

public struct RuleID: Sendable, Hashable {
    public let index: Int
    public init(_ index: Int) { self.index = index }
}

/// A complete grammar: rule bodies by id, and the rule a document must match.
public struct Grammar: Sendable, Hashable {
    public var rules: [GrammarExpr]
    /// Names for debugging and error messages only (same indices as `rules`).
    public var ruleNames: [String]
    public var root: RuleID

    public init(rules: [GrammarExpr], ruleNames: [String], root: RuleID) {
        self.rules = rules
        self.ruleNames = ruleNames
        self.root = root
    }
}

/// Builds a grammar incrementally: declare a rule first (so recursive definitions can refer to
/// it), define its body later. Compilers of different sources (a JSON Schema, a tool list)
/// add their rules to one builder, so they compose into one grammar.
public struct GrammarBuilder: Sendable {
    private var bodies: [GrammarExpr?] = []
    private var names: [String] = []
    /// Rules built once per builder and reused by every compiler that adds to it (the JSON
    /// string character, any JSON value, a date format…): see `sharedRule(_:body:)`.
    private var shared: [String: RuleID] = [:]

    public init() {}

    /// A new rule without a body yet.
    public mutating func declare(_ name: String) -> RuleID {
        bodies.append(nil)
        names.append(name)
        return RuleID(bodies.count - 1)
    }

    public mutating func define(_ rule: RuleID, _ body: GrammarExpr) {
        precondition(bodies[rule.index] == nil, "rule \(names[rule.index]) defined twice")
        bodies[rule.index] = body
    }

    /// Declares and defines in one step.
    public mutating func add(_ name: String, _ body: GrammarExpr) -> RuleID {
        let rule = declare(name)
        define(rule, body)
        return rule
    }

    public func isDefined(_ rule: RuleID) -> Bool { bodies[rule.index] != nil }

    /// The rule stored under `key`, built by `body` the first time it is asked for and reused
    /// after that, so common pieces exist once per grammar (small grammars; the matcher's
    /// per-rule caches are shared). The rule is declared before `body` runs, so the body may
    /// refer to it (recursion) through the id it is given.
    public mutating func sharedRule(_ key: String, body: (inout GrammarBuilder, RuleID) -> GrammarExpr) -> RuleID {
        if let rule = shared[key] { return rule }
        let rule = declare(key)
        shared[key] = rule
        let expr = body(&self, rule)
        define(rule, expr)
        return rule
    }

    /// The grammar whose documents match `root`. Every declared rule must have been defined.
    public func build(root: GrammarExpr) -> Grammar {
        var rules = bodies.map { body -> GrammarExpr in
            guard let body else { preconditionFailure("a declared grammar rule was never defined") }
            return body
        }
        var ruleNames = names
        rules.append(root)
        ruleNames.append("root")
        return Grammar(rules: rules, ruleNames: ruleNames, root: RuleID(rules.count - 1))
    }
}
