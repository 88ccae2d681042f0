// Positions whose masks must be equal, so they share one cache entry. A bounded repetition
// (a string's maxLength) makes one automaton state per count, and without this every count
// would pay its own walk of the whole vocabulary (~1 ms each). But a token is at most
// `depth` bytes long, so two states that no string of up to depth + 1 bytes tells apart
// (defined or not, accepting or not) sort every token alike: all counts with at least
// `depth` characters left share one entry. Moore's partition refinement, stopped after
// depth + 1 rounds (or when stable). Only for call-free rules, whose walks never leave the
// rule's own automaton.

enum StateEquivalence {
    /// Rules this small keep one entry per state: refining them saves nothing worth the time.
    static let minimumStates = 64

    /// The cache slot of each state, and the number of slots. Slots are numbered by first
    /// appearance, so equal rule bodies get equal numberings (the shared caches rely on it).
    static func slots(_ automaton: RuleAutomaton, depth: Int) -> (slots: [Int32], count: Int) {
        let count = automaton.stateCount
        let callFree = automaton.calls.allSatisfy(\.isEmpty)
        guard callFree, count > minimumStates else { return ((0..<count).map { Int32($0) }, count) }
        let classes = automaton.classCount
        var block = automaton.accepting.map { Int32($0 ? 1 : 0) }
        var blocks = Set(block).count
        // A state's key in a round: its block and its targets' blocks. Keys are hashed to 64
        // bits without allocating; a hash match is confirmed against the block's first state
        // (a collision between different keys falls back to a new block being searched linearly).
        func sameKey(_ lhs: Int, _ rhs: Int, _ block: [Int32]) -> Bool {
            guard block[lhs] == block[rhs] else { return false }
            for byteClass in 0..<classes {
                let left = automaton.next[lhs * classes + byteClass]
                let right = automaton.next[rhs * classes + byteClass]
                if (left < 0 ? -1 : block[Int(left)]) != (right < 0 ? -1 : block[Int(right)]) { return false }
            }
            return true
        }
        for _ in 0...depth {
            var firstStates: [UInt64: Int32] = [:]  // hash → first state of the block with it
            firstStates.reserveCapacity(blocks * 2)
            var collided: [Int32] = []  // first states of blocks whose hash was already taken
            var refined = [Int32](repeating: 0, count: count)
            var next: Int32 = 0
            for state in 0..<count {
                var hash = UInt64(bitPattern: Int64(block[state])) &* 0x9E37_79B9_7F4A_7C15
                for byteClass in 0..<classes {
                    let target = automaton.next[state * classes + byteClass]
                    let value = UInt64(bitPattern: Int64(target < 0 ? -1 : block[Int(target)]))
                    hash = (hash ^ value) &* 0xBF58_476D_1CE4_E5B9
                    hash ^= hash >> 29
                }
                if let first = firstStates[hash], sameKey(Int(first), state, block) {
                    refined[state] = refined[Int(first)]
                } else if let match = collided.first(where: { sameKey(Int($0), state, block) }) {
                    refined[state] = refined[Int(match)]
                } else {
                    if firstStates[hash] == nil { firstStates[hash] = Int32(state) } else { collided.append(Int32(state)) }
                    refined[state] = next
                    next += 1
                }
            }
            block = refined
            // Refinement only splits blocks (the old block is part of the key): no new block
            // means no later round splits either.
            if Int(next) == blocks { break }
            blocks = Int(next)
        }
        return (block, blocks)
    }
}
