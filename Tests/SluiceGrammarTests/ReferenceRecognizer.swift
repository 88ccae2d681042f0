// A slow but obviously correct recognizer for `Grammar` (and a random generator of documents
// from one), for testing grammar producers against: the set of end positions of every
// expression at a start position, memoized per (rule, position). Not for left-recursive
// grammars (a rule re-entered at the same position contributes nothing), which the compilers
// must not produce.

@testable import SluiceGrammar

final class ReferenceRecognizer {
    let grammar: Grammar
    private var bytes: [UInt8] = []
    private var memo: [Int: [Int: Set<Int>]] = [:]
    private var inProgress: Set<[Int]> = []

    init(_ grammar: Grammar) { self.grammar = grammar }

    /// Does the whole of `input` match the grammar's root?
    func accepts(_ input: [UInt8]) -> Bool {
        bytes = input
        memo = [:]
        inProgress = []
        return ends(.rule(grammar.root), 0).contains(input.count)
    }

    func accepts(_ text: String) -> Bool { accepts(Array(text.utf8)) }

    private func ends(_ expr: GrammarExpr, _ start: Int) -> Set<Int> {
        switch expr {
        case let .literal(literal):
            guard start + literal.count <= bytes.count, Array(bytes[start..<(start + literal.count)]) == literal else { return [] }
            return [start + literal.count]
        case let .bytes(set):
            return start < bytes.count && set.contains(bytes[start]) ? [start + 1] : []
        case let .sequence(parts):
            var positions: Set<Int> = [start]
            for part in parts {
                var next = Set<Int>()
                for position in positions { next.formUnion(ends(part, position)) }
                positions = next
                if positions.isEmpty { break }
            }
            return positions
        case let .choice(alternatives):
            var result = Set<Int>()
            for alternative in alternatives { result.formUnion(ends(alternative, start)) }
            return result
        case let .repetition(inner, min, max):
            var result = Set<Int>()
            var frontier: Set<Int> = [start]
            var seen = Set<Int>()  // positions reached at a count ≥ min
            var count = 0
            if min == 0 { result.insert(start); seen.insert(start) }
            while !frontier.isEmpty, max.map({ count < $0 }) ?? true {
                var next = Set<Int>()
                for position in frontier { next.formUnion(ends(inner, position)) }
                count += 1
                if count >= min {
                    next.subtract(seen)
                    seen.formUnion(next)
                    result.formUnion(next)
                }
                frontier = next
            }
            return result
        case let .rule(rule):
            if let cached = memo[rule.index]?[start] { return cached }
            let key = [rule.index, start]
            if inProgress.contains(key) { return [] }
            inProgress.insert(key)
            let result = ends(grammar.rules[rule.index], start)
            inProgress.remove(key)
            memo[rule.index, default: [:]][start] = result
            return result
        }
    }
}

/// Random documents of a grammar: random choices and repetition counts, and past `depth` nested
/// rules the shortest way out (by each expression's minimum length, computed to a fixpoint).
struct RandomDocumentGenerator {
    let grammar: Grammar
    private var minimumLength: [Int]
    private var state: UInt64

    init(_ grammar: Grammar, seed: UInt64) {
        self.grammar = grammar
        state = seed &+ 0x9E37_79B9_7F4A_7C15
        minimumLength = Array(repeating: Int.max / 4, count: grammar.rules.count)
        var changed = true
        while changed {
            changed = false
            for (index, body) in grammar.rules.enumerated() {
                let length = Self.minLength(body, minimumLength)
                if length < minimumLength[index] { minimumLength[index] = length; changed = true }
            }
        }
    }

    static func minLength(_ expr: GrammarExpr, _ rules: [Int]) -> Int {
        switch expr {
        case let .literal(bytes): return bytes.count
        case let .bytes(set): return set.isEmpty ? Int.max / 4 : 1
        case let .sequence(parts): return parts.reduce(0) { Swift.min($0 + minLength($1, rules), Int.max / 4) }
        case let .choice(alternatives): return alternatives.map { minLength($0, rules) }.min() ?? Int.max / 4
        case let .repetition(inner, min, _):
            let (product, overflow) = minLength(inner, rules).multipliedReportingOverflow(by: min)
            return overflow ? Int.max / 4 : Swift.min(product, Int.max / 4)
        case let .rule(rule): return rules[rule.index]
        }
    }

    private mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(Swift.max(bound, 1)))
    }

    mutating func generate(depth: Int = 12) -> [UInt8] {
        var out: [UInt8] = []
        emit(.rule(grammar.root), depth: depth, into: &out)
        return out
    }

    private mutating func emit(_ expr: GrammarExpr, depth: Int, into out: inout [UInt8]) {
        switch expr {
        case let .literal(bytes): out += bytes
        case let .bytes(set):
            let members = (0...255).map(UInt8.init).filter { set.contains($0) }
            // Prefer printable ASCII when there is some, so documents stay readable.
            let printable = members.filter { (0x20...0x7E).contains($0) }
            let pool = !printable.isEmpty && next(4) != 0 ? printable : members
            out.append(pool[next(pool.count)])
        case let .sequence(parts): for part in parts { emit(part, depth: depth, into: &out) }
        case let .choice(alternatives):
            let viable = alternatives.filter { Self.minLength($0, minimumLength) < Int.max / 4 }
            if depth <= 0 {
                let best = viable.min { Self.minLength($0, minimumLength) < Self.minLength($1, minimumLength) }!
                emit(best, depth: depth, into: &out)
            } else {
                emit(viable[next(viable.count)], depth: depth, into: &out)
            }
        case let .repetition(inner, min, max):
            var count = min
            if depth > 0 {
                let extra = Swift.min((max ?? (min + 4)) - min, 4)
                count += next(extra + 1)
            }
            for _ in 0..<count { emit(inner, depth: depth, into: &out) }
        case let .rule(rule): emit(grammar.rules[rule.index], depth: depth - 1, into: &out)
        }
    }
}
