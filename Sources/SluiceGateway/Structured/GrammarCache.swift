import Synchronization
import SluiceAPI
import SluiceEngine
import SluiceGrammar

/// A model's side of constrained decoding: its vocabulary as the grammar engine sees it (built
/// once) and the grammars compiled for it, kept by request shape so a schema sent again (every
/// request of an app sends the same one) costs neither a compile nor a cold mask cache.
public final class GrammarCache: Sendable {
    public let vocabulary: TokenVocabulary
    private let compiled = Mutex<(entries: [String: CompiledGrammar], order: [String])>(([:], []))
    /// Distinct grammars kept (least recently compiled dropped first).
    let capacity: Int

    public init(tokenizer: Tokenizer, capacity: Int = 64) {
        vocabulary = Self.vocabulary(of: tokenizer)
        self.capacity = capacity
    }

    /// Control tokens (`<|im_start|>`) never appear inside constrained text; the end-of-generation
    /// tokens end it once the grammar is complete.
    public static func vocabulary(of tokenizer: Tokenizer) -> TokenVocabulary {
        let tokens: [[UInt8]?] = (0..<tokenizer.vocabularySize).map { id in
            tokenizer.isControl(id) ? nil : tokenizer.bytes(of: id)
        }
        return TokenVocabulary(tokens: tokens, endTokens: tokenizer.endOfGenerationIds)
    }

    /// The compiled grammar of a plan, from the cache or compiled now.
    func constraint(for plan: ConstraintPlan) throws(APIError) -> OutputConstraint {
        if let hit = compiled.withLock({ $0.entries[plan.cacheKey] }) {
            return OutputConstraint(grammar: hit, trigger: plan.trigger)
        }
        let grammar: CompiledGrammar
        do {
            grammar = try CompiledGrammar(plan.grammar, vocabulary: vocabulary)
        } catch {
            throw APIError.invalidRequest("The requested output format cannot be enforced: \(error)", param: plan.param)
        }
        compiled.withLock { state in
            if state.entries.updateValue(grammar, forKey: plan.cacheKey) == nil {
                state.order.append(plan.cacheKey)
                if state.order.count > capacity { state.entries[state.order.removeFirst()] = nil }
            }
        }
        return OutputConstraint(grammar: grammar, trigger: plan.trigger)
    }
}
