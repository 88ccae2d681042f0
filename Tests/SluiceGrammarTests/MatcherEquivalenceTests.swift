import Testing
@testable import SluiceGrammar

/// Counts of a bounded repetition that no token can tell apart share one mask entry
/// (StateEquivalence); the masks stay exactly what the reference recognizer says.
@Suite struct MatcherEquivalenceTests {
    @Test func boundedRepetitionCountsShareEntriesAndMasksStayExact() throws {
        let character = GrammarExpr.choice([.bytes(ByteSet(Array("ab".utf8))), .literal("cc")])
        let body = GrammarExpr.sequence([.literal("\""), .repetition(character, min: 2, max: 90), .literal("\"")])
        let grammar = Grammar(rules: [body], ruleNames: ["root"], root: RuleID(0))
        let automaton = try RuleAutomaton.compile(body, ruleCount: 1, maxStates: 10_000)
        let (_, slots) = StateEquivalence.slots(automaton, depth: 4)
        #expect(automaton.stateCount > StateEquivalence.minimumStates)
        #expect(slots < automaton.stateCount / 2)

        var random = SplitMix64(seed: 11)
        let alphabet = Array("abc\"".utf8)
        var tokens: [[UInt8]?] = [nil]
        for _ in 0..<60 { tokens.append((0..<Int(random.next() % 4) + 1).map { _ in alphabet[Int(random.next() % 4)] }) }
        tokens += [Array("\"".utf8), Array("aaaa".utf8), Array("cc".utf8)]
        let vocabulary = TokenVocabulary(tokens: tokens, endTokens: [0])
        let reference = MatcherReferenceRecognizer(grammar)
        for walk in 0..<4 {
            var matcher = GrammarMatcher(try CompiledGrammar(grammar, vocabulary: vocabulary))
            var history: [UInt8] = []
            for _ in 0..<60 {
                let allowed = MatcherTestSupport.allowed(&matcher)
                var expected = Set<Int>()
                if reference.isComplete(history) { expected.insert(0) }
                for id in 1..<tokens.count where reference.isPrefix(history + tokens[id]!) { expected.insert(id) }
                #expect(allowed == expected, "walk \(walk) after \(String(decoding: history, as: UTF8.self))")
                // Prefer long tokens without a quote, to reach the counts near the bound.
                let choices = allowed.sorted().filter { $0 != 0 && !tokens[$0]!.contains(UInt8(ascii: "\"")) }
                guard let token = (choices.isEmpty ? allowed.sorted() : choices).randomElement(using: &random) else { break }
                let ok = matcher.accept(token: token)
                #expect(ok)
                if token == 0 { break }
                history += tokens[token]!
            }
        }
    }
}
