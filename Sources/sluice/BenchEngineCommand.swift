import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice bench-engine`: the engine throughput table of bench/engine.sh
/// (shapes of llama-bench and llama-batched-bench), as Markdown on stdout.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-engine",
        abstract: "Measure prefill and decode throughput of the local engine."
    )

    @Option(help: "Path of a GGUF model.")
    var model: String

    @Option(help: "Worker threads.")
    var threads: Int = 2

    @Option(help: "Sequence counts for aggregate decode (comma separated).")
    var sequences: String = "1,4,16,32"

    @Option(help: "KV cache storage: f16 or f32.")
    var kv: String = "f16"

    @Option(help: "Kernel rounding: llama.cpp (bit-identical to llama.cpp) or fast.")
    var numerics: String = KernelNumerics.llamaCpp.rawValue

    func run() throws {
        let counts = sequences.split(separator: ",").compactMap { Int($0) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 && $0 <= 64 }) else {
            throw ValidationError("--sequences: 1...64 each")
        }
        guard kv == "f16" || kv == "f32" else { throw ValidationError("--kv: f16 or f32") }
        guard let rounding = KernelNumerics(rawValue: numerics) else { throw ValidationError("--numerics: llama.cpp or fast") }
        rounding.activate()
        let file = try GGUFFile(path: model)
        let weights = try ModelWeights(file: file)
        let maxSeq = counts.max() ?? 1
        let blocksPerSeq = (128 + 64 + 15) / 16
        let kvPool = try KVCachePool(config: weights.config, blockCount: maxSeq * blocksPerSeq, blockSize: 16,
                                     storage: kv == "f16" ? .f16 : .f32)
        let runner = try ModelRunner(weights: weights, kvCache: kvPool, threads: threads, maxBatchTokens: 512,
                                     maxLogitRows: 64)
        var bench = EngineBenchmark(runner: runner)
        // Sluice's own figures only: a ratio to llama.cpp is valid only when both run side by side on
        // one machine in one run, which this command does not do.
        var rows: [EngineBenchmark.Result] = []
        rows.append(try bench.promptProcessing(tokens: 128))
        rows.append(try bench.decode(sequences: 1, promptTokens: 1, steps: 64))
        for n in counts { rows.append(try bench.decode(sequences: n, promptTokens: 128, steps: 64)) }
        var out = "| measure | tokens | seconds | tokens/s |\n|---|---|---|---|\n"
        for r in rows {
            out += String(format: "| %@ | %d | %.3f | %.1f |\n", r.name, r.tokens, r.seconds, r.tokensPerSecond)
        }
        let fileMB = Double(file.fileSize) / 1e6
        let kvMB = Double(kvPool.byteCount) / 1e6
        let rssMB = Double(residentBytes()) / 1e6
        out += String(format: "\nthreads %d, numerics %@, KV %@ (%.1f MB pool), model file %.1f MB, packed weights %.1f MB, "
                      + "peak RSS %.1f MB (budget file + KV + 150 = %.1f MB)\n",
                      runner.threadCount, numerics, kv, kvMB, fileMB, Double(weights.packedByteCount) / 1e6, rssMB,
                      fileMB + kvMB + 150)
        print(out, terminator: "")
    }

    /// Peak resident set (VmHWM) from /proc; 0 where unavailable.
    private func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}
