import Testing
@testable import SluiceGrammar

/// For random small grammars and vocabularies over a three-letter alphabet, the matcher's mask
/// equals "the token's bytes can be consumed" as the slow MatcherReferenceRecognizer decides it, along
/// random walks; end tokens iff the reference says the document is complete.
@Suite struct MatcherPropertyTests {
    @Test func maskEqualsBruteForceRecognition() throws {
        var random = SplitMix64(seed: 0x5EED)
        var checkedMasks = 0
        for trial in 0..<150 {
            let grammar = RandomGrammar.make(&random)
            let (vocabulary, tokens) = RandomGrammar.vocabulary(&random)
            let reference = MatcherReferenceRecognizer(grammar)
            let compiled = try CompiledGrammar(grammar, vocabulary: vocabulary)
            var matcher = GrammarMatcher(compiled)
            var history: [UInt8] = []
            for _ in 0..<12 {
                let allowed = MatcherTestSupport.allowed(&matcher)
                let complete = reference.isComplete(history)
                #expect(matcher.isComplete == complete, "trial \(trial) history \(history)")
                var expected = Set<Int>()
                for (id, bytes) in tokens.enumerated() {
                    if id == RandomGrammar.endToken {
                        if complete { expected.insert(id) }
                    } else if let bytes, !bytes.isEmpty, reference.isPrefix(history + bytes) {
                        expected.insert(id)
                    }
                }
                #expect(allowed == expected, "trial \(trial) history \(String(decoding: history, as: UTF8.self)) grammar \(grammar)")
                checkedMasks += 1
                guard allowed == expected, let token = allowed.sorted().randomElement(using: &random) else { break }
                // A refused token leaves the state unchanged.
                if let refused = (0..<tokens.count).first(where: { !allowed.contains($0) }) {
                    let before = matcher.isComplete
                    let ok = matcher.accept(token: refused)
                    #expect(!ok && matcher.isComplete == before)
                }
                let ok = matcher.accept(token: token)
                #expect(ok)
                if token == RandomGrammar.endToken { break }
                history += tokens[token]!
            }
        }
        #expect(checkedMasks > 500)
    }
}

/// Random grammars without left recursion: rule i refers to rules after it freely, and to
/// itself or rules before it only after a literal byte.
enum RandomGrammar {
    static let alphabet: [UInt8] = Array("abc".utf8)
    static let endToken = 0

    static func make(_ random: inout SplitMix64) -> Grammar {
        let ruleCount = Int(random.next() % 4) + 1
        var rules: [GrammarExpr] = []
        for index in 0..<ruleCount {
            rules.append(expr(&random, rule: index, ruleCount: ruleCount, depth: 0))
        }
        return Grammar(rules: rules, ruleNames: (0..<ruleCount).map { "r\($0)" }, root: RuleID(0))
    }

    private static func literal(_ random: inout SplitMix64) -> [UInt8] {
        (0..<Int(random.next() % 3) + 1).map { _ in alphabet[Int(random.next() % 3)] }
    }

    private static func expr(_ random: inout SplitMix64, rule: Int, ruleCount: Int, depth: Int) -> GrammarExpr {
        let kind = depth >= 3 ? random.next() % 3 : random.next() % 8
        switch kind {
        case 0: return .literal(literal(&random))
        case 1:
            var set = ByteSet()
            repeat { set.insert(alphabet[Int(random.next() % 3)]) } while random.next() % 2 == 0
            return .bytes(set)
        case 2:
            let target = Int(random.next() % UInt64(ruleCount))
            if target > rule { return .rule(RuleID(target)) }
            return .sequence([.literal(literal(&random)), .rule(RuleID(target))])
        case 3, 4:
            return .sequence((0..<Int(random.next() % 3) + 1).map { _ in expr(&random, rule: rule, ruleCount: ruleCount, depth: depth + 1) })
        case 5:
            return .choice((0..<Int(random.next() % 3) + 1).map { _ in expr(&random, rule: rule, ruleCount: ruleCount, depth: depth + 1) })
        case 6:
            let min = Int(random.next() % 3)
            let max: Int? = random.next() % 2 == 0 ? nil : min + Int(random.next() % 3)
            return .repetition(expr(&random, rule: rule, ruleCount: ruleCount, depth: depth + 1), min: min, max: max)
        default:
            return .optional(expr(&random, rule: rule, ruleCount: ruleCount, depth: depth + 1))
        }
    }

    /// Token 0 is the end token, 1 a control token, 2 empty; then random byte strings (some
    /// duplicated) of length 1...4.
    static func vocabulary(_ random: inout SplitMix64) -> (TokenVocabulary, [[UInt8]?]) {
        var tokens: [[UInt8]?] = [nil, nil, []]
        for _ in 0..<Int(random.next() % 30) + 10 {
            tokens.append((0..<Int(random.next() % 4) + 1).map { _ in alphabet[Int(random.next() % 3)] })
        }
        tokens.append(tokens[3])
        return (TokenVocabulary(tokens: tokens, endTokens: [endToken]), tokens)
    }
}
