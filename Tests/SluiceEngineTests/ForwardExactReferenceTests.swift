import Foundation
import SluiceTesting
import Testing
@testable import SluiceEngine

/// With weights dequantized to f32 and an f32 KV cache, the forward pass must
/// reproduce an independent float64 implementation (numpy over gguf's own
/// dequantizers: scripts/engine/reference_forward.py, fixture written by
/// scripts/engine/make-f64-fixture.sh) almost exactly. This pins RoPE, norms,
/// GQA attention, SwiGLU and the tied output with no quantization noise.
@Suite(.serialized) struct ForwardExactReferenceTests {
    struct Fixture: Decodable {
        var prompts: [[Int32]]
        var top: [[[Double]]]  // per prompt: [[id, logprob]] x 10
    }

    @Test func float32PathMatchesFloat64Reference() throws {
        guard let url = Bundle.module.url(forResource: "engine-f64-reference", withExtension: "json",
                                          subdirectory: "Fixtures") else { throw ReferenceFixture.MissingFixture() }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let m = try ForwardFixture.load()
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        let exact = try ModelWeights(file: file, format: .float32)
        let runner = try ForwardFixture.runner(m, weights: exact, sequences: 2, blocksPerSequence: 8, storage: .f32)
        var worst = 0.0
        for (prompt, top) in zip(fixture.prompts, fixture.top) {
            let rows = try runner.forward(ForwardBatch(chunks: [
                .init(sequenceID: 0, tokens: prompt, startPosition: 0, blockTable: ForwardFixture.blocks(slot: 1, count: 8)),
            ]))
            let lp = logSoftmax(try #require(rows.first))
            for pair in top {
                let diff = abs(lp[Int(pair[0])] - pair[1])
                worst = max(worst, diff)
                #expect(diff < 0.01, "prompt \(prompt.prefix(4))...: token \(Int(pair[0]))")
            }
        }
        #expect(fixture.prompts.count == 9)
        print("f32 path worst |logprob - float64| = \(worst)")
    }
}
