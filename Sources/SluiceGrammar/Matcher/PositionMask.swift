// The adaptive mask cache (XGrammar's idea). For a parse position p (rule r, state s), one walk
// of the token trie from a stack holding only p's frame sorts every token into:
//  - accepted: its bytes are consumed without ending r (calls into other rules included):
//    allowed whatever the frames below are;
//  - dependent: r can end after a prefix of it (a trie node); whether the rest is allowed
//    depends on the frames below, so GrammarMatcher checks those subtrees against the real stack;
//  - rejected: everything else.
// Inside a JSON string nearly all tokens are accepted and only those with a closing quote are
// dependent, so a step costs a bitset OR plus a walk of a few small subtrees.
// Ending r before the first byte is not a dependent: the matcher's closed stack set already
// holds the popped stack as a parse of its own.

struct PositionMask: Sendable {
    /// Bitset over token ids (maskWordCount words), or empty when `acceptedIds` is used instead.
    let acceptedWords: [UInt64]
    /// The accepted tokens when they are few (a literal's position accepts a handful): cheaper
    /// to OR in and to keep than a 6 KB bitset.
    let acceptedIds: [Int32]
    /// Trie nodes after whose prefix r may end.
    let dependents: [Int32]
    /// Given `completion` (rules with calls): the largest distance (CompletionTables) of the
    /// top part after an accepted token, frames below excluded; -1 when not computed or none.
    let maxTopDistance: Int

    static func compute(position: Int32, tables: ParseTables, trie: TokenTrie, wordCount: Int,
                        completion: CompletionTables? = nil) -> PositionMask {
        var automaton = StackSetAutomaton(tables: tables)
        var distances = StateDistances()
        var maxTopDistance = -1
        // Unwrapped once: the loop below is the hot part of a cache walk.
        let tracksDistance = completion != nil
        let completion = completion ?? CompletionTables.empty
        var accepted: [Int32] = []
        var dependents: [Int32] = []
        var stateAt = [Int32](repeating: 0, count: trie.maxDepth + 1)
        stateAt[0] = automaton.intern([[position]])
        trie.byte.withUnsafeBufferPointer { bytes in
            trie.depth.withUnsafeBufferPointer { depths in
                trie.subtreeEnd.withUnsafeBufferPointer { ends in
                    var node = 1
                    let count = bytes.count
                    while node < count {
                        let depth = Int(depths[node])
                        let value = automaton.move(stateAt[depth - 1], bytes[node])
                        if value & 1 != 0 { dependents.append(Int32(node)) }
                        let target = (value >> 1) - 1
                        guard target >= 0 else { node = Int(ends[node]); continue }
                        if tracksDistance, trie.tokenStart[node] != trie.tokenStart[node + 1] {
                            maxTopDistance = max(maxTopDistance, distances.distance(of: target, automaton, completion))
                        }
                        for index in Int(trie.tokenStart[node])..<Int(trie.tokenStart[node + 1]) {
                            accepted.append(trie.tokenIds[index])
                        }
                        stateAt[depth] = target
                        node += 1
                    }
                }
            }
        }
        if accepted.count * 32 < wordCount * 64 {
            return PositionMask(acceptedWords: [], acceptedIds: accepted, dependents: dependents, maxTopDistance: maxTopDistance)
        }
        var words = [UInt64](repeating: 0, count: wordCount)
        for id in accepted { words[Int(id) >> 6] |= 1 << UInt64(id & 63) }
        return PositionMask(acceptedWords: words, acceptedIds: [], dependents: dependents, maxTopDistance: maxTopDistance)
    }
}
