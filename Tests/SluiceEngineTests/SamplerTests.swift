import CKernels
import Foundation
import Testing
@testable import SluiceEngine

/// Each sampling option's effect on hand-built logits.
@Suite struct SamplerTests {
    func sampler(_ parameters: SamplingParameters, seed: UInt64 = 1, history: [Int] = []) -> Sampler {
        Sampler(parameters: parameters, fallbackSeed: seed, history: history)
    }

    /// Draw many tokens from the same logits and count them.
    func histogram(_ parameters: SamplingParameters, _ logits: [Float], draws: Int = 4000) -> [Int: Int] {
        var sampler = sampler(parameters, seed: 42)
        var counts: [Int: Int] = [:]
        for _ in 0..<draws { counts[sampler.sample(logits: logits).token, default: 0] += 1 }
        return counts
    }

    @Test func greedyPicksTheHighestLogitAndTheLowestIdOnTies() {
        var greedy = sampler(.greedy)
        #expect(greedy.sample(logits: [0.1, 2.5, -1, 2.4]).token == 1)
        #expect(greedy.sample(logits: [3, 1, 3]).token == 0)
        #expect(greedy.sample(logits: [.nan, 1, 2]).token == 2)
        var topOne = sampler(SamplingParameters(temperature: 5, topK: 1))
        #expect(topOne.sample(logits: [0, 0.5, 0.4]).token == 1)
    }

    @Test func logitBiasShiftsAndMinus100Bans() {
        var banned = sampler(SamplingParameters(temperature: 0, logitBias: [1: -100]))
        #expect(banned.sample(logits: [0, 9, 1]).token == 2)
        var boosted = sampler(SamplingParameters(temperature: 0, logitBias: [0: 10]))
        #expect(boosted.sample(logits: [0, 9, 1]).token == 0)
        // A banned token is never drawn even at high temperature.
        let counts = histogram(SamplingParameters(temperature: 2, logitBias: [0: -100]), [5, 0, 0])
        #expect(counts[0] == nil)
    }

