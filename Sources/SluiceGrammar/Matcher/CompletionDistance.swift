// Budget-aware decoding: how far the document is from being complete, and a mask restriction
// that keeps it completable within the tokens left.
//
// Distances are in bytes. Per parse position p, `distance[p]` is the length of the shortest
// byte string that ends p's rule from p, a call edge costing the called rule's shortest length
// (the distance of its start). Computed once per grammar by Knuth's generalisation of Dijkstra
// (the equations are min-of-sums with non-negative costs, so a position is final when popped
// from the queue). A parse stack [f0 … fk] needs sum(distance[fi]) bytes (the frames below the
// top hold the positions to continue in), a stack set the minimum over its stacks, 0 once some
// parse has ended the root. This is exact for the grammar (independent of the vocabulary).
//
// Guarantee. A sequence with a budget of B tokens (B >= bytesToComplete at the start) that
// calls, at every step with R tokens left (R = B - tokens sampled so far), fillMask, then
// restrictToCompletion(within: R) whenever needsCompletionCheck(remainingTokens: R), and
// samples within the mask, has bytesToComplete <= R after every token, so after B tokens at
// the latest its document is complete (if an end token was not sampled before), provided
//  - the vocabulary has a non-end single-byte token for every byte that starts a shortest
//    completion on the way: then that token lowers the distance by exactly one, so the mask
//    always keeps a token within the bound (byte-level BPE vocabularies have every byte that
//    JSON text needs: the default model's has 235 of the 256, all printable ASCII, tab,
//    newline and UTF-8 continuation bytes among them);
//  - the grammar's ambiguity stays within ParseTables.maxStacks live parses (no JSON Schema
//    grammar comes near it; past it, dropped parses may hide a shorter completion).
// The document then matches the grammar, so it validates as far as the grammar encodes the
// schema. If B < bytesToComplete at the start, the restriction keeps the tokens that get
// closest, and the output ends where the budget does.
//
// Knowing when to restrict must be cheap, because one token can raise the distance (`[{"`
// enters an object whose required properties must all be written). fillMask computes an upper
// bound of the distance after any token it allows, at almost no cost:
//  - tokens consumed without ending the top rule: for a rule with calls, the largest distance of
//    the top part after any accepted token is recorded in the position's cached mask (the walk
//    that fills it knows every state it reaches); for a call-free rule (whose cache entries may
//    be shared between states, see StateEquivalence), the largest distance of any state
//    reachable from the position in its automaton (`reachMax`, precomputed);
//  - tokens in which the top rule ends: fillMask already walks those subtrees against the real
//    stacks, and now reads the exact distance of each token it marks.

struct CompletionTables: Sendable {
    /// Per position: bytes to end its rule from there; Int.max when it cannot end.
    let distance: [Int]
    /// Per position of a call-free rule: the largest `distance` of a position reachable from it
    /// (itself included). -1 for positions of rules with calls (their masks carry the bound).
    let reachMax: [Int]

    static let unreachable = Int.max
    static let empty = CompletionTables(distance: [], reachMax: [])

    private init(distance: [Int], reachMax: [Int]) {
        self.distance = distance
        self.reachMax = reachMax
    }

    init(tables: ParseTables, callFreeRule: [Bool]) {
        distance = Self.distances(tables)
        reachMax = Self.reachMaxima(tables, distance: distance, callFreeRule: callFreeRule)
    }

    @inline(__always)
    static func add(_ a: Int, _ b: Int) -> Int { a == unreachable || b == unreachable ? unreachable : a + b }

    /// The bytes a stack needs (saturating at Int.max).
    @inline(__always)
    func distance<S: Sequence<Int32>>(ofStack stack: S) -> Int {
        var total = 0
        for position in stack {
            let value = distance[Int(position)]
            if value == Self.unreachable { return Self.unreachable }
            total += value
        }
        return total
    }

    func distance(of set: StackSet) -> Int {
        if set.ended { return 0 }
        var best = Self.unreachable
        for stack in set.stacks { best = min(best, distance(ofStack: stack)) }
        return best
    }

    private static func rowEnd(_ tables: ParseTables, _ position: Int) -> Int {
        position + 1 < tables.positionCount ? Int(tables.rowStart[position + 1]) : tables.next.count
    }

