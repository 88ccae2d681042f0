import CKernels
import Foundation

public struct TokenLogprob: Sendable, Equatable {
    public var token: Int
    /// Natural-log probability under the model's raw distribution.
    public var logprob: Float
    public init(token: Int, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

public struct SampledToken: Sendable, Equatable {
    public var token: Int
    /// log-softmax of the raw logits at `token` (nil unless logprobs were asked for).
    public var logprob: Float?
    /// The most likely tokens under the raw logits, most likely first.
    public var topLogprobs: [TokenLogprob]
}

/// Chooses tokens from logit rows for one request. Pure: no I/O, no global
/// state; randomness comes from its own seeded generator, so a seed reproduces
/// a generation exactly. Stages follow llama.cpp's default chain: logit bias,
/// penalties, top-k, top-p, min-p, temperature, then a draw.
///
/// Log-probabilities are always of the RAW logits (before bias, penalties and
/// temperature), as llama.cpp reports them and the reference records them.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: Xoshiro256StarStar
    private var window: TokenPenaltyWindow

    /// `fallbackSeed` is used when the request has no seed (inject entropy or a
    /// clock there). `history`: tokens that already count for the penalties.
    public init(parameters: SamplingParameters, fallbackSeed: UInt64, history: [Int] = []) {
        self.parameters = parameters
        self.random = Xoshiro256StarStar(seed: parameters.seed ?? fallbackSeed)
        self.window = TokenPenaltyWindow(capacity: parameters.penaltyWindow)
        for token in history { window.add(token) }
    }

    public mutating func sample(logits: [Float]) -> SampledToken {
        logits.withUnsafeBufferPointer { sample(logits: $0) }
    }

    /// Picks the next token among the allowed ones (bit `t % 64` of `allowed[t / 64]` set: token
    /// `t` allowed), as constrained decoding asks. Disallowed logits become -inf before anything
    /// else, so penalties, top-k/top-p and temperature act on the allowed tokens only, and the
    /// logprobs reported are those of the distribution actually sampled (renormalised over the
    /// allowed tokens). A mask that allows nothing is ignored rather than sampling a banned token.
    public mutating func sample(logits: UnsafeBufferPointer<Float>, allowed: UnsafeBufferPointer<UInt64>) -> SampledToken {
        var masked = Array(logits)
        var anyAllowed = false
        masked.withUnsafeMutableBufferPointer { row in
            for word in 0..<min(allowed.count, (row.count + 63) / 64) {
                let bits = allowed[word]
                if bits != 0 { anyAllowed = true }
                if bits == .max { continue }
                let base = word * 64
                for bit in 0..<min(64, row.count - base) where bits & (1 << UInt64(bit)) == 0 {
                    row[base + bit] = -.infinity
                }
            }
        }
        guard anyAllowed else { return sample(logits: logits) }
        return masked.withUnsafeBufferPointer { sample(logits: $0) }
    }

    /// Picks the next token from one row of logits (`[nVocab]`) and records it
    /// for the penalties of later steps.
    public mutating func sample(logits: UnsafeBufferPointer<Float>) -> SampledToken {
        guard !logits.isEmpty else { return SampledToken(token: 0, logprob: nil, topLogprobs: []) }
        var result = SampledToken(token: 0, logprob: nil, topLogprobs: [])
        let token: Int
        if parameters.logitBias.isEmpty && !(parameters.hasPenalties && !window.counts.isEmpty) {
            token = choose(from: logits)
        } else {
            var adjusted = Array(logits)
            applyBiasAndPenalties(&adjusted)
            token = adjusted.withUnsafeBufferPointer { choose(from: $0) }
        }
        result.token = token
        if parameters.logprobs || parameters.topLogprobs > 0 {
            let logSum = LogitMath.logSumExp(logits)
            result.logprob = Float(Double(logits[token]) - logSum)
            result.topLogprobs = LogitMath.topIndices(logits, count: min(parameters.topLogprobs, 100)).map {
                TokenLogprob(token: $0, logprob: Float(Double(logits[$0]) - logSum))
            }
        }
        window.add(token)
        return result
    }

    private func applyBiasAndPenalties(_ logits: inout [Float]) {
        for (token, bias) in parameters.logitBias where logits.indices.contains(token) {
            logits[token] = bias <= -100 ? -.infinity : logits[token] + bias
        }
        guard parameters.hasPenalties else { return }
        for (token, count) in window.counts where logits.indices.contains(token) {
            var value = logits[token]
            if parameters.repetitionPenalty != 1, parameters.repetitionPenalty > 0 {
                value = value > 0 ? value / parameters.repetitionPenalty : value * parameters.repetitionPenalty
            }
            value -= Float(count) * parameters.frequencyPenalty + parameters.presencePenalty
            logits[token] = value
        }
    }

    private mutating func choose(from logits: UnsafeBufferPointer<Float>) -> Int {
        if parameters.isGreedy { return Self.argmax(logits) }
        var candidates = Candidates(logits: logits, topK: parameters.topK)
        if parameters.topP < 1 { candidates.keepTopP(parameters.topP) }
        if parameters.minP > 0 { candidates.keepMinP(parameters.minP) }
        return candidates.draw(temperature: parameters.temperature, uniform: random.nextUnitDouble())
    }

    /// Highest logit; the lowest id wins a tie. NaN never wins.
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for index in 0..<logits.count where logits[index] > bestValue {
            best = index
            bestValue = logits[index]
        }
        return best
    }
}

