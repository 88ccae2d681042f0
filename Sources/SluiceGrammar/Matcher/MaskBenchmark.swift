// Measures what constrained decoding costs per step: for each grammar, the time of
// CompiledGrammar.init, and of every fillMask along random walks (each step samples uniformly
// among the allowed tokens, except that a complete document ends half the time; a walk also
// ends after `maxWalkSteps` tokens or when nothing is allowed, and a new one starts until
// `steps` masks were timed). First masks at a position include its cache walk, as they do in
// serving; running twice over one vocabulary shows the cost once shared caches are warm.

public struct MaskBenchmarkResult: Sendable, CustomStringConvertible {
    public var grammars: Int
    public var failedGrammars: [String]
    public var masks: Int
    public var maskMeanMicroseconds: Double
    public var maskP50Microseconds: Double
    public var maskP99Microseconds: Double
    public var maskMaxMicroseconds: Double
    public var compileMeanMilliseconds: Double
    public var compileP99Milliseconds: Double
    public var compileMaxMilliseconds: Double
    /// Walks that reached an end token.
    public var completedWalks: Int
    public var walks: Int
    /// needsCompletionCheck after each timed mask (the budget-aware path's extra per-step cost),
    /// with a far budget (2^20 tokens left), and how often it nevertheless fired.
    public var checkMeanMicroseconds: Double = 0
    public var farChecks = 0
    /// restrictToCompletion on every 8th step with a tight budget (bytesToComplete + 1 tokens
    /// left), on a copy of the mask (the walk itself is unchanged).
    public var restrictions = 0
    public var restrictMeanMicroseconds: Double = 0
    public var restrictP99Microseconds: Double = 0

    public var description: String {
        func f(_ value: Double) -> String { String(Int((value * 10).rounded())) .withDecimal }
        return """
            grammars \(grammars) (failed \(failedGrammars.count)), masks \(masks), walks \(walks) (completed \(completedWalks))
            mask µs: mean \(f(maskMeanMicroseconds)) p50 \(f(maskP50Microseconds)) p99 \(f(maskP99Microseconds)) max \(f(maskMaxMicroseconds))
            compile ms: mean \(f(compileMeanMilliseconds)) p99 \(f(compileP99Milliseconds)) max \(f(compileMaxMilliseconds))
            budget: needsCompletionCheck µs mean \(String(format: "%.3f", checkMeanMicroseconds)) (fired far from the end: \(farChecks)); \
            restrictToCompletion (\(restrictions)) µs mean \(f(restrictMeanMicroseconds)) p99 \(f(restrictP99Microseconds))
            """
    }
}

extension String {
    /// "123" (tenths) → "12.3".
    fileprivate var withDecimal: String {
        let digits = count < 2 ? String(repeating: "0", count: 2 - count) + self : self
        return "\(digits.dropLast()).\(digits.last!)"
    }
}

public enum MaskBenchmark {
    public static func run(
        grammars: [Grammar], vocabulary: TokenVocabulary, steps: Int, seed: UInt64, maxWalkSteps: Int = 512
    ) -> MaskBenchmarkResult {
        var random = SplitMix64(seed: seed)
        var maskTimes: [Double] = []
        var compileTimes: [Double] = []
        var failed: [String] = []
        var walks = 0
        var completed = 0
        let clock = ContinuousClock()
        var words = [UInt64](repeating: 0, count: vocabulary.maskWordCount)
        var allowed: [Int] = []
        var checkTimes: [Double] = []
        var farChecks = 0
        var restrictTimes: [Double] = []
        var restricted = [UInt64](repeating: 0, count: vocabulary.maskWordCount)
        for (index, grammar) in grammars.enumerated() {
            let start = clock.now
            let compiled: CompiledGrammar
            do throws(GrammarError) {
                compiled = try CompiledGrammar(grammar, vocabulary: vocabulary)
            } catch {
                failed.append("grammar \(index): \(error.message)")
                continue
            }
            compileTimes.append(milliseconds(clock.now - start))
            var timed = 0
            while timed < steps {
                var matcher = GrammarMatcher(compiled)
                walks += 1
                var walkSteps = 0
                while timed < steps && walkSteps < maxWalkSteps {
                    let before = clock.now
                    words.withUnsafeMutableBufferPointer { matcher.fillMask($0) }
                    maskTimes.append(milliseconds(clock.now - before) * 1000)
                    let beforeCheck = clock.now
                    let needed = matcher.needsCompletionCheck(remainingTokens: 1 << 20)
                    checkTimes.append(milliseconds(clock.now - beforeCheck) * 1000)
                    if needed { farChecks += 1 }
                    if timed % 8 == 0 && matcher.bytesToComplete < Int.max {
                        restricted.withUnsafeMutableBufferPointer { copy in
                            words.withUnsafeBufferPointer { _ = copy.update(fromContentsOf: $0) }
                            let beforeRestrict = clock.now
                            _ = matcher.restrictToCompletion(within: matcher.bytesToComplete + 1, copy)
                            restrictTimes.append(milliseconds(clock.now - beforeRestrict) * 1000)
                        }
                    }
                    timed += 1
                    walkSteps += 1
                    allowed.removeAll(keepingCapacity: true)
                    for (wordIndex, word) in words.enumerated() where word != 0 {
                        var bits = word
                        while bits != 0 {
                            allowed.append(wordIndex * 64 + bits.trailingZeroBitCount)
                            bits &= bits - 1
                        }
                    }
                    guard !allowed.isEmpty else { break }
                    // A complete document ends half the time (else walks would rarely pick one
                    // end token among thousands of allowed ones).
                    let ends = matcher.isComplete && random.next() % 2 == 0
                    let choices = ends ? allowed.filter(vocabulary.endTokens.contains) : allowed
                    let token = choices[Int(random.next() % UInt64(choices.count))]
                    guard matcher.accept(token: token) else { break }  // cannot happen: the mask allowed it
                    if matcher.isFinished { completed += 1; break }
                }
            }
        }
        let sortedMasks = maskTimes.sorted()
        let sortedCompiles = compileTimes.sorted()
        return MaskBenchmarkResult(
            grammars: grammars.count, failedGrammars: failed, masks: maskTimes.count,
            maskMeanMicroseconds: mean(sortedMasks), maskP50Microseconds: percentile(sortedMasks, 0.5),
            maskP99Microseconds: percentile(sortedMasks, 0.99), maskMaxMicroseconds: sortedMasks.last ?? 0,
            compileMeanMilliseconds: mean(sortedCompiles), compileP99Milliseconds: percentile(sortedCompiles, 0.99),
            compileMaxMilliseconds: sortedCompiles.last ?? 0, completedWalks: completed, walks: walks,
            checkMeanMicroseconds: mean(checkTimes), farChecks: farChecks, restrictions: restrictTimes.count,
            restrictMeanMicroseconds: mean(restrictTimes), restrictP99Microseconds: percentile(restrictTimes.sorted(), 0.99))
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    private static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    private static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}

/// A small seeded generator, so a benchmark run is repeatable.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