    private static func distances(_ tables: ParseTables) -> [Int] {
        let count = tables.positionCount
        // Byte predecessors (CSR) and call sites by return position and by callee start.
        var predecessorCount = [Int32](repeating: 0, count: count + 1)
        for position in 0..<count {
            var previous: Int32 = -1
            for index in Int(tables.rowStart[position])..<rowEnd(tables, position) {
                let target = tables.next[index]
                if target >= 0 && target != previous { predecessorCount[Int(target) + 1] += 1 }
                previous = target
            }
        }
        for index in 0..<count { predecessorCount[index + 1] += predecessorCount[index] }
        var fill = predecessorCount
        var predecessors = [Int32](repeating: 0, count: Int(predecessorCount[count]))
        for position in 0..<count {
            var previous: Int32 = -1
            for index in Int(tables.rowStart[position])..<rowEnd(tables, position) {
                let target = tables.next[index]
                if target >= 0 && target != previous {
                    predecessors[Int(fill[Int(target)])] = Int32(position)
                    fill[Int(target)] += 1
                }
                previous = target
            }
        }
        var callsByReturn: [Int32: [(site: Int32, start: Int32)]] = [:]
        var callsByStart: [Int32: [(site: Int32, returnTo: Int32)]] = [:]
        for position in 0..<count {
            for call in tables.calls[position] {
                callsByReturn[call.returnTo, default: []].append((Int32(position), call.start))
                callsByStart[call.start, default: []].append((Int32(position), call.returnTo))
            }
        }
        var distance = [Int](repeating: unreachable, count: count)
        var final = [Bool](repeating: false, count: count)
        var heap = MinHeap()
        for position in 0..<count where tables.has(position, ParseTables.Flags.accepting) {
            distance[position] = 0
            heap.push(0, Int32(position))
        }
        func relax(_ position: Int32, _ value: Int, _ distance: inout [Int], _ heap: inout MinHeap) {
            if value < distance[Int(position)] {
                distance[Int(position)] = value
                heap.push(value, position)
            }
        }
        while let (value, position) = heap.pop() {
            let index = Int(position)
            guard !final[index], value == distance[index] else { continue }
            final[index] = true
            for slot in Int(predecessorCount[index])..<Int(predecessorCount[index + 1]) {
                relax(predecessors[slot], value + 1, &distance, &heap)
            }
            // `position` as a return position: the call costs the callee's shortest length.
            if let sites = callsByReturn[position] {
                for (site, start) in sites where final[Int(start)] {
                    relax(site, value + distance[Int(start)], &distance, &heap)
                }
            }
            // `position` as a callee start: its distance is the rule's shortest length.
            if let sites = callsByStart[position] {
                for (site, returnTo) in sites where final[Int(returnTo)] {
                    relax(site, value + distance[Int(returnTo)], &distance, &heap)
                }
            }
        }
        return distance
    }

    private static func reachMaxima(_ tables: ParseTables, distance: [Int], callFreeRule: [Bool]) -> [Int] {
        let count = tables.positionCount
        var reach = [Int](repeating: -1, count: count)
        var start = 0
        while start < count {
            let rule = tables.ruleOf[start]
            var end = start
            while end < count && tables.ruleOf[end] == rule { end += 1 }
            defer { start = end }
            guard callFreeRule[Int(rule)] else { continue }
            for position in start..<end { reach[position] = distance[position] }
            // Successors mostly have higher numbers (breadth-first subset construction): passes
            // from the back converge in a few rounds; past the cap, give up to "unbounded".
            var converged = false
            for _ in 0..<64 {
                var changed = false
                for position in stride(from: end - 1, through: start, by: -1) {
                    var value = reach[position]
                    for index in Int(tables.rowStart[position])..<rowEnd(tables, position) {
                        let target = tables.next[index]
                        if target >= 0 { value = max(value, reach[Int(target)]) }
                    }
                    if value != reach[position] { reach[position] = value; changed = true }
                }
                if !changed { converged = true; break }
            }
            if !converged { for position in start..<end { reach[position] = unreachable } }
        }
        return reach
    }
}

/// A binary min-heap of (distance, position).
private struct MinHeap {
    private var items: [(Int, Int32)] = []

    mutating func push(_ value: Int, _ position: Int32) {
        items.append((value, position))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].0 < items[parent].0 else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Int, Int32)? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = parent * 2 + 1
                guard left < items.count else { break }
                var smallest = left
                if left + 1 < items.count && items[left + 1].0 < items[left].0 { smallest = left + 1 }
                guard items[smallest].0 < items[parent].0 else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return first
    }
}

/// Distances of StackSetAutomaton states, memoized per interned state.
struct StateDistances {
    private var known: [Int] = []

    @inline(__always)
    mutating func distance(of state: Int32, _ automaton: StackSetAutomaton, _ completion: CompletionTables) -> Int {
        if state >= StackSetAutomaton.simpleBase { return completion.distance[Int(state - StackSetAutomaton.simpleBase)] }
        let index = Int(state)
        if index < known.count, known[index] >= 0 { return known[index] }
        if index >= known.count { known.append(contentsOf: repeatElement(-1, count: index + 1 - known.count)) }
        var best = CompletionTables.unreachable
        for stack in automaton.stacks(of: state) { best = min(best, completion.distance(ofStack: stack)) }
        known[index] = best
        return best
    }

