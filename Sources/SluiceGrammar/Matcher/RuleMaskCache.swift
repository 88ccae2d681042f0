import Synchronization

// The position masks of one rule, filled lazily by whichever sampling thread first needs one.
// An entry's walk runs outside the lock (two threads may both compute an entry; the results
// are equal and the second store is harmless), so a slow first walk never blocks other rows.
// Only the state partition (StateEquivalence) is computed under the lock, once per rule.

final class RuleMaskCache: Sendable {
    private struct State {
        /// The entry of each automaton state (see StateEquivalence); nil until first needed,
        /// so compiling a grammar never pays for refining a long bounded repetition.
        var slots: [Int32]?
        var entries: [PositionMask?] = []
    }
    private let state = Mutex(State())
    private let automaton: RuleAutomaton
    private let tokenLength: Int

    init(_ automaton: RuleAutomaton, tokenLength: Int) {
        self.automaton = automaton
        self.tokenLength = tokenLength
    }

    func mask(state index: Int, compute: () -> PositionMask) -> PositionMask {
        let (slot, known) = state.withLock { state -> (Int, PositionMask?) in
            if state.slots == nil {
                let (slots, count) = StateEquivalence.slots(automaton, depth: tokenLength)
                state.slots = slots
                state.entries = Array(repeating: nil, count: count)
            }
            let slot = Int(state.slots![index])
            return (slot, state.entries[slot])
        }
        if let known { return known }
        let mask = compute()
        state.withLock { $0.entries[slot] = mask }
        return mask
    }
}

/// Mask caches shared by every grammar compiled for one vocabulary, for rules that call no
/// other rule: their masks depend only on their body (and the vocabulary), so a string,
/// number or whitespace rule computed for one schema serves the next schema at no cost.
/// Keyed by the body itself (the automaton built from equal bodies is the same, state for
/// state). Bounded: past `limit` bodies, new grammars keep private caches for new bodies.
final class SharedRuleCaches: Sendable {
    static let limit = 512
    private let caches = Mutex<[GrammarExpr: RuleMaskCache]>([:])

    func cache(for body: GrammarExpr, make: () -> RuleMaskCache) -> RuleMaskCache {
        if let known = caches.withLock({ $0[body] }) { return known }
        // Made outside the lock (it refines the automaton's states); if another grammar
        // registered the same body meanwhile, that one wins and this one is dropped.
        let cache = make()
        return caches.withLock { caches in
            if let known = caches[body] { return known }
            if caches.count < Self.limit { caches[body] = cache }
            return cache
        }
    }
}
