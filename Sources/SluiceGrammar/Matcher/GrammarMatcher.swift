// One sequence's position in a grammar: the closed set of live parse stacks (every parse the
// bytes so far allow; a choice whose alternatives share a prefix keeps all of them until the
// bytes tell them apart) and whether some parse has ended the root rule. A value type: stacks
// are copy-on-write arrays, so copying a matcher (forking a sequence) copies references.

public struct GrammarMatcher: Sendable {
    let grammar: CompiledGrammar
    /// The live parses (internal for CompletionDistance.swift).
    var state: StackSet
    /// An end token was accepted: nothing more is allowed.
    private var finished = false
    /// An upper bound of bytesToComplete after any token the last fillMask allowed (Int.max:
    /// unknown, no fillMask since the last accept). See needsCompletionCheck.
    var maxDistanceAfterNextToken = Int.max

    public init(_ grammar: CompiledGrammar) {
        self.grammar = grammar
        state = grammar.tables.closed([grammar.tables.rootStart])
    }

    /// The bytes consumed so far form a complete document (end tokens allowed now). False once
    /// an end token has been accepted.
    public var isComplete: Bool { !finished && state.ended }

    /// Some byte may still follow. isComplete && !canContinue: the output must end now.
    public var canContinue: Bool { !finished && !state.stacks.isEmpty }

    /// An end token has been accepted.
    public var isFinished: Bool { finished }

    /// Writes the allowed-token bitmask for the next token: bit (t % 64) of words[t / 64] set =
    /// token t allowed. words.count == vocabulary.maskWordCount. End tokens are set iff isComplete.
    public mutating func fillMask(_ words: UnsafeMutableBufferPointer<UInt64>) {
        let vocabulary = grammar.vocabulary
        precondition(words.count == vocabulary.maskWordCount, "mask has \(words.count) words, the vocabulary needs \(vocabulary.maskWordCount)")
        words.update(repeating: 0)
        maxDistanceAfterNextToken = 0
        guard !finished else { return }
        var dependentWalk: DependentWalk? = nil
        let completion = grammar.completion
        var maxAfter = 0
        for stack in state.stacks {
            let top = stack[stack.count - 1]
            let mask = grammar.mask(at: top)
            // The distance after a token that does not end the top rule: the frames below plus
            // the top part's bound (see CompletionDistance.swift).
            let topBound = completion.reachMax[Int(top)] >= 0 ? completion.reachMax[Int(top)] : mask.maxTopDistance
            if topBound >= 0 {
                maxAfter = max(maxAfter, CompletionTables.add(completion.distance(ofStack: stack.dropLast()), topBound))
            }
            if !mask.acceptedWords.isEmpty {
                mask.acceptedWords.withUnsafeBufferPointer { accepted in
                    for index in 0..<accepted.count { words[index] |= accepted[index] }
                }
            } else {
                for id in mask.acceptedIds { words[Int(id) >> 6] |= 1 << UInt64(id & 63) }
            }
            guard !mask.dependents.isEmpty else { continue }
            // The top rule ends somewhere inside these tokens: continue them from the frames
            // below, as they really are.
            let below = Array(stack.dropLast())
            let popped = below.isEmpty ? StackSet(stacks: [], ended: true) : grammar.tables.closed(below)
            guard !popped.isDead else { continue }
            if dependentWalk == nil { dependentWalk = DependentWalk(tables: grammar.tables, trie: vocabulary.trie, completion: completion) }
            for node in mask.dependents { dependentWalk!.walk(from: Int(node), after: popped, into: words) }
        }
        if let dependentWalk { maxAfter = max(maxAfter, dependentWalk.maxDistance) }
        maxDistanceAfterNextToken = maxAfter
        if state.ended { for id in vocabulary.endTokens { words[id >> 6] |= 1 << UInt64(id & 63) } }
    }

    /// Consumes a sampled token. Returns false (state unchanged) if the grammar does not allow
    /// it. An end token is accepted iff isComplete, and afterwards the matcher is finished.
    public mutating func accept(token: Int) -> Bool {
        let vocabulary = grammar.vocabulary
        guard !finished, vocabulary.tokens.indices.contains(token) else { return false }
        if vocabulary.endTokens.contains(token) {
            guard state.ended else { return false }
            finished = true
            state = StackSet(stacks: [], ended: false)
            maxDistanceAfterNextToken = Int.max
            return true
        }
        guard let bytes = vocabulary.tokens[token], !bytes.isEmpty else { return false }
        return accept(bytes: bytes)
    }

    /// Consumes raw bytes (used when the constraint starts mid-text, e.g. after a "<tool_call>"
    /// trigger). False (unchanged) if not allowed.
    public mutating func accept(bytes: some Collection<UInt8>) -> Bool {
        guard !finished else { return bytes.isEmpty }
        var current = state
        for byte in bytes {
            current = grammar.tables.advance(current.stacks, byte: byte)
            if current.isDead { return false }
        }
        state = current
        maxDistanceAfterNextToken = Int.max
        return true
    }
}

/// Walks the trie subtree under a dependent node with real stack sets (after the top rule
/// ended), marking every token whose remaining bytes the frames below accept. One per
/// fillMask: its StackSetAutomaton remembers moves across the subtrees of that step.
private struct DependentWalk {
    let trie: TokenTrie
    var automaton: StackSetAutomaton
    var stateAt: [Int32]
    let completion: CompletionTables
    var distances = StateDistances()
    /// The largest bytesToComplete after a token this walk marked.
    var maxDistance = 0

    init(tables: ParseTables, trie: TokenTrie, completion: CompletionTables) {
        self.trie = trie
        self.completion = completion
        automaton = StackSetAutomaton(tables: tables)
        stateAt = [Int32](repeating: 0, count: trie.maxDepth + 1)
    }

    mutating func walk(from start: Int, after popped: StackSet, into words: UnsafeMutableBufferPointer<UInt64>) {
        // The prefix up to `start` is consumed and its tokens are allowed (the parse is alive).
        mark(start, words)
        if trie.tokenStart[start] != trie.tokenStart[start + 1] { maxDistance = max(maxDistance, completion.distance(of: popped)) }
        guard !popped.stacks.isEmpty else { return }
        let startDepth = Int(trie.depth[start])
        stateAt[startDepth] = automaton.intern(popped.stacks)
        let end = Int(trie.subtreeEnd[start])
        var node = start + 1
        while node < end {
            let depth = Int(trie.depth[node])
            let value = automaton.move(stateAt[depth - 1], trie.byte[node])
            guard value != 0 else { node = Int(trie.subtreeEnd[node]); continue }
            mark(node, words)
            if trie.tokenStart[node] != trie.tokenStart[node + 1] {
                maxDistance = max(maxDistance, distances.distance(afterMove: value, automaton, completion))
            }
            let target = (value >> 1) - 1
            guard target >= 0 else { node = Int(trie.subtreeEnd[node]); continue }
            stateAt[depth] = target
            node += 1
        }
    }

    @inline(__always)
    private func mark(_ node: Int, _ words: UnsafeMutableBufferPointer<UInt64>) {
        for index in Int(trie.tokenStart[node])..<Int(trie.tokenStart[node + 1]) {
            let id = trie.tokenIds[index]
            words[Int(id) >> 6] |= 1 << UInt64(id & 63)
        }
    }
}
