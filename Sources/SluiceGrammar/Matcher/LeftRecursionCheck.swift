// Refuses left recursion: a rule that can reach a call of itself before consuming any byte
// (directly, or through nullable rules) would make the matcher push frames forever. Everything
// else, right and middle recursion included, is bounded by the input.

enum LeftRecursionCheck {
    static func check(automata: [Int: RuleAutomaton], names: [String]) throws(GrammarError) {
        // Nullable rules, to a fixpoint: the start state reaches an accepting state through
        // calls of nullable rules alone.
        var nullable = Set<Int>()
        var changed = true
        while changed {
            changed = false
            for (rule, automaton) in automata where !nullable.contains(rule) {
                if emptyReach(automaton, nullable: nullable).accepts {
                    nullable.insert(rule)
                    changed = true
                }
            }
        }
        // Rules each rule can call before its first byte.
        var leftCalls: [Int: Set<Int>] = [:]
        for (rule, automaton) in automata { leftCalls[rule] = emptyReach(automaton, nullable: nullable).callees }
        // A cycle in that graph is left recursion.
        var state: [Int: Bool] = [:]  // false: on the current path, true: done
        func visit(_ rule: Int) throws(GrammarError) {
            if let done = state[rule] {
                if !done {
                    let name = names.indices.contains(rule) ? names[rule] : "#\(rule)"
                    throw GrammarError("rule \(name) is left-recursive")
                }
                return
            }
            state[rule] = false
            for callee in leftCalls[rule] ?? [] { try visit(callee) }
            state[rule] = true
        }
        for rule in automata.keys.sorted() { try visit(rule) }
    }

    /// From the start state, moving only through calls of nullable rules: whether an accepting
    /// state is reached, and every rule called on the way.
    private static func emptyReach(_ automaton: RuleAutomaton, nullable: Set<Int>) -> (accepts: Bool, callees: Set<Int>) {
        var seen: Set<Int32> = [0]
        var work: [Int32] = [0]
        var accepts = false
        var callees = Set<Int>()
        while let state = work.popLast() {
            if automaton.accepting[Int(state)] { accepts = true }
            for call in automaton.calls[Int(state)] {
                callees.insert(Int(call.callee))
                if nullable.contains(Int(call.callee)) && seen.insert(call.returnState).inserted { work.append(call.returnState) }
            }
        }
        return (accepts, callees)
    }
}