    @Test func presenceAndFrequencyPenaltiesSubtractPerSeenToken() {
        // Token 0 seen twice, token 1 once: 5 - 2·1 - 0.5 = 2.5 and 3 - 1·1 - 0.5 = 1.5 vs 2.
        var penalised = sampler(SamplingParameters(temperature: 0, presencePenalty: 0.5, frequencyPenalty: 1),
                                history: [0, 0, 1])
        #expect(penalised.sample(logits: [5, 3, 2]).token == 0)
        var stronger = sampler(SamplingParameters(temperature: 0, presencePenalty: 0.5, frequencyPenalty: 1.5),
                               history: [0, 0, 1])
        // 5 - 3 - 0.5 = 1.5, 3 - 1.5 - 0.5 = 1, 2 → token 2.
        #expect(stronger.sample(logits: [5, 3, 2]).token == 2)
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var penalised = sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2), history: [0])
        #expect(penalised.sample(logits: [3, 2, 1]).token == 1)  // 3 / 2 = 1.5 < 2
        var negative = sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2), history: [0])
        #expect(negative.sample(logits: [-1, -1.5, -3]).token == 1)  // -1 · 2 = -2 < -1.5
    }

    @Test func penaltiesOnlyLookAtTheWindowAndCountGeneratedTokens() {
        var windowed = sampler(SamplingParameters(temperature: 0, presencePenalty: 10, penaltyWindow: 2), history: [0, 1, 2])
        #expect(windowed.sample(logits: [5, 4, 3]).token == 0)  // 0 fell out of the 2-token window
        // Generated tokens join the history: greedy with a presence penalty alternates.
        var alternating = sampler(SamplingParameters(temperature: 0, presencePenalty: 10, penaltyWindow: 1))
        let tokens = (0..<4).map { _ in alternating.sample(logits: [5, 4]).token }
        #expect(tokens == [0, 1, 0, 1])
    }

    @Test func topKKeepsOnlyTheKMostLikely() {
        let counts = histogram(SamplingParameters(temperature: 1, topK: 2), [1, 3, 2, 0])
        #expect(Set(counts.keys) == [1, 2])
    }

    @Test func topPKeepsTheSmallestPrefixReachingP() {
        // Probabilities ≈ 0.665, 0.245, 0.090: p = 0.8 keeps two tokens, p = 0.5 only the first.
        let logits: [Float] = [2, 1, 0]
        #expect(Set(histogram(SamplingParameters(topP: 0.8), logits).keys) == [0, 1])
        #expect(Set(histogram(SamplingParameters(topP: 0.5), logits).keys) == [0])
        // Sorted (after top-k) and unsorted candidates agree.
        #expect(Set(histogram(SamplingParameters(topK: 3, topP: 0.8), logits).keys) == [0, 1])
    }

    @Test func bucketedTopPKeepsExactlyTheSortedPrefix() {
        var generator = SplitMix64(seed: 11)
        for round in 0..<20 {
            let count = 5000
            // Coarse values so that ties cross bucket and prefix boundaries too.
            let row: [Float] = (0..<count).map { _ in Float(generator.next() % 400) / 40 }
            let p = Float(round + 1) / 21
            var candidates = row.withUnsafeBufferPointer { Candidates(logits: $0, topK: 0) }
            candidates.keepTopP(p)
            // Brute force: sort everything, keep the prefix reaching p.
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            let maximum = row.max() ?? 0
            let total = row.reduce(0.0) { $0 + Double(expf($1 - maximum)) }
            var cumulative = 0.0
            var expected: [Int] = []
            for index in order {
                expected.append(index)
                cumulative += Double(expf(row[index] - maximum))
                if cumulative >= Double(p) * total { break }
            }
            #expect(Set(candidates.ids) == Set(expected), "p = \(p)")
        }
    }

    @Test func minPDropsTokensFarBelowTheBest() {
        // p1/p0 = e^-1 ≈ 0.37, p2/p0 = e^-2 ≈ 0.14: min-p 0.2 keeps 0 and 1.
        #expect(Set(histogram(SamplingParameters(minP: 0.2), [2, 1, 0]).keys) == [0, 1])
    }

    @Test func temperatureSharpensAndFlattens() {
        let logits: [Float] = [1, 0]
        let cold = histogram(SamplingParameters(temperature: 0.25), logits)[0, default: 0]
        let warm = histogram(SamplingParameters(temperature: 4), logits)[0, default: 0]
        // P(0) is 0.982 at T = 0.25 and 0.562 at T = 4.
        #expect(cold > 3800)
        #expect(warm > 2000 && warm < 2500)
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() {
        let logits: [Float] = (0..<100).map { Float($0 % 7) * 0.3 }
        func run(_ seed: UInt64) -> [Int] {
            var sampler = Sampler(parameters: SamplingParameters(temperature: 1, seed: seed), fallbackSeed: 999)
            return (0..<50).map { _ in sampler.sample(logits: logits).token }
        }
        #expect(run(7) == run(7))
        #expect(run(7) != run(8))
        // Without a request seed the injected fallback seed decides.
        var a = Sampler(parameters: SamplingParameters(), fallbackSeed: 5)
        var b = Sampler(parameters: SamplingParameters(), fallbackSeed: 5)
        #expect((0..<20).map { _ in a.sample(logits: logits).token } == (0..<20).map { _ in b.sample(logits: logits).token })
    }

    @Test func drawsFollowTheSoftmaxDistribution() {
        // Chi-square goodness of fit over 20,000 draws, 4 categories (3 degrees of freedom):
        // the 99.9% critical value is 16.27.
        let logits: [Float] = [0, log(2), log(3), log(4)]
        let draws = 20_000
        let counts = histogram(SamplingParameters(temperature: 1), logits, draws: draws)
        let expected: [Double] = [0.1, 0.2, 0.3, 0.4].map { $0 * Double(draws) }
        let chiSquare = (0..<4).reduce(0.0) { sum, token in
            let difference = Double(counts[token, default: 0]) - expected[token]
            return sum + difference * difference / expected[token]
        }
        #expect(chiSquare < 16.27)
    }

    @Test func logprobsAreLogSoftmaxOfTheRawLogits() {
        let logits: [Float] = [1, 3, 2, -1]
        let logSum = log(logits.map { exp(Double($0)) }.reduce(0, +))
        // Penalties, bias and temperature change the choice, not the reported log-probabilities.
        var sampler = sampler(SamplingParameters(temperature: 0, logitBias: [1: -100], logprobs: true, topLogprobs: 3))
        let result = sampler.sample(logits: logits)
        #expect(result.token == 2)
        #expect(abs(Double(result.logprob ?? 0) - (2 - logSum)) < 1e-5)
        #expect(result.topLogprobs.map(\.token) == [1, 2, 0])
        for alternative in result.topLogprobs {
            #expect(abs(Double(alternative.logprob) - (Double(logits[alternative.token]) - logSum)) < 1e-5)
        }
        var quiet = self.sampler(.greedy)
        #expect(quiet.sample(logits: logits).logprob == nil)
    }

    @Test func logprobsStayFiniteForExtremeLogits() {
        var sampler = sampler(SamplingParameters(temperature: 0, logprobs: true, topLogprobs: 2))
        let result = sampler.sample(logits: [1000, -1000, 999])
        #expect(result.token == 0)
        #expect(result.logprob.map { $0.isFinite && $0 <= 0 } == true)
        #expect(abs((result.topLogprobs.last?.logprob ?? 0) - (-1.3133)) < 1e-3)
    }

    @Test func topIndicesMatchesAFullSort() {
        var generator = SplitMix64(seed: 3)
        let values: [Float] = (0..<5000).map { _ in Float(generator.next() % 1000) / 10 }
        let expected = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        let top = values.withUnsafeBufferPointer { LogitMath.topIndices($0, count: 40) }
        #expect(top == Array(expected.prefix(40)))
    }

    @Test func infiniteAndNaNLogitsNeverCrashOrWinWrongly() {
        var sampler = sampler(SamplingParameters(temperature: 1, topP: 0.9, minP: 0.1))
        #expect(sampler.sample(logits: [1, .infinity, 2]).token == 1)
        #expect([0, 2].contains(sampler.sample(logits: [1, .nan, 2]).token))
        var nanOnly = self.sampler(SamplingParameters(temperature: 1))
        #expect(nanOnly.sample(logits: [.nan, .nan]).token == 0)
    }

    @Test func everythingBannedFallsBackToTheBestRawToken() {
        var sampler = sampler(SamplingParameters(temperature: 1, logitBias: [0: -100, 1: -100]))
        #expect([0, 1].contains(sampler.sample(logits: [1, 2]).token))
    }
}


