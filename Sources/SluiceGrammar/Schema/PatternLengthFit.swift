// `minLength`/`maxLength` beside a `pattern` or a `format`: the grammar cannot intersect a regular
// language with a length bound in general (that is a product automaton the IR has no counter
// for), so it narrows the pattern instead: repetition counts are raised until every match is long
// enough, then capped (the slack shared out over the variable parts) until every match is short
// enough. Every string produced matches the pattern and has an allowed length; not every such
// string can be produced (the same promise as the formats'). Nothing fits: nil, and the caller
// refuses the keyword.

extension PatternNode {
    private static let big = Int.max / 4

    /// A sub-language of this node whose every match is `minimum`...`maximum` characters long.
    func fitted(minimum: Int, maximum: Int?) -> PatternNode? {
        var node = self
        if minimum > 0 {
            guard let raised = node.raised(to: minimum) else { return nil }
            node = raised
        }
        if let maximum {
            guard let capped = node.capped(to: maximum) else { return nil }
            node = capped
        }
        // The construction guarantees it; checked so a mistake refuses instead of producing invalid output.
        let (low, high) = node.lengthRange
        guard low >= minimum else { return nil }
        if let maximum { guard let high, high <= maximum else { return nil } }
        return node
    }

    /// Every match at most `budget` characters; minimum lengths kept.
    func capped(to budget: Int) -> PatternNode? {
        let (low, high) = lengthRange
        guard low <= budget else { return nil }
        if let high, high <= budget { return self }
        switch self {
        case .chars, .startAnchor, .endAnchor:
            return self
        case .sequence(let items):
            let ranges = items.map(\.lengthRange)
            var budgets = ranges.map(\.0)
            var slack = budget - low
            let variable = ranges.indices.filter { (ranges[$0].1 ?? Self.big) > ranges[$0].0 }
            // An even share first, so a long first part does not starve the rest, then the remainder.
            let share = variable.isEmpty ? 0 : slack / variable.count
            for index in variable {
                let extra = Swift.min(share, (ranges[index].1 ?? Self.big) - ranges[index].0)
                budgets[index] += extra
                slack -= extra
            }
            for index in variable where slack > 0 {
                let extra = Swift.min(slack, (ranges[index].1 ?? Self.big) - budgets[index])
                budgets[index] += extra
                slack -= extra
            }
            var capped: [PatternNode] = []
            for (item, itemBudget) in zip(items, budgets) {
                guard let part = item.capped(to: itemBudget) else { return nil }
                capped.append(part)
            }
            return .sequence(capped)
        case .alternation(let items):
            let kept = items.compactMap { $0.capped(to: budget) }
            return kept.isEmpty ? nil : .alternation(kept)
        case let .repetition(inner, minimum, maximum):
            let (innerLow, innerHigh) = inner.lengthRange
            if innerHigh == 0 { return self }
            if minimum == 0, innerLow > budget { return .sequence([]) }
            let perElement = minimum > 0 ? budget / minimum : budget
            let elementBudget = Swift.max(innerLow, Swift.min(innerHigh ?? Self.big, perElement))
            guard let element = inner.capped(to: elementBudget) else { return nil }
            let elementHigh = element.lengthRange.1 ?? Self.big
            let most = elementHigh == 0 ? minimum : budget / elementHigh
            let newMaximum = Swift.min(maximum ?? Self.big, most)
            guard newMaximum >= minimum else { return nil }
            return .repetition(element, min: minimum, max: newMaximum)
        }
    }

    /// Every match at least `need` characters.
    func raised(to need: Int) -> PatternNode? {
        let (low, high) = lengthRange
        if low >= need { return self }
        if let high, high < need { return nil }
        switch self {
        case .chars, .startAnchor, .endAnchor:
            return nil
        case .sequence(let items):
            var deficit = need - low
            var raised: [PatternNode] = []
            for item in items {
                let (itemLow, itemHigh) = item.lengthRange
                let take = Swift.min(deficit, (itemHigh ?? Self.big) - itemLow)
                guard let part = item.raised(to: itemLow + take) else { return nil }
                raised.append(part)
                deficit -= take
            }
            return deficit > 0 ? nil : .sequence(raised)
        case .alternation(let items):
            let kept = items.compactMap { $0.raised(to: need) }
            return kept.isEmpty ? nil : .alternation(kept)
        case let .repetition(inner, minimum, maximum):
            var element = inner
            if element.lengthRange.0 == 0 {
                guard let nonEmpty = element.raised(to: 1) else { return nil }
                element = nonEmpty
            }
            let elementLow = element.lengthRange.0
            let count = (need + elementLow - 1) / elementLow
            if let maximum, count > maximum {
                // Not enough repetitions: each of the most allowed must be longer.
                guard maximum > 0, let longer = element.raised(to: (need + maximum - 1) / maximum) else { return nil }
                return .repetition(longer, min: maximum, max: maximum)
            }
            return .repetition(element, min: Swift.max(minimum, count), max: maximum)
        }
    }
}
