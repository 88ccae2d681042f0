import SluiceGrammar

/// One choice's place in its job's grammar, kept on the engine thread between steps and copied
/// into the sampling slot for a step (like the sampler). While a trigger is awaited (tool_choice
/// `auto`) the choice samples freely and only its last bytes are kept to spot the trigger.
struct ChoiceConstraint {
    private(set) var matcher: GrammarMatcher
    private let trigger: [UInt8]?
    /// The grammar applies to the next token.
    private(set) var active: Bool
    /// The last bytes generated, while the trigger is awaited (at most its length − 1 kept).
    private var tail: [UInt8] = []
    /// Tokens this choice may generate in all (`max_tokens`, or what the context leaves), and so far.
    private let budget: Int
    private var generated = 0
    /// The budget ran low and the mask was narrowed to close the document in time: the answer
    /// is complete and valid but shorter than the model would have made it (`finish_reason: length`).
    private(set) var closedByBudget = false

    init(_ constraint: OutputConstraint, budget: Int) {
        matcher = GrammarMatcher(constraint.grammar)
        trigger = constraint.trigger
        active = constraint.trigger == nil
        self.budget = budget
    }

    /// The allowed tokens of the next step into `words`; false when this step is unconstrained.
    /// Near the end of the budget the mask keeps only tokens after which the document can still
    /// be completed in the tokens left, so a document that had room to finish always does
    /// (instead of being cut mid-value by `max_tokens`).
    mutating func fillMask(_ words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        guard active else { return false }
        matcher.fillMask(words)
        let remaining = budget - generated
        if matcher.needsCompletionCheck(remainingTokens: remaining), matcher.restrictToCompletion(within: remaining, words) {
            closedByBudget = true
        }
        return true
    }

    /// Records the sampled token. Returns true when the output must end now: the grammar is
    /// complete and allows nothing more (saves the step that would only sample the end token).
    mutating func accept(token: Int, bytes: [UInt8]) -> Bool {
        generated += 1
        if active {
            // Sampled under the mask, so accepted; if not (the sampler had no allowed token left),
            // the grammar can no longer vouch for the output and stops constraining it.
            if !matcher.accept(token: token) { active = false }
            return active && matcher.isComplete && !matcher.canContinue
        }
        guard let trigger, !trigger.isEmpty else { return false }
        tail += bytes
        if let start = Self.find(trigger, in: tail) {
            let rest = tail[(start + trigger.count)...]
            tail = []
            // The trigger's token may carry bytes past the trigger: they are the grammar's first.
            active = matcher.accept(bytes: rest)
            return active && matcher.isComplete && !matcher.canContinue
        }
        if tail.count >= trigger.count { tail.removeFirst(tail.count - (trigger.count - 1)) }
        return false
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
