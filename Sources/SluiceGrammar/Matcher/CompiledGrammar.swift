// A grammar prepared for one vocabulary: every rule reachable from the root compiled to an
// automaton (RuleAutomaton), numbered into one ParseTables, checked for left recursion (the one
// shape the stack-set matcher cannot bound), with a lazily filled mask cache per rule. Shared
// by every sequence decoding with it; immutable apart from the caches, which lock.

public final class CompiledGrammar: Sendable {
    let vocabulary: TokenVocabulary
    let tables: ParseTables
    /// Per rule index (nil: unreachable from the root).
    let ruleCaches: [RuleMaskCache?]
    /// Distances to completion per position (see CompletionDistance.swift).
    let completion: CompletionTables

    /// The largest automaton one rule may have (bounded repetitions are expanded: a JSON string
    /// of any UTF-8 character takes ~22 states per count: maxLength up to ~5,000 fits, compiling
    /// in ~8 ms at 200, ~45 ms at 1,000, ~250 ms at 5,000; larger is a GrammarError).
    static let maxStatesPerRule = 120_000
    static let maxPositions = 250_000

    public init(_ grammar: Grammar, vocabulary: TokenVocabulary) throws(GrammarError) {
        let ruleCount = grammar.rules.count
        guard grammar.root.index >= 0 && grammar.root.index < ruleCount else {
            throw GrammarError("the root rule \(grammar.root.index) is not defined")
        }
        // Reachable rules, in discovery order, compiled once each.
        var automata: [Int: RuleAutomaton] = [:]
        var order: [Int] = []
        var work = [grammar.root.index]
        var total = 0
        while let rule = work.popLast() {
            guard automata[rule] == nil else { continue }
            let automaton = try RuleAutomaton.compile(grammar.rules[rule], ruleCount: ruleCount, maxStates: Self.maxStatesPerRule)
            total += automaton.stateCount
            guard total <= Self.maxPositions else { throw GrammarError("the grammar exceeds \(Self.maxPositions) automaton states") }
            automata[rule] = automaton
            order.append(rule)
            for calls in automaton.calls { for call in calls where automata[Int(call.callee)] == nil { work.append(Int(call.callee)) } }
        }
        try LeftRecursionCheck.check(automata: automata, names: grammar.ruleNames)

        var base = [Int32](repeating: -1, count: ruleCount)
        var offset: Int32 = 0
        for rule in order {
            base[rule] = offset
            offset += Int32(automata[rule]!.stateCount)
        }
        var next: [Int32] = []
        var rowStart: [Int32] = []
        var classTable: [Int32] = []
        var classOf: [UInt8] = []
        var flags: [UInt8] = []
        var calls: [[(start: Int32, returnTo: Int32)]] = []
        var ruleOf: [Int32] = []
        var localState: [Int32] = []
        var caches = [RuleMaskCache?](repeating: nil, count: ruleCount)
        var callFreeRule = [Bool](repeating: false, count: ruleCount)
        for rule in order {
            let automaton = automata[rule]!
            let ruleBase = base[rule]
            let tableOffset = Int32(classOf.count)
            classOf.append(contentsOf: automaton.classOf)
            for state in 0..<automaton.stateCount {
                let row = automaton.next[state * automaton.classCount..<(state + 1) * automaton.classCount]
                rowStart.append(Int32(next.count))
                next.append(contentsOf: row.lazy.map { $0 < 0 ? -1 : $0 + ruleBase })
                classTable.append(tableOffset)
                var flag: UInt8 = 0
                if automaton.accepting[state] { flag |= ParseTables.Flags.accepting }
                if row.contains(where: { $0 >= 0 }) { flag |= ParseTables.Flags.hasBytes }
                if !automaton.calls[state].isEmpty { flag |= ParseTables.Flags.hasCalls }
                flags.append(flag)
                calls.append(automaton.calls[state].map { (base[Int($0.callee)], $0.returnState + ruleBase) })
                ruleOf.append(Int32(rule))
                localState.append(Int32(state))
            }
            let callFree = automaton.calls.allSatisfy(\.isEmpty)
            callFreeRule[rule] = callFree
            let tokenLength = vocabulary.trie.maxDepth
            caches[rule] = callFree
                ? vocabulary.sharedCaches.cache(for: grammar.rules[rule]) { RuleMaskCache(automaton, tokenLength: tokenLength) }
                : RuleMaskCache(automaton, tokenLength: tokenLength)
        }
        self.vocabulary = vocabulary
        self.tables = ParseTables(
            next: next, rowStart: rowStart, classTable: classTable, classOf: classOf, flags: flags, calls: calls,
            ruleOf: ruleOf, localState: localState, rootStart: base[grammar.root.index])
        self.ruleCaches = caches
        self.completion = CompletionTables(tables: tables, callFreeRule: callFreeRule)
    }

    /// The cached mask of a position (computed on first use).
    func mask(at position: Int32) -> PositionMask {
        let index = Int(position)
        let cache = ruleCaches[Int(tables.ruleOf[index])]!
        return cache.mask(state: Int(tables.localState[index])) {
            // Rules with calls have one entry per state: their masks may carry the distance
            // bound (call-free rules use CompletionTables.reachMax instead).
            PositionMask.compute(position: position, tables: tables, trie: vocabulary.trie, wordCount: vocabulary.maskWordCount,
                                 completion: completion.reachMax[index] >= 0 ? nil : completion)
        }
    }
}