/// The tokens still in the running during one sampling step.
struct Candidates {
    var ids: [Int]
    var logits: [Float]
    /// True when `ids` are in descending logit order.
    var sorted: Bool

    init(logits row: UnsafeBufferPointer<Float>, topK: Int) {
        if topK > 0 && topK < row.count {
            ids = LogitMath.topIndices(row, count: topK)
            sorted = true
        } else if row.allSatisfy({ $0 > -.infinity }) {  // the usual case: none banned (or NaN), bulk copies
            ids = Array(row.indices)
            sorted = false
        } else {
            ids = row.indices.filter { row[$0] > -.infinity }  // banned tokens never come back
            sorted = false
        }
        logits = ids.count == row.count ? Array(row) : ids.map { row[$0] }
        if logits.contains(.infinity) {  // a +inf logit is certain: keep only those (exp(inf - inf) is NaN)
            ids = zip(ids, logits).filter { $0.1 == .infinity }.map(\.0)
            logits = [Float](repeating: 0, count: ids.count)
            sorted = true
        }
        if ids.isEmpty {  // everything banned: fall back to the best raw token
            ids = [Sampler.argmax(row)]
            logits = [0]
            sorted = true
        }
    }

    var maxLogit: Float { sorted ? logits[0] : (logits.max() ?? 0) }

    /// Smallest most-likely prefix whose probability mass reaches `p` (at least one token).
    /// Unsorted (vocabulary-sized) sets are bucketed by logit first, so only the
    /// tokens of the one bucket where the mass crosses `p` are sorted: O(n), not O(n log n).
    mutating func keepTopP(_ p: Float) {
        let maximum = maxLogit
        var weights = [Float](repeating: 0, count: logits.count)
        let total = logits.withUnsafeBufferPointer { row in
            weights.withUnsafeMutableBufferPointer { ck_exp_weights(row.baseAddress, Int64(row.count), maximum, 1, $0.baseAddress) }
        }
        let target = Double(p) * total
        if sorted {
            var cumulative = 0.0
            var kept = 0
            while kept < ids.count {
                cumulative += Double(weights[kept])
                kept += 1
                if cumulative >= target { break }
            }
            ids.removeSubrange(kept...)
            logits.removeSubrange(kept...)
            return
        }
        // Bucket b holds logits in (max - (b+1)·width, max - b·width]; monotone in the logit,
        // so every token of a higher bucket outranks every token of a lower one.
        let minimum = logits.min() ?? maximum
        let bucketCount = 1024
        let width = max((maximum - minimum) / Float(bucketCount - 1), .leastNormalMagnitude)
        var bucketOf = [Int32](repeating: 0, count: logits.count)
        var bucketMass = [Double](repeating: 0, count: bucketCount)
        for (index, logit) in logits.enumerated() {
            let bucket = min(bucketCount - 1, max(0, Int((maximum - logit) / width)))
            bucketOf[index] = Int32(bucket)
            bucketMass[bucket] += Double(weights[index])
        }
        var cumulative = 0.0
        var boundary = bucketCount - 1
        for bucket in 0..<bucketCount {
            if cumulative + bucketMass[bucket] >= target {
                boundary = bucket
                break
            }
            cumulative += bucketMass[bucket]
        }
        var keptIds: [Int] = []
        var keptLogits: [Float] = []
        var edge: [Int] = []
        for index in logits.indices {
            let bucket = Int(bucketOf[index])
            if bucket < boundary {
                keptIds.append(ids[index])
                keptLogits.append(logits[index])
            } else if bucket == boundary {
                edge.append(index)
            }
        }
        edge.sort { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : ids[$0] < ids[$1] }
        for index in edge {
            keptIds.append(ids[index])
            keptLogits.append(logits[index])
            cumulative += Double(weights[index])
            if cumulative >= target { break }
        }
        if keptIds.isEmpty, let best = edge.first {
            keptIds = [ids[best]]
            keptLogits = [logits[best]]
        }
        ids = keptIds
        logits = keptLogits
        sorted = false
    }

    /// Keeps tokens with probability ≥ `minP` × the top probability, i.e. logit ≥ max + ln(minP).
    mutating func keepMinP(_ minP: Float) {
        let threshold = maxLogit + log(minP)
        var keptIds: [Int] = []
        var keptLogits: [Float] = []
        for (id, logit) in zip(ids, logits) where logit >= threshold {
            keptIds.append(id)
            keptLogits.append(logit)
        }
        if !keptIds.isEmpty {
            ids = keptIds
            logits = keptLogits
        }
    }

    /// Draws from softmax(logits / temperature) with one uniform number in [0, 1).
    func draw(temperature: Float, uniform: Double) -> Int {
        let maximum = maxLogit
        let scale = 1 / max(temperature, 1e-6)
        var weights = [Float](repeating: 0, count: logits.count)
        let total = logits.withUnsafeBufferPointer { row in
            weights.withUnsafeMutableBufferPointer { ck_exp_weights(row.baseAddress, Int64(row.count), maximum, scale, $0.baseAddress) }
        }
        var threshold = uniform * total
        for (index, weight) in weights.enumerated() {
            threshold -= Double(weight)
            if threshold < 0 { return ids[index] }
        }
        return ids[ids.count - 1]
    }
}
