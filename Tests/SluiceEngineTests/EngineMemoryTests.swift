import SluiceTesting
import Testing
@testable import SluiceEngine

/// Memory-facing parts of the engine API: KV pool sizing and dropping mapped
/// weight pages without losing their contents.
@Suite struct EngineMemoryTests {
    private func smallConfig() -> ModelConfig {
        ModelConfig(embeddingLength: 64, blockCount: 2, headCount: 4, headCountKV: 2, feedForwardLength: 128,
                    contextLength: 256, vocabSize: 100, ropeFreqBase: 10000, ropeDimensionCount: 16,
                    rmsNormEpsilon: 1e-5)
    }

    @Test func kvPoolSizeFollowsBlocksLayersAndStorage() throws {
        let c = smallConfig()
        let f16 = try KVCachePool(config: c, blockCount: 10, blockSize: 16)
        #expect(f16.storage == .f16)
        // 10 blocks x 16 slots x kvDim 32 x 2 bytes x (K, V) x 2 layers
        #expect(f16.byteCount == 10 * 16 * 32 * 2 * 2 * 2)
        let f32 = try KVCachePool(config: c, blockCount: 10, blockSize: 16, storage: .f32)
        #expect(f32.byteCount == 2 * f16.byteCount)
        #expect(f16.tokenCapacity == 160)
        #expect(f16.blocksNeeded(forTokens: 0) == 0)
        #expect(f16.blocksNeeded(forTokens: 16) == 1)
        #expect(f16.blocksNeeded(forTokens: 17) == 2)
    }

    @Test func kvPoolRejectsNonPositiveOrOverflowingSizes() {
        let c = smallConfig()
        #expect(throws: ModelError.self) { try KVCachePool(config: c, blockCount: 0) }
        #expect(throws: ModelError.self) { try KVCachePool(config: c, blockCount: 4, blockSize: 0) }
        #expect(throws: ModelError.self) { try KVCachePool(config: c, blockCount: Int.max / 2, blockSize: 16) }
    }

    @Test func droppedWeightPagesReadBackUnchanged() throws {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        let info = try #require(file.tensor(named: "blk.3.ffn_up.weight"))
        let before = Array(file.data(of: info))
        file.dropResidentPages(of: info)
        #expect(Array(file.data(of: info)) == before)
    }

    @Test func droppingPagesOfAnInMemoryImageKeepsItsBytes() throws {
        var image = GGUFTestImage()
        image.addTensor("w", shape: [4096], fill: 7)
        let file = try GGUFFile(bytes: image.bytes())
        let info = try #require(file.tensor(named: "w"))
        file.dropResidentPages(of: info)
        #expect(file.data(of: info).allSatisfy { $0 == 7 })
    }
}
