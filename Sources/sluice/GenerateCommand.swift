import ArgumentParser
import Foundation
import SluiceEngine
import SluiceGateway

/// `sluice generate`: runs one prompt through the same local backend `sluice serve` uses (engine
/// service, scheduler, sampler, detokenizer, stop handling) and prints the continuation as it is
/// produced, then prompt and decode speeds on stderr.
struct GenerateCommand: AsyncParsableCommand {
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

    func run() async throws {
        var settings = InferenceConfiguration()
        settings.threads = threads > 0 ? threads : nil
        settings.kvCacheFloat32 = kvCacheType == "f32"
        settings.numerics = KernelNumerics(rawValue: numerics) ?? .llamaCpp
        settings.maxSequences = 1
        // One sequence of at most the (capped) context: 4096 tokens of 16-token blocks.
        settings.kvBlocks = 4096 / settings.blockSize
        let engine: LocalEngine
        let promptTokens: [Int32]
        do throws(GatewayError) {
            engine = try LocalEngine.load(path: model, id: ModelFile.defaultModelID(path: model), settings: settings)
            promptTokens = try engine.model.prompt(prompt, asChatTurn: chat)
        } catch {
            throw ValidationError(error.message)
        }
        defer { engine.service.stop() }
        guard !promptTokens.isEmpty else { throw ValidationError("the prompt encodes to no tokens") }
        let room = engine.model.maxModelLength - promptTokens.count
        guard room > 0 else { throw ValidationError("prompt fills the context") }

        let job = InferenceJob(prompts: [promptTokens], maxNewTokens: min(maxTokens, room),
                               sampling: SamplingParameters(temperature: temperature, seed: seed))
        let clock = ContinuousClock()
        let submitted = clock.now
        let handle: InferenceHandle
        switch engine.service.submit(job) {
        case .success(let admitted): handle = admitted
        case .failure(let failure): throw ValidationError("the engine refused the prompt: \(failure)")
        }
        var firstTokenAt: ContinuousClock.Instant?
        var usage: GenerationUsage?
        for await event in handle.events {
            if firstTokenAt == nil, handle.progress.completionTokens > 0 { firstTokenAt = clock.now }
            switch event {
            case let .delta(_, text, _): emit(text)
            case .finished: break
            case let .completed(total): usage = total
            case let .failed(failure): throw ValidationError("generation failed: \(failure)")
            }
        }
        let finished = clock.now
        emit("\n")
        let generated = usage?.completionTokens ?? handle.progress.completionTokens
        let prefillSeconds = seconds((firstTokenAt ?? finished) - submitted)
        let decodeSeconds = seconds(finished - (firstTokenAt ?? finished))
        let stats = String(format: "prompt: %d tokens, %.1f tokens/s | generated: %d tokens, %.1f tokens/s | threads %d\n",
                           promptTokens.count, Double(promptTokens.count) / max(prefillSeconds, 1e-9),
                           generated, Double(max(generated - 1, 0)) / max(decodeSeconds, 1e-9),
                           threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
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
