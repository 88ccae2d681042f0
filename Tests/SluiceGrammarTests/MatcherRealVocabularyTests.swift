import Foundation
import SluiceTesting
import Testing
@testable import SluiceEngine
@testable import SluiceGrammar

/// The matcher over the default model's real vocabulary (49,152 byte-level BPE tokens).
@Suite struct MatcherRealVocabularyTests {
    static let loaded: Result<(TokenVocabulary, Tokenizer), any Error> = Result {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        let tokenizer = try Tokenizer(vocabulary: try TokenizerVocabulary(gguf: file))
        let tokens = (0..<tokenizer.vocabularySize).map { id -> [UInt8]? in
            tokenizer.isControl(id) ? nil : tokenizer.bytes(of: id)
        }
        return (TokenVocabulary(tokens: tokens, endTokens: tokenizer.endOfGenerationIds), tokenizer)
    }

    /// Random walks that sample allowed tokens (biased toward closing, to finish): every
    /// sampled token is accepted, at some steps the mask equals accepting each token on a copy
    /// of the matcher, and every completed document parses as JSON.
    @Test(arguments: ["generic", "toolArguments", "anyOfObjects"])
    func randomWalksProduceValidJSON(name: String) throws {
        let (vocabulary, tokenizer) = try Self.loaded.get()
        let grammar = switch name {
        case "generic": MatcherJSONGrammars.generic()
        case "toolArguments": MatcherJSONGrammars.toolArguments()
        default: MatcherJSONGrammars.anyOfObjects()
        }
        let compiled = try CompiledGrammar(grammar, vocabulary: vocabulary)
        var random = SplitMix64(seed: 42)
        var completed = 0
        let closers = Set("\"]}".utf8)
        let openers = Set("[{".utf8)
        for walk in 0..<4 {
            var matcher = GrammarMatcher(compiled)
            var output: [UInt8] = []
            for step in 0..<150 {
                var allowed = MatcherTestSupport.allowed(&matcher).sorted()
                #expect(!allowed.isEmpty)
                if walk < 2 && (step == 1 || step == 30) {
                    var bruteForce: [Int] = []
                    for token in 0..<vocabulary.count {
                        var copy = matcher
                        if copy.accept(token: token) { bruteForce.append(token) }
                    }
                    #expect(allowed == bruteForce, "walk \(walk) step \(step) after \(String(decoding: output, as: UTF8.self))")
                }
                if matcher.isComplete { allowed = allowed.filter(vocabulary.endTokens.contains) }
                else if step > 20, random.next() % 10 != 0 {
                    let closing = allowed.filter {
                        let bytes = tokenizer.bytes(of: $0)
                        return bytes.contains(where: closers.contains) && !bytes.contains(where: openers.contains)
                    }
                    if !closing.isEmpty { allowed = closing }
                }
                guard let token = allowed.randomElement(using: &random) else { break }
                let ok = matcher.accept(token: token)
                #expect(ok)
                if matcher.isFinished { break }
                output += tokenizer.bytes(of: token)
            }
            guard matcher.isFinished else { print("unfinished \(name) walk \(walk): \(String(decoding: output.suffix(300), as: UTF8.self))"); continue }
            completed += 1
            let parsed = try? JSONSerialization.jsonObject(with: Data(output))
            #expect(parsed != nil, "not JSON: \(String(decoding: output, as: UTF8.self))")
        }
        #expect(completed > 0)
    }

    @Test func benchmarkRunsOverTheRealVocabulary() throws {
        let (vocabulary, _) = try Self.loaded.get()
        let result = MaskBenchmark.run(
            grammars: [MatcherJSONGrammars.generic(), MatcherJSONGrammars.toolArguments()],
            vocabulary: vocabulary, steps: 20, seed: 7)
        #expect(result.failedGrammars.isEmpty)
        #expect(result.masks == 40)
        #expect(result.maskMeanMicroseconds > 0 && result.maskP99Microseconds >= result.maskP50Microseconds)
        print(result)
        // For release-build timing outside the test target (see MaskBenchmark): writes the
        // vocabulary as one line per token (hex bytes, "-" for a control token), then the end ids.
        if let path = ProcessInfo.processInfo.environment["SLUICE_MATCHER_DUMP_VOCAB"] {
            let (tokenizerVocabulary, tokenizer) = try Self.loaded.get()
            var lines = (0..<tokenizerVocabulary.count).map { id -> String in
                tokenizer.isControl(id) ? "-" : tokenizer.bytes(of: id).map { String(format: "%02x", $0) }.joined()
            }
            lines.append(tokenizer.endOfGenerationIds.sorted().map(String.init).joined(separator: " "))
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