    /// The distance after a move's packed result (see StackSetAutomaton): 0 when some parse ended.
    @inline(__always)
    mutating func distance(afterMove value: Int32, _ automaton: StackSetAutomaton, _ completion: CompletionTables) -> Int {
        if value & 1 != 0 { return 0 }
        let target = (value >> 1) - 1
        return target < 0 ? CompletionTables.unreachable : distance(of: target, automaton, completion)
    }
}

extension GrammarMatcher {
    /// Bytes of the shortest continuation that completes the document from here: 0 when
    /// complete (or finished), Int.max when no completion exists. O(stack depth × live parses).
    public var bytesToComplete: Int {
        if isFinished || state.ended { return 0 }
        let completion = grammar.completion
        var best = CompletionTables.unreachable
        for stack in state.stacks { best = min(best, completion.distance(ofStack: stack)) }
        return best
    }

    /// Whether some token the last fillMask allowed may leave more than `remainingTokens - 1`
    /// bytes to complete (then restrictToCompletion is needed this step). Exact in the safe
    /// direction: false only when no allowed token can break the budget, from an upper bound
    /// fillMask computes at negligible cost. True when fillMask was not called since the last
    /// accept. `remainingTokens`: the tokens still allowed, this one included.
    public func needsCompletionCheck(remainingTokens: Int) -> Bool {
        guard !isFinished else { return false }
        return maxDistanceAfterNextToken > remainingTokens - 1
    }

    /// Narrows a mask filled by fillMask so that after any token left the document can still be
    /// completed within `remainingTokens - 1` more tokens counting one byte per token
    /// (bytesToComplete ≤ remainingTokens - 1). End tokens stay (they are set only when
    /// complete). Never empties a non-empty mask: if no token meets the bound, keeps those with
    /// the smallest resulting distance (end tokens count as 0). Returns true if it removed any
    /// token. Costs one walk of the token trie against the live parses (~ a position mask).
    public mutating func restrictToCompletion(within remainingTokens: Int, _ words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        let vocabulary = grammar.vocabulary
        precondition(words.count == vocabulary.maskWordCount, "mask has \(words.count) words, the vocabulary needs \(vocabulary.maskWordCount)")
        guard !isFinished, !state.stacks.isEmpty else { return false }
        let bound = remainingTokens - 1
        let completion = grammar.completion
        let trie = vocabulary.trie
        var automaton = StackSetAutomaton(tables: grammar.tables)
        var distances = StateDistances()
        var found: [(token: Int32, distance: Int)] = []
        var stateAt = [Int32](repeating: 0, count: trie.maxDepth + 1)
        stateAt[0] = automaton.intern(state.stacks)
        var node = 1
        let count = trie.nodeCount
        while node < count {
            let depth = Int(trie.depth[node])
            let value = automaton.move(stateAt[depth - 1], trie.byte[node])
            guard value != 0 else { node = Int(trie.subtreeEnd[node]); continue }
            var distance = -1
            for index in Int(trie.tokenStart[node])..<Int(trie.tokenStart[node + 1]) {
                let id = trie.tokenIds[index]
                guard words[Int(id) >> 6] & (1 << UInt64(id & 63)) != 0 else { continue }
                if distance < 0 { distance = distances.distance(afterMove: value, automaton, completion) }
                found.append((id, distance))
            }
            let target = (value >> 1) - 1
            guard target >= 0 else { node = Int(trie.subtreeEnd[node]); continue }
            stateAt[depth] = target
            node += 1
        }
        let endAllowed = vocabulary.endTokens.contains { words[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 }
        var smallest = endAllowed ? 0 : CompletionTables.unreachable
        for entry in found { smallest = min(smallest, entry.distance) }
        guard !found.isEmpty || endAllowed else { return false }
        let threshold = smallest <= bound ? bound : smallest
        var narrowed = [UInt64](repeating: 0, count: words.count)
        for entry in found where entry.distance <= threshold {
            narrowed[Int(entry.token) >> 6] |= 1 << UInt64(entry.token & 63)
        }
        if endAllowed { for id in vocabulary.endTokens { narrowed[id >> 6] |= 1 << UInt64(id & 63) } }
        var removed = false
        for index in 0..<words.count where words[index] != narrowed[index] {
            removed = true
            words[index] = narrowed[index]
        }
        if removed { maxDistanceAfterNextToken = min(maxDistanceAfterNextToken, max(threshold, 0)) }
        return removed
    }
}
