import ArgumentParser
import Foundation
import SluiceAPI
import SluiceEngine
import SluiceGateway
import SluiceGrammar

/// `sluice bench-grammar`: the constrained decoder's own costs over a corpus of JSON Schemas on a
/// model's real vocabulary: schema → grammar compile, grammar → vocabulary preparation, and the
/// token mask of every step of random walks through each grammar (MaskBench's measures).
struct BenchGrammarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-grammar",
        abstract: "Measure schema compile time and per-token mask time of constrained decoding."
    )

    @Option(help: "Path of a GGUF model (its vocabulary is masked).")
    var model: String

    @Option(help: "A directory of JSON Schema files (*.json), one schema each.")
    var corpus: String

    @Option(help: "Masks timed per schema (random walks through its grammar, as many as needed).")
    var steps: Int = 200

    @Option(help: "Seed of the random walks.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        let file = try GGUFFile(path: model)
        let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(gguf: file))
        let vocabulary = GrammarCache.vocabulary(of: tokenizer)
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw ValidationError("--corpus: no *.json files in \(corpus)") }
        var grammars: [Grammar] = []
        var schemaMilliseconds: [Double] = []
        var refused: [String] = []
        let clock = ContinuousClock()
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: corpus).appendingPathComponent(name)))
            let schema = try JSONParser.parse(bytes)
            let started = clock.now
            var builder = GrammarBuilder()
            do {
                let root = try JSONSchemaCompiler().compile(schema, into: &builder)
                grammars.append(builder.build(root: root))
                schemaMilliseconds.append(Self.milliseconds(clock.now - started))
            } catch {
                refused.append("\(name): \(error)")
            }
        }
        // First pass: every cache cold (what the first request of a new schema pays). Second pass:
        // the vocabulary's shared caches (strings, numbers: call-free rules) warm, as in a server
        // that has served other schemas; each grammar is compiled afresh in both.
        let result = MaskBenchmark.run(grammars: grammars, vocabulary: vocabulary, steps: steps, seed: seed)
        let second = MaskBenchmark.run(grammars: grammars, vocabulary: vocabulary, steps: steps, seed: seed &+ 1)
        let sortedSchema = schemaMilliseconds.sorted()
        let schemaMean = sortedSchema.reduce(0, +) / Double(max(1, sortedSchema.count))
        let schemaP99 = sortedSchema.isEmpty ? 0 : sortedSchema[min(sortedSchema.count - 1, Int(Double(sortedSchema.count) * 0.99))]
        if json {
            let fields: [(String, String)] = [
                ("schemas", "\(names.count)"), ("refused", "\(refused.count)"), ("vocabulary", "\(vocabulary.count)"),
                ("masks", "\(result.masks)"), ("mean_us", Self.format(result.maskMeanMicroseconds)),
                ("p50_us", Self.format(result.maskP50Microseconds)), ("p99_us", Self.format(result.maskP99Microseconds)),
                ("max_us", Self.format(result.maskMaxMicroseconds)),
                ("schema_compile_ms_mean", Self.format(schemaMean)), ("schema_compile_ms_p99", Self.format(schemaP99)),
                ("compile_ms_mean", Self.format(result.compileMeanMilliseconds)),
                ("compile_ms_p99", Self.format(result.compileP99Milliseconds)),
                ("compile_ms_max", Self.format(result.compileMaxMilliseconds)),
                ("walks", "\(result.walks)"), ("completed_walks", "\(result.completedWalks)"),
                ("warm_mean_us", Self.format(second.maskMeanMicroseconds)), ("warm_p50_us", Self.format(second.maskP50Microseconds)),
                ("warm_p99_us", Self.format(second.maskP99Microseconds)), ("warm_max_us", Self.format(second.maskMaxMicroseconds)),
                ("warm_compile_ms_mean", Self.format(second.compileMeanMilliseconds)),
                ("warm_compile_ms_p99", Self.format(second.compileP99Milliseconds)),
                ("check_us_mean", Self.format(result.checkMeanMicroseconds)), ("restrictions", "\(result.restrictions)"),
                ("restrict_us_mean", Self.format(result.restrictMeanMicroseconds)),
                ("restrict_us_p99", Self.format(result.restrictP99Microseconds)),
            ]
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            print("schemas \(names.count) (refused \(refused.count)), vocabulary \(vocabulary.count) tokens")
            print(String(format: "schema → grammar: mean %.3f ms, p99 %.3f ms", schemaMean, schemaP99))
            print("first pass (caches cold): " + result.description)
            print("second pass (shared caches warm): " + second.description)
        }
        for line in refused { FileHandle.standardError.write(Data("refused: \(line)\n".utf8)) }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
