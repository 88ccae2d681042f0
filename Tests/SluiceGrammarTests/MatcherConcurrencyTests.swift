import Dispatch
import Synchronization
import Testing
@testable import SluiceGrammar

/// One CompiledGrammar shared by matchers on several threads at once (sampling runs rows in
/// parallel): the lazily filled caches give every thread the masks a single thread gets.
@Suite struct MatcherConcurrencyTests {
    @Test func sharedGrammarGivesEveryThreadTheSameMasks() throws {
        var random = SplitMix64(seed: 99)
        for _ in 0..<10 {
            let grammar = RandomGrammar.make(&random)
            let (vocabulary, _) = RandomGrammar.vocabulary(&random)
            let expected = Self.walk(try CompiledGrammar(grammar, vocabulary: vocabulary))
            let shared = try CompiledGrammar(grammar, vocabulary: vocabulary)
            let results = Mutex<[[Set<Int>]]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let masks = Self.walk(shared)
                results.withLock { $0.append(masks) }
            }
            results.withLock { all in
                #expect(all.count == 8)
                for masks in all { #expect(masks == expected) }
            }
        }
    }

    /// The masks along the walk that always takes the smallest allowed token.
    private static func walk(_ grammar: CompiledGrammar) -> [Set<Int>] {
        var matcher = GrammarMatcher(grammar)
        var masks: [Set<Int>] = []
        for _ in 0..<10 {
            let allowed = MatcherTestSupport.allowed(&matcher)
            masks.append(allowed)
            guard let token = allowed.min(), matcher.accept(token: token), !matcher.isFinished else { break }
        }
        return masks
    }
}
