import Testing
@testable import SluiceEngine

/// Paged KV cache behaviour: chunked prefill, block sizes, f16 storage,
/// and validation of batches the scheduler might get wrong.
@Suite(.serialized) struct ForwardPagedCacheTests {
    private func prompt(_ m: ForwardFixture.Loaded) -> [Int32] {
        // 23 tokens: crosses block boundaries for block sizes 4 and 16.
        m.tokenizer.encode("In machine learning, a neural network is a model inspired by the structure of the brain, and")
            .map(Int32.init)
    }

    private func lastLogits(_ runner: ModelRunner, _ tokens: [Int32], chunk: Int, table: [Int32]) throws -> [Float] {
        var start = 0
        var last: [Float] = []
        while start < tokens.count {
            let end = min(start + chunk, tokens.count)
            let rows = try runner.forward(ForwardBatch(chunks: [
                .init(sequenceID: 0, tokens: Array(tokens[start..<end]), startPosition: start, blockTable: table,
                      wantsLogits: end == tokens.count),
            ]))
            if end == tokens.count { last = rows.first ?? [] } else { #expect(rows.isEmpty) }
            start = end
        }
        return last
    }

    private func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func chunkedPrefillGivesTheSameLogitsAsOneChunk() throws {
        let m = try ForwardFixture.load()
        let tokens = prompt(m)
        #expect(tokens.count > 16)
        let table = ForwardFixture.blocks(slot: 1, count: 8)
        let whole = try lastLogits(try ForwardFixture.runner(m), tokens, chunk: tokens.count, table: table)
        let chunked = try lastLogits(try ForwardFixture.runner(m), tokens, chunk: 5, table: table)
        #expect(whole.count == m.weights.config.vocabSize)
        #expect(maxDiff(whole, chunked) < 1e-3)
        #expect(argmax(whole) == argmax(chunked))
    }

    @Test func smallBlocksInAnyOrderGiveTheSameLogits() throws {
        let m = try ForwardFixture.load()
        let tokens = prompt(m)
        let base = try lastLogits(try ForwardFixture.runner(m), tokens, chunk: tokens.count,
                                  table: ForwardFixture.blocks(slot: 0, count: 8))
        // Block size 4, blocks scattered over the pool.
        let small = try ForwardFixture.runner(m, sequences: 4, blocksPerSequence: 16, blockSize: 4)
        let scattered: [Int32] = [61, 3, 40, 17, 8, 55, 22, 30]
        let paged = try lastLogits(small, tokens, chunk: 7, table: scattered)
        #expect(maxDiff(base, paged) < 1e-3)
    }

    @Test func halfPrecisionCacheStaysCloseToFloat() throws {
        let m = try ForwardFixture.load()
        let tokens = prompt(m)
        let table = ForwardFixture.blocks(slot: 2, count: 8)
        let f32 = logSoftmax(try lastLogits(try ForwardFixture.runner(m), tokens, chunk: 9, table: table))
        let f16 = logSoftmax(try lastLogits(try ForwardFixture.runner(m, storage: .f16), tokens, chunk: 9, table: table))
        let top = f32.indices.sorted { f32[$0] > f32[$1] }.prefix(5)
        for i in top { #expect(abs(f32[i] - f16[i]) < 0.05) }
    }

    @Test func rejectsBatchesOutsideTheCacheOrVocabulary() throws {
        let m = try ForwardFixture.load()
        let runner = try ForwardFixture.runner(m, sequences: 1, blocksPerSequence: 2)
        func chunk(_ tokens: [Int32], start: Int = 0, table: [Int32] = [0, 1]) -> ForwardBatch {
            ForwardBatch(chunks: [.init(sequenceID: 9, tokens: tokens, startPosition: start, blockTable: table)])
        }
        let cases: [(ForwardBatch, String)] = [
            (chunk([1, 2, 49152]), "vocabulary"),
            (chunk([1], table: [0, 5]), "outside pool"),
            (chunk([1], start: 32), "cannot hold"),
            (chunk([1], start: -1), "outside context"),
            (chunk([]), "empty"),
            (ForwardBatch(chunks: Array(repeating: chunk([1]).chunks[0], count: 17)), "maxLogitRows"),
            (chunk([Int32](repeating: 1, count: 300), table: Array(0..<32)), "maxBatchTokens"),
        ]
        for (batch, needle) in cases {
            let e = #expect(throws: ModelError.self, "\(needle)") { try runner.forward(batch) }
            guard case let .invalidBatch(reason) = e, reason.contains(needle) else {
                Issue.record("expected \(needle), got \(String(describing: e))")
                continue
            }
        }
    }

    @Test func emptyBatchReturnsNoRows() throws {
        let m = try ForwardFixture.load()
        let runner = try ForwardFixture.runner(m, sequences: 1, blocksPerSequence: 1)
        #expect(try runner.forward(ForwardBatch()).isEmpty)
    }
}
