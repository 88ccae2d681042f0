import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice generate`: runs the local engine on one prompt and prints the
/// continuation as it is produced, then prompt and decode speeds on stderr.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a continuation of a prompt with the local engine."
    )

    @Option(help: "Path of a GGUF model (llama architecture).")
    var model: String

    @Option(help: "Prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt as a user message in the model's chat template.")
    var chat = false

    @Option(help: "Maximum tokens to generate.")
    var maxTokens: Int = 128

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads (0 = one per CPU).")
    var threads: Int = 0

    @Option(help: "KV cache element type: f16 (llama.cpp's default and rounding) or f32.")
    var kvCacheType: String = "f16"

    @Option(help: "Kernel rounding: llama.cpp (bit-identical to llama.cpp) or fast.")
    var numerics: String = KernelNumerics.llamaCpp.rawValue

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be >= 0") }
        guard threads >= 0 else { throw ValidationError("--threads must be >= 0") }
        guard kvCacheType == "f16" || kvCacheType == "f32" else { throw ValidationError("--kv-cache-type must be f16 or f32") }
        guard KernelNumerics(rawValue: numerics) != nil else { throw ValidationError("--numerics must be llama.cpp or fast") }
    }

    func run() throws {
        KernelNumerics(rawValue: numerics)?.activate()
        let file = try GGUFFile(path: model)
        let weights = try ModelWeights(file: file)
        let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(gguf: file))
        let text: String
        if chat {
            let template = try ChatTemplate.forModel(gguf: file, tokenizer: tokenizer)
            text = try template.render(messages: [ChatMessage(role: "user", content: prompt)])
        } else {
            text = prompt
        }
        let promptTokens = tokenizer.encode(text, addSpecialTokens: true, parseSpecial: chat).map(Int32.init)
        guard !promptTokens.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        let total = min(promptTokens.count + maxTokens, weights.config.contextLength)
        guard total > promptTokens.count else { throw ValidationError("prompt fills the context") }

        let blockSize = 16
        let blocks = (total + blockSize - 1) / blockSize
        let kv = try KVCachePool(config: weights.config, blockCount: blocks, blockSize: blockSize,
                                 storage: kvCacheType == "f16" ? .f16 : .f32)
        let runner = try ModelRunner(weights: weights, kvCache: kv, threads: threads, maxBatchTokens: 512,
                                     maxLogitRows: 1)
        let table = (0..<blocks).map { Int32($0) }
        var sampler = Sampler(parameters: SamplingParameters(temperature: temperature, seed: seed), fallbackSeed: seed)
        var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
        let clock = ContinuousClock()

        // Prefill in chunks of the runner's batch limit; sample from the last.
        var next = 0
        let prefillTime = try clock.measure {
            var start = 0
            while start < promptTokens.count {
                let end = min(promptTokens.count, start + runner.maxBatchTokens)
                let batch = ForwardBatch(chunks: [.init(sequenceID: 0, tokens: Array(promptTokens[start..<end]),
                                                        startPosition: start, blockTable: table,
                                                        wantsLogits: end == promptTokens.count)])
                try runner.forward(batch) { rows in
                    if rows.count == 1 { next = sampler.sample(logits: rows[0]).token }
                }
                start = end
            }
        }

        var generated = 0
        let decodeTime = try clock.measure {
            var position = promptTokens.count
            while true {
                generated += 1
                if tokenizer.endOfGenerationIds.contains(next) { break }
                emit(detokenizer.append(next))
                if generated >= maxTokens || position + 1 > total { break }
                let batch = ForwardBatch(chunks: [.init(sequenceID: 0, tokens: [Int32(next)], startPosition: position,
                                                        blockTable: table)])
                try runner.forward(batch) { rows in next = sampler.sample(logits: rows[0]).token }
                position += 1
            }
        }
        emit(detokenizer.finish() + "\n")
        let prefillSeconds = seconds(prefillTime)
        let decodeSeconds = seconds(decodeTime)
        let stats = String(format: "prompt: %d tokens, %.1f tokens/s | generated: %d tokens, %.1f tokens/s | threads %d\n",
                           promptTokens.count, Double(promptTokens.count) / max(prefillSeconds, 1e-9),
                           generated, Double(max(generated - 1, 0)) / max(decodeSeconds, 1e-9), runner.threadCount)
        FileHandle.standardError.write(Data(stats.utf8))
    }

    private func emit(_ s: String) {
        guard !s.isEmpty else { return }
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
