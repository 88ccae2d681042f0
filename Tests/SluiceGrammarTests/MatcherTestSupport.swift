@testable import SluiceGrammar

/// Helpers shared by the matcher tests.
enum MatcherTestSupport {
    /// A vocabulary of text tokens (nil: a control token) and the end tokens.
    static func vocabulary(_ tokens: [String?], end: Set<Int> = []) -> TokenVocabulary {
        TokenVocabulary(tokens: tokens.map { $0.map { Array($0.utf8) } }, endTokens: end)
    }

    /// The ids the matcher allows next.
    static func allowed(_ matcher: inout GrammarMatcher) -> Set<Int> {
        let vocabulary = matcher.grammar.vocabulary
        var words = [UInt64](repeating: 0, count: vocabulary.maskWordCount)
        words.withUnsafeMutableBufferPointer { matcher.fillMask($0) }
        var ids = Set<Int>()
        for (index, word) in words.enumerated() {
            var bits = word
            while bits != 0 {
                ids.insert(index * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return ids
    }

    /// Ids of `tokens` (by text) in `vocabulary`.
    static func ids(_ texts: [String], in tokens: [String?]) -> Set<Int> {
        Set(texts.map { text in tokens.firstIndex(of: text)! })
    }
}

/// A slow, independent recognizer for the matcher's semantics, straight from the GrammarExpr
/// (no automata, no stacks of positions): backtracking over a continuation of expressions.
/// `isPrefix`: the bytes can be consumed (a document may continue from them); `isComplete`:
/// they are a whole document. Only for small grammars without left recursion.
struct MatcherReferenceRecognizer {
    let grammar: Grammar
    private let nullableRules: [Bool]
    /// Results by (what is left, position, complete): without it nested repetitions backtrack
    /// exponentially on long inputs.
    private final class Memo { var results: [MemoKey: Bool] = [:] }
    private struct MemoKey: Hashable { var frames: [Frame]; var position: Int; var complete: Bool }
    private let memo = Memo()

    init(_ grammar: Grammar) {
        self.grammar = grammar
        var nullable = [Bool](repeating: false, count: grammar.rules.count)
        var changed = true
        while changed {
            changed = false
            for (index, body) in grammar.rules.enumerated() where !nullable[index] {
                if Self.nullable(body, nullable) { nullable[index] = true; changed = true }
            }
        }
        nullableRules = nullable
    }

    private static func nullable(_ expr: GrammarExpr, _ rules: [Bool]) -> Bool {
        switch expr {
        case .literal(let bytes): return bytes.isEmpty
        case .bytes: return false
        case .sequence(let items): return items.allSatisfy { nullable($0, rules) }
        case .choice(let alternatives): return alternatives.contains { nullable($0, rules) }
        case .repetition(let item, let min, _): return min == 0 || nullable(item, rules)
        case .rule(let id): return rules[id.index]
        }
    }

    private indirect enum Frame: Hashable {
        case expr(GrammarExpr)
        /// Repetitions left; another iteration only if the last one consumed bytes (after `guardPosition`).
        case repeatItem(GrammarExpr, min: Int, max: Int?, guardPosition: Int)
    }

    func isPrefix(_ input: [UInt8]) -> Bool {
        memo.results.removeAll(keepingCapacity: true)
        return run([.expr(.rule(grammar.root))], input, 0, complete: false)
    }

    func isComplete(_ input: [UInt8]) -> Bool {
        memo.results.removeAll(keepingCapacity: true)
        return run([.expr(.rule(grammar.root))], input, 0, complete: true)
    }

    /// `frames`: what is left to match, next last.
    private func run(_ frames: [Frame], _ input: [UInt8], _ position: Int, complete: Bool) -> Bool {
        if position == input.count && !complete { return true }
        let key = MemoKey(frames: frames, position: position, complete: complete)
        if let known = memo.results[key] { return known }
        let result = step(frames, input, position, complete: complete)
        memo.results[key] = result
        return result
    }

    private func step(_ frames: [Frame], _ input: [UInt8], _ position: Int, complete: Bool) -> Bool {
        guard var rest = Optional(frames), let frame = rest.popLast() else {
            return position == input.count
        }
        switch frame {
        case .expr(let expr):
            switch expr {
            case .literal(let bytes):
                guard let first = bytes.first else { return run(rest, input, position, complete: complete) }
                guard position < input.count, input[position] == first else { return false }
                return run(rest + [.expr(.literal(Array(bytes.dropFirst())))], input, position + 1, complete: complete)
            case .bytes(let set):
                guard position < input.count, set.contains(input[position]) else { return false }
                return run(rest, input, position + 1, complete: complete)
            case .sequence(let items):
                return run(rest + items.reversed().map { .expr($0) }, input, position, complete: complete)
            case .choice(let alternatives):
                return alternatives.contains { run(rest + [.expr($0)], input, position, complete: complete) }
            case .repetition(let item, let min, let max):
                return run(rest + [.repeatItem(item, min: min, max: max, guardPosition: -1)], input, position, complete: complete)
            case .rule(let id):
                return run(rest + [.expr(grammar.rules[id.index])], input, position, complete: complete)
            }
        case .repeatItem(let item, let min, let max, let guardPosition):
            if min > 0 {
                return run(rest + [.repeatItem(item, min: min - 1, max: max.map { $0 - 1 }, guardPosition: position), .expr(item)],
                           input, position, complete: complete)
            }
            if run(rest, input, position, complete: complete) { return true }
            guard max.map({ $0 > 0 }) ?? true, position > guardPosition else { return false }
            return run(rest + [.repeatItem(item, min: 0, max: max.map { $0 - 1 }, guardPosition: position), .expr(item)],
                       input, position, complete: complete)
        }
    }
}
