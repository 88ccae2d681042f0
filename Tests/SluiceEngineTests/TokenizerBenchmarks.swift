import Foundation
import Testing
@testable import SluiceEngine

/// Timings of the text side of a request (tokenize, detokenize, render, sample)
/// on the default model. Benchmarks, not tests: they assert nothing and run only
/// with `SLUICE_BENCH=1` (use a release build:
/// `SLUICE_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter TokenizerBenchmarks`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_BENCH"] != nil))
struct TokenizerBenchmarks {
    func milliseconds(repeat count: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count { try body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(count)
    }

    func report(_ name: String, _ value: Double) {
        print("| \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) | \(String(format: "%9.3f", value)) ms |")
    }

    @Test func textPipeline() throws {
        let tokenizer = try TokenizerModelFixture.tokenizer()
        let fixture = try ReferenceFixture.load()
        var prompt = ""
        var index = 0
        while tokenizer.encode(prompt).count < 2000 {
            prompt += fixture.tokenize[index % fixture.tokenize.count].text + " "
            index += 1
        }
        let promptIds = tokenizer.encode(prompt)
        report("encode prompt (\(promptIds.count) tokens)", milliseconds(repeat: 50) { _ = tokenizer.encode(prompt) })
        report("decode prompt", milliseconds(repeat: 50) { _ = tokenizer.decode(promptIds) })
        report("incremental detokenize prompt", milliseconds(repeat: 50) {
            var detokenizer = IncrementalDetokenizer(tokenizer: tokenizer)
            for id in promptIds { _ = detokenizer.append(id) }
        })
        let word = String(repeating: "ab", count: 500_000)
        report("encode one 1 MB word (hostile input)", milliseconds { _ = tokenizer.encode(word) })
        let prose = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20_000)
        report("encode 900 kB prose", milliseconds { _ = tokenizer.encode(prose) })

        let template = try TokenizerModelFixture.chatTemplate()
        let messages = (0..<50).map { ChatMessage(role: $0 % 2 == 0 ? "user" : "assistant", content: "message \($0)") }
        report("render chat template, 50 messages", try milliseconds(repeat: 100) { _ = try template.render(messages: messages) })

        var generator = SplitMix64(seed: 1)
        let logits: [Float] = (0..<tokenizer.vocabularySize).map { _ in Float(generator.next() % 10_000) / 1000 }
        let configurations: [(String, SamplingParameters)] = [
            ("sample greedy", .greedy),
            ("sample greedy + 5 logprobs", SamplingParameters(temperature: 0, logprobs: true, topLogprobs: 5)),
            ("sample T=0.8 (full vocabulary)", SamplingParameters(temperature: 0.8)),
            ("sample top-k 40, top-p 0.95, min-p 0.05", SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05)),
            ("sample top-p 0.9 (flat logits) + penalty", SamplingParameters(temperature: 0.8, topP: 0.9, presencePenalty: 0.5)),
        ]
        for (name, parameters) in configurations {
            var sampler = Sampler(parameters: parameters, fallbackSeed: 1)
            report(name, milliseconds(repeat: 200) { _ = sampler.sample(logits: logits) })
        }
    }
}
