import Foundation
import SluiceTesting
@testable import SluiceEngine

/// llama.cpp's greedy completions for the default model (reference README:
/// `completions[i].steps[j].top` are natural-log probabilities).
struct CompletionReference: Decodable {
    struct Alternative: Decodable {
        var id: Int
        var logprob: Double
    }

    struct Step: Decodable {
        var id: Int
        var top: [Alternative]
    }

    struct Completion: Decodable {
        var prompt: String
        var tokens: [Int]
        var steps: [Step]
        var prompt_tokens: Int
    }

    var completions: [Completion]

    /// `resource`: the shared reference, or `llamacpp-long-prompts` (prompts of
    /// 56-210 tokens, scripts/engine/llamacpp_long_prompts.py).
    static func load(resource: String = "smollm2-135m-q4_1.llamacpp") throws -> CompletionReference {
        guard let url = Bundle.module.url(forResource: resource, withExtension: "json",
                                          subdirectory: "Fixtures")
        else { throw ReferenceFixture.MissingFixture() }
        return try JSONDecoder().decode(CompletionReference.self, from: Data(contentsOf: url))
    }

    /// How many leading steps must match exactly: up to (not including) the
    /// first step whose reference top-2 log-probabilities are within 0.1 nats,
    /// the reference README's near tie.
    static let nearTie = 0.1

    static func comparableSteps(_ c: Completion) -> Int {
        for (i, s) in c.steps.enumerated() where s.top.count >= 2 && s.top[0].logprob - s.top[1].logprob < nearTie {
            return i
        }
        return c.steps.count
    }
}

/// The default model loaded once for all forward tests (packing takes a second).
enum ForwardFixture {
    struct Loaded: Sendable {
        let weights: ModelWeights
        let tokenizer: Tokenizer
        let reference: CompletionReference.Completions
    }

    static let shared: Result<Loaded, any Error> = Result {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        let weights = try ModelWeights(file: file)
        let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(gguf: file))
        return Loaded(weights: weights, tokenizer: tokenizer,
                      reference: .init(items: try CompletionReference.load().completions))
    }

    static func load() throws -> Loaded { try shared.get() }

    /// A runner with its own KV pool: `sequences` slots of `blocksPerSequence` blocks.
    static func runner(_ loaded: Loaded, weights: ModelWeights? = nil, sequences: Int = 8, blocksPerSequence: Int = 8, blockSize: Int = 16,
                       storage: KVCachePool.Storage = .f16) throws -> ModelRunner {
        let weights = weights ?? loaded.weights
        let kv = try KVCachePool(config: weights.config, blockCount: sequences * blocksPerSequence,
                                 blockSize: blockSize, storage: storage)
        return try ModelRunner(weights: weights, kvCache: kv, threads: 2, maxBatchTokens: 256,
                               maxLogitRows: 16)
    }

    /// Block table of slot `slot`: a contiguous range, deliberately given in
    /// reverse order so tests exercise non-trivial page mapping.
    static func blocks(slot: Int, count: Int) -> [Int32] {
        (0..<count).map { Int32(slot * count + (count - 1 - $0)) }
    }
}

extension CompletionReference {
    /// Sendable wrapper for the decoded completions.
    struct Completions: Sendable {
        let items: [CompletionSnapshot]
        init(items: [Completion]) {
            self.items = items.map {
                CompletionSnapshot(prompt: $0.prompt, tokens: $0.tokens, promptTokens: $0.prompt_tokens,
                                   top: $0.steps.map { $0.top.map { ($0.id, $0.logprob) } },
                                   comparable: CompletionReference.comparableSteps($0))
            }
        }
    }

    struct CompletionSnapshot: Sendable {
        let prompt: String
        let tokens: [Int]
        let promptTokens: Int
        let top: [[(Int, Double)]]
        /// Steps that must match token for token (before the first near tie).
        let comparable: Int
    }
}

/// Natural-log softmax of one logit row, in double for a stable reference.
func logSoftmax(_ logits: [Float]) -> [Double] {
    let m = Double(logits.max() ?? 0)
    let lse = m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) })
    return logits.map { Double($0) - lse }
}

func argmax(_ xs: [Float]) -> Int {
    var best = 0
    for i in xs.indices where xs[i] > xs[best] { best = i }
    return best
}

/// Greedy decoding of several prompts in one batch per step; returns the
/// generated tokens per prompt. Slot i uses the blocks of `ForwardFixture.blocks(slot: slots[i])`.
func greedyBatch(_ runner: ModelRunner, prompts: [[Int32]], slots: [Int], steps: Int,
                 blocksPerSequence: Int = 8) throws -> [[Int]] {
    var outputs = [[Int]](repeating: [], count: prompts.count)
    var positions = prompts.map(\.count)
    let tables = slots.map { ForwardFixture.blocks(slot: $0, count: blocksPerSequence) }
    var batch = ForwardBatch(chunks: prompts.indices.map {
        .init(sequenceID: $0, tokens: prompts[$0], startPosition: 0, blockTable: tables[$0])
    })
    for _ in 0..<steps {
        let rows = try runner.forward(batch)
        var next = ForwardBatch()
        for (i, row) in rows.enumerated() {
            let token = argmax(row)
            outputs[i].append(token)
            next.chunks.append(.init(sequenceID: i, tokens: [Int32(token)], startPosition: positions[i],
                                     blockTable: tables[i]))
            positions[i] += 1
        }
        batch = next
    }
    return outputs
}
