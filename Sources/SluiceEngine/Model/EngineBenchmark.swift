/// Throughput measurements of the forward pass in the shapes llama.cpp's
/// `llama-bench` and `llama-batched-bench` report (reference README): prompt
/// processing of N tokens, single-sequence decode, and aggregate decode of
/// many sequences stepping together. Token ids are deterministic pseudo-random
/// (the content does not change the cost); decode picks the argmax.
public struct EngineBenchmark {
    public struct Result: Sendable {
        public var name: String
        public var tokens: Int
        public var seconds: Double
        public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
    }

    public let runner: ModelRunner
    private var seed: UInt64 = 0x243F_6A88_85A3_08D3

    public init(runner: ModelRunner) {
        self.runner = runner
    }

    private mutating func randomTokens(_ n: Int) -> [Int32] {
        let vocab = UInt64(runner.config.vocabSize)
        return (0..<n).map { _ in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32((seed >> 33) % vocab)
        }
    }

    private func table(slot: Int, blocks: Int) -> [Int32] {
        (0..<blocks).map { Int32(slot * blocks + $0) }
    }

    /// One forward pass over a `tokens`-long prompt (best of `repeats`).
    public mutating func promptProcessing(tokens: Int, repeats: Int = 3) throws(ModelError) -> Result {
        let blocks = runner.kvCache.blocksNeeded(forTokens: tokens)
        var best = Double.infinity
        for _ in 0..<repeats {
            let prompt = randomTokens(tokens)
            let start = ContinuousClock.now
            try prefill([prompt], blocksPerSequence: blocks)
            best = min(best, seconds(since: start))
        }
        return Result(name: "prompt processing \(tokens)", tokens: tokens, seconds: best)
    }

    /// `sequences` prompts of `promptTokens` are prefilled (not timed), then
    /// all decode `steps` tokens in lock-step batches; aggregate tokens/s.
    public mutating func decode(sequences: Int, promptTokens: Int, steps: Int) throws(ModelError) -> Result {
        let blocks = runner.kvCache.blocksNeeded(forTokens: promptTokens + steps)
        let prompts = (0..<sequences).map { _ in randomTokens(promptTokens) }
        var next = try prefill(prompts, blocksPerSequence: blocks)
        let start = ContinuousClock.now
        for step in 0..<steps {
            let batch = ForwardBatch(chunks: (0..<sequences).map {
                .init(sequenceID: $0, tokens: [next[$0]], startPosition: promptTokens + step,
                      blockTable: table(slot: $0, blocks: blocks))
            })
            next = try argmaxes(batch)
        }
        return Result(name: "decode \(steps), \(sequences) seq, \(promptTokens)-token prompt", tokens: steps * sequences,
                      seconds: seconds(since: start))
    }

    /// Prefills prompts in batches of at most `maxBatchTokens`; returns each
    /// sequence's first generated token.
    @discardableResult
    private func prefill(_ prompts: [[Int32]], blocksPerSequence: Int) throws(ModelError) -> [Int32] {
        var next = [Int32](repeating: 0, count: prompts.count)
        var batch = ForwardBatch()
        var slots: [Int] = []
        func flush() throws(ModelError) {
            guard !batch.chunks.isEmpty else { return }
            let tokens = try argmaxes(batch)
            for (i, slot) in slots.enumerated() { next[slot] = tokens[i] }
            batch = ForwardBatch()
            slots = []
        }
        for (slot, prompt) in prompts.enumerated() {
            var start = 0
            while start < prompt.count {
                let room = runner.maxBatchTokens - batch.tokenCount
                if room == 0 || batch.logitRowCount == runner.maxLogitRows { try flush(); continue }
                let end = min(prompt.count, start + room)
                batch.chunks.append(.init(sequenceID: slot, tokens: Array(prompt[start..<end]), startPosition: start,
                                          blockTable: table(slot: slot, blocks: blocksPerSequence),
                                          wantsLogits: end == prompt.count))
                if end == prompt.count { slots.append(slot) }
                start = end
            }
        }
        try flush()
        return next
    }

    private func argmaxes(_ batch: ForwardBatch) throws(ModelError) -> [Int32] {
        do {
            return try runner.forward(batch) { rows in
                (0..<rows.count).map { r in
                    let row = rows[r]
                    var best = 0
                    for i in row.indices where row[i] > row[best] { best = i }
                    return Int32(best)
                }
            }
        } catch let e as ModelError {
            throw e
        } catch {
            throw .invalidBatch("\(error)")
        }
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
