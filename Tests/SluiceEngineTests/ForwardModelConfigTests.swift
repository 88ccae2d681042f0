import SluiceTesting
import Testing
@testable import SluiceEngine

@Suite struct ForwardModelConfigTests {
    @Test func readsSmolLM2HyperParameters() throws {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        let c = try ModelConfig(file: file)
        #expect(c == ModelConfig(embeddingLength: 576, blockCount: 30, headCount: 9, headCountKV: 3,
                                 feedForwardLength: 1536, contextLength: 8192, vocabSize: 49152,
                                 ropeFreqBase: 100_000, ropeDimensionCount: 64, rmsNormEpsilon: 1e-5))
        #expect(c.headDim == 64)
        #expect(c.kvDim == 192)
    }

    private func image(_ extra: [(String, GGUFValue)] = [], arch: String = "llama") -> GGUFTestImage {
        var image = GGUFTestImage()
        image.metadata = [
            ("general.architecture", .string(arch)), ("llama.embedding_length", .uint32(64)),
            ("llama.block_count", .uint32(1)), ("llama.attention.head_count", .uint32(4)),
            ("llama.feed_forward_length", .uint32(128)), ("llama.context_length", .uint32(256)),
            ("llama.vocab_size", .uint32(100)),
        ] + extra
        return image
    }

    @Test func appliesLlamaCppDefaultsForOptionalKeys() throws {
        let c = try ModelConfig(file: GGUFFile(bytes: image().bytes()))
        #expect(c.headCountKV == 4)
        #expect(c.ropeFreqBase == 10000)
        #expect(c.ropeDimensionCount == 16)
        #expect(c.rmsNormEpsilon == 1e-5)
    }

    @Test func rejectsOtherArchitecturesAndBadShapes() throws {
        #expect(throws: ModelError.unsupportedArchitecture("qwen2")) {
            try ModelConfig(file: GGUFFile(bytes: image(arch: "qwen2").bytes()))
        }
        let bad: [(String, GGUFValue)] = [
            ("llama.attention.head_count_kv", .uint32(3)), ("llama.rope.dimension_count", .uint32(17)),
            ("llama.rope.freq_base", .float32(-1)), ("llama.attention.layer_norm_rms_epsilon", .float32(0)),
        ]
        for kv in bad {
            let e = #expect(throws: ModelError.self, "\(kv.0)") { try ModelConfig(file: GGUFFile(bytes: image([kv]).bytes())) }
            guard case let .invalidHyperParameter(key, _) = e, key == kv.0 else {
                Issue.record("\(kv.0): got \(String(describing: e))")
                continue
            }
        }
        var missing = image()
        missing.metadata.removeAll { $0.key == "llama.block_count" }
        #expect(throws: ModelError.file(.missingKey("llama.block_count"))) {
            try ModelConfig(file: GGUFFile(bytes: missing.bytes()))
        }
    }

    @Test func weightsRejectMissingTensors() throws {
        let e = #expect(throws: ModelError.self) { try ModelWeights(file: GGUFFile(bytes: image().bytes())) }
        #expect(e == .file(.missingTensor("token_embd.weight")))
    }
}
