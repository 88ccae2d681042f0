import Synchronization

// The position masks of one rule, filled lazily by whichever sampling thread first needs one.
// Computing happens outside the lock (two threads may both compute an entry; the results are
// equal and the second store is harmless), so a slow first walk never blocks other rows.

final class RuleMaskCache: Sendable {
    private let entries: Mutex<[PositionMask?]>

    init(stateCount: Int) { entries = Mutex(Array(repeating: nil, count: stateCount)) }

    func mask(state: Int, compute: () -> PositionMask) -> PositionMask {
        if let known = entries.withLock({ $0[state] }) { return known }
        let mask = compute()
        entries.withLock { $0[state] = mask }
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

    func cache(for body: GrammarExpr, stateCount: Int) -> RuleMaskCache {
        caches.withLock { caches in
            if let known = caches[body] { return known }
            let cache = RuleMaskCache(stateCount: stateCount)
            if caches.count < Self.limit { caches[body] = cache }
            return cache
        }
    }
}
