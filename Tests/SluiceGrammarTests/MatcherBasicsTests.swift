import Testing
@testable import SluiceGrammar

@Suite struct MatcherBasicsTests {
    typealias S = MatcherTestSupport

    /// `{"a":` digits `}` with merged tokens that span terminals.
    @Test func mergedTokensSpanTerminalsAndEndTokensNeedACompleteDocument() throws {
        let tokens: [String?] = ["{", "{\"", "a", "\":", "1", "12", "}", "\"}", "x", nil, "", "<end>"]
        let vocabulary = S.vocabulary(tokens, end: [11])
        let grammar = Grammar(
            rules: [.sequence([.literal("{\"a\":"), .repetition(.bytes(ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))), min: 1, max: nil), .literal("}")])],
            ruleNames: ["root"], root: RuleID(0))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: vocabulary))
        #expect(S.allowed(&matcher) == S.ids(["{", "{\""], in: tokens))
        do { let ok = matcher.accept(token: 11); #expect(!ok) }
        do { let ok = matcher.accept(token: 9); #expect(!ok) }
        do { let ok = matcher.accept(token: 10); #expect(!ok) }
        do { let ok = matcher.accept(token: 1); #expect(ok) }
        #expect(S.allowed(&matcher) == S.ids(["a"], in: tokens))
        do { let ok = matcher.accept(token: 2); #expect(ok) }
        #expect(S.allowed(&matcher) == S.ids(["\":"], in: tokens))
        do { let ok = matcher.accept(token: 3); #expect(ok) }
        #expect(S.allowed(&matcher) == S.ids(["1", "12"], in: tokens))
        do { let ok = matcher.accept(token: 5); #expect(ok) }
        #expect(S.allowed(&matcher) == S.ids(["1", "12", "}"], in: tokens))
        #expect(!matcher.isComplete)
        do { let ok = matcher.accept(token: 6); #expect(ok) }
        #expect(matcher.isComplete && !matcher.canContinue)
        #expect(S.allowed(&matcher) == [11])
        do { let ok = matcher.accept(token: 11); #expect(ok) }
        #expect(matcher.isFinished && !matcher.isComplete)
        #expect(S.allowed(&matcher).isEmpty)
    }

    /// "é" is two bytes (C3 A9); tokens may split it or merge it with what follows.
    @Test func multiByteCharactersSplitAcrossTokens() throws {
        let tokens: [[UInt8]?] = [[0xC3], [0xA9], [0xC3, 0xA9], [0xA9, 0x21], [0x21], [0xC3, 0xA8]]
        let vocabulary = TokenVocabulary(tokens: tokens, endTokens: [])
        let grammar = Grammar(rules: [.sequence([.literal("é"), .literal("!")])], ruleNames: ["root"], root: RuleID(0))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: vocabulary))
        #expect(S.allowed(&matcher) == [0, 2])
        do { let ok = matcher.accept(token: 0); #expect(ok) }
        #expect(S.allowed(&matcher) == [1, 3])
        do { let ok = matcher.accept(token: 0); #expect(!ok) }
        do { let ok = matcher.accept(token: 3); #expect(ok) }
        #expect(matcher.isComplete)
    }

    /// anyOf two objects that share the prefix `{"`: both parses stay live until a byte decides.
    @Test func nondeterministicChoicesKeepEveryParse() throws {
        let tokens: [String?] = ["{\"", "a", "b", "\":1}", "\":2}", "\":"]
        var builder = GrammarBuilder()
        let first = builder.add("first", .literal("{\"a\":1}"))
        let second = builder.add("second", .literal("{\"b\":2}"))
        let third = builder.add("third", .sequence([.literal("{\"a\":"), .literal("2}")]))
        let grammar = builder.build(root: .choice([.rule(first), .rule(second), .rule(third)]))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: S.vocabulary(tokens)))
        #expect(S.allowed(&matcher) == [0])
        do { let ok = matcher.accept(token: 0); #expect(ok) }
        #expect(S.allowed(&matcher) == [1, 2])
        var copy = matcher
        do { let ok = copy.accept(token: 2); #expect(ok) }
        #expect(S.allowed(&copy) == [4, 5])
        do { let ok = matcher.accept(token: 1); #expect(ok) }
        #expect(S.allowed(&matcher) == [3, 4, 5])
        do { let ok = matcher.accept(token: 4); #expect(ok) }
        #expect(matcher.isComplete)
    }

    /// Nested brackets through a recursive rule; tokens close several levels at once.
    @Test func recursionThroughRuleReferences() throws {
        let tokens: [String?] = ["[", "]", "[[", "]]", "[]", "]]]"]
        var builder = GrammarBuilder()
        let list = builder.declare("list")
        builder.define(list, .sequence([.literal("["), .optional(.rule(list)), .literal("]")]))
        let grammar = builder.build(root: .rule(list))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: S.vocabulary(tokens)))
        #expect(S.allowed(&matcher) == [0, 2, 4])
        do { let ok = matcher.accept(token: 2); #expect(ok) }
        do { let ok = matcher.accept(token: 0); #expect(ok) }
        #expect(S.allowed(&matcher) == [0, 1, 2, 3, 4, 5])
        do { let ok = matcher.accept(token: 3); #expect(ok) }
        #expect(S.allowed(&matcher) == [1])
        #expect(!matcher.isComplete)
        do { let ok = matcher.accept(token: 1); #expect(ok) }
        #expect(matcher.isComplete && !matcher.canContinue)
    }

    @Test func boundedRepetitionCountsBytes() throws {
        let tokens: [String?] = ["a", "aa", "aaa", "aaaa", "b", "ab", "aab"]
        let grammar = Grammar(rules: [.sequence([.repetition(.literal("a"), min: 2, max: 3), .literal("b")])], ruleNames: ["root"], root: RuleID(0))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: S.vocabulary(tokens)))
        #expect(S.allowed(&matcher) == [0, 1, 2, 6])
        do { let ok = matcher.accept(token: 0); #expect(ok) }
        #expect(S.allowed(&matcher) == [0, 1, 5, 6])
        do { let ok = matcher.accept(token: 1); #expect(ok) }
        #expect(S.allowed(&matcher) == [4])
    }

    @Test func largeBoundedRepetitionCompilesQuickly() throws {
        let tokens: [String?] = ["\"", "a", "aaaa", "a\""]
        let body = GrammarExpr.sequence([.literal("\""), .repetition(.bytes(ByteSet(UInt8(ascii: "a")...UInt8(ascii: "z"))), min: 0, max: 200), .literal("\"")])
        let grammar = Grammar(rules: [body], ruleNames: ["root"], root: RuleID(0))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: S.vocabulary(tokens)))
        do { let ok = matcher.accept(token: 0); #expect(ok) }
        for _ in 0..<49 { let ok = matcher.accept(token: 2); #expect(ok) }
        #expect(S.allowed(&matcher) == [0, 1, 2, 3])
        do { let ok = matcher.accept(token: 2); #expect(ok) }
        #expect(S.allowed(&matcher) == [0])
        do { let ok = matcher.accept(token: 0); #expect(ok) }
        #expect(matcher.isComplete)
    }

    /// Nullable rules, in sequence and in a loop of nullable items.
    @Test func nullableRules() throws {
        let tokens: [String?] = ["x", "y", "xy", "xxy", "xxx"]
        var builder = GrammarBuilder()
        let maybe = builder.add("maybe", .optional(.literal("x")))
        let loop = builder.add("loop", .repetition(.rule(maybe), min: 0, max: nil))
        let twice = builder.build(root: .sequence([.rule(maybe), .rule(maybe), .literal("y")]))
        var matcher = GrammarMatcher(try CompiledGrammar(twice, vocabulary: S.vocabulary(tokens)))
        #expect(S.allowed(&matcher) == [0, 1, 2, 3])
        let builder2 = builder
        let looped = builder2.build(root: .sequence([.rule(loop), .literal("y")]))
        var loopMatcher = GrammarMatcher(try CompiledGrammar(looped, vocabulary: S.vocabulary(tokens)))
        #expect(S.allowed(&loopMatcher) == [0, 1, 2, 3, 4])
        do { let ok = loopMatcher.accept(token: 4); #expect(ok) }
        do { let ok = loopMatcher.accept(token: 3); #expect(ok) }
        #expect(loopMatcher.isComplete)
    }

    @Test func leftRecursionAndUndefinedRulesAreRefused() {
        var builder = GrammarBuilder()
        let list = builder.declare("list")
        builder.define(list, .choice([.sequence([.rule(list), .literal("a")]), .literal("b")]))
        let leftRecursive = builder.build(root: .rule(list))
        let vocabulary = S.vocabulary(["a", "b"])
        #expect(throws: GrammarError.self) { try CompiledGrammar(leftRecursive, vocabulary: vocabulary) }
        var indirect = GrammarBuilder()
        let first = indirect.declare("first")
        let second = indirect.add("second", .sequence([.optional(.literal("x")), .rule(first)]))
        indirect.define(first, .sequence([.optional(.literal("y")), .rule(second), .literal("a")]))
        #expect(throws: GrammarError.self) { try CompiledGrammar(indirect.build(root: .rule(first)), vocabulary: vocabulary) }
        let undefined = Grammar(rules: [.rule(RuleID(7))], ruleNames: ["root"], root: RuleID(0))
        #expect(throws: GrammarError.self) { try CompiledGrammar(undefined, vocabulary: vocabulary) }
        let huge = Grammar(rules: [.repetition(.literal("abcdefgh"), min: 0, max: 1_000_000)], ruleNames: ["root"], root: RuleID(0))
        #expect(throws: GrammarError.self) { try CompiledGrammar(huge, vocabulary: vocabulary) }
    }

    /// The constraint starts mid-text: raw bytes are fed before any token.
    @Test func acceptRawBytes() throws {
        let grammar = Grammar(rules: [.literal("{\"name\": 1}")], ruleNames: ["root"], root: RuleID(0))
        var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: S.vocabulary(["1", "1}", "}"])))
        do { let ok = matcher.accept(bytes: Array("{\"nam!".utf8)); #expect(!ok) }
        do { let ok = matcher.accept(bytes: Array("{\"name\": ".utf8)); #expect(ok) }
        #expect(S.allowed(&matcher) == [0, 1])
        do { let ok = matcher.accept(bytes: Array("1}".utf8)); #expect(ok) }
        #expect(matcher.isComplete)
    }
}