@Suite struct SamplingWeightTests {
    @Test func weightsMatchExpWithinRoundingAndSumThem() {
        // Every 1/64 from -100 to 0 plus -inf, and a length that is not a multiple of 8.
        var xs = stride(from: -100.0 as Float, through: 0, by: 1.0 / 64).map { $0 }
        xs.append(-.infinity)
        var weights = [Float](repeating: -1, count: xs.count)
        let total = ck_exp_weights(xs, Int64(xs.count), 0, 1, &weights)
        var exact = 0.0
        for (x, w) in zip(xs, weights) {
            let e = x.isFinite ? Foundation.exp(Double(x)) : 0
            exact += e
            #expect(abs(Double(w) - e) <= 3e-7 * e + 1e-44, "e^\(x): \(w) vs \(e)")
        }
        #expect(abs(total - exact) <= 1e-6 * exact)
    }

    @Test func weightsApplyShiftAndScaleAndAgreeOnEveryPath() {
        let xs: [Float] = (0..<37).map { -Float($0) * 0.37 + 3 }
        var simd = [Float](repeating: 0, count: xs.count), portable = simd
        let a = ck_exp_weights(xs, Int64(xs.count), 3, 0.5, &simd)
        ck_force_cpu_level(0)
        let b = ck_exp_weights(xs, Int64(xs.count), 3, 0.5, &portable)
        ck_force_cpu_level(-1)
        #expect(simd == portable)
        #expect(a == b)
        #expect(simd[0] == 1)
        #expect(abs(Double(simd[1]) - Foundation.exp(-0.185)) < 1e-6)
    }
}
