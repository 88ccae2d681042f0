import Testing
@testable import SluiceScheduler

@Suite struct KVBlockManagerTests {
    private func key(_ tokens: [TokenID], parent: UInt64 = 0) -> CachedBlockKey {
        CachedBlockKey(parentHash: parent, tokens: tokens)
    }

    @Test func allocatesEveryBlockOnceThenRunsOut() {
        var manager = KVBlockManager(totalBlocks: 3, blockSize: 4)
        let blocks = (0..<3).compactMap { _ in manager.allocate() }
        #expect(Set(blocks).count == 3)
        #expect(manager.allocate() == nil)
        #expect(manager.usedCount == 3)
        #expect(manager.invariantViolations() == [])
    }

    @Test func releasedUncachedBlocksAreReusedBeforeCachedOnes() throws {
        var manager = KVBlockManager(totalBlocks: 2, blockSize: 4)
        let cached = try unwrapped(manager.allocate())
        let plain = try unwrapped(manager.allocate())
        manager.register(cached, key: key([1, 2, 3, 4]))
        manager.release([cached, plain])
        #expect(manager.cachedIdleCount == 1)
        #expect(manager.freeCount == 1)
        #expect(manager.allocate() == plain)
        #expect(manager.lookup(key([1, 2, 3, 4])) == cached)
        #expect(manager.allocate() == cached)  // evicted now
        #expect(manager.lookup(key([1, 2, 3, 4])) == nil)
        #expect(manager.invariantViolations() == [])
    }

    @Test func retainingAnIdleCachedBlockTakesItOffTheFreeQueue() throws {
        var manager = KVBlockManager(totalBlocks: 2, blockSize: 4)
        let block = try unwrapped(manager.allocate())
        manager.register(block, key: key([5, 6, 7, 8]))
        manager.release([block])
        manager.retain(block)
        manager.retain(block)
        #expect(manager.refCount(block) == 2)
        #expect(manager.reclaimableCount == 1)
        manager.release([block])
        #expect(manager.reclaimableCount == 1)
        manager.release([block])
        #expect(manager.reclaimableCount == 2)
        #expect(manager.invariantViolations() == [])
    }

    @Test func duplicateContentStaysPrivate() throws {
        var manager = KVBlockManager(totalBlocks: 2, blockSize: 4)
        let first = try unwrapped(manager.allocate())
        let second = try unwrapped(manager.allocate())
        manager.register(first, key: key([1, 1, 1, 1]))
        manager.register(second, key: key([1, 1, 1, 1]))
        #expect(manager.lookup(key([1, 1, 1, 1])) == first)
        #expect(!manager.isCached(second))
        #expect(manager.indexedCount == 1)
    }

    @Test func cachedBlocksAreEvictedInTheOrderTheyWereFreed() throws {
        var manager = KVBlockManager(totalBlocks: 4, blockSize: 1)
        let blocks = (0..<4).compactMap { _ in manager.allocate() }
        for (index, block) in blocks.enumerated() { manager.register(block, key: key([TokenID(index)])) }
        manager.release([blocks[2]])
        manager.release([blocks[0], blocks[1]])  // one table: its last block goes first
        manager.release([blocks[3]])
        #expect((0..<4).compactMap { _ in manager.allocate() } == [blocks[2], blocks[1], blocks[0], blocks[3]])
    }

    @Test func hashChainDependsOnParentSaltAndTokens() {
        let root = BlockHasher.root(salt: nil)
        let salted = BlockHasher.root(salt: "a")
        #expect(root != salted)
        #expect(BlockHasher.root(salt: "a") == salted)
        #expect(BlockHasher.root(salt: "") != root)
        let tokens: [TokenID] = [1, 2, 3, 4]
        #expect(BlockHasher.chain(parent: root, tokens: tokens[...]) == BlockHasher.chain(parent: root, tokens: tokens[...]))
        #expect(BlockHasher.chain(parent: root, tokens: tokens[...]) != BlockHasher.chain(parent: salted, tokens: tokens[...]))
        #expect(BlockHasher.chain(parent: root, tokens: tokens[...]) != BlockHasher.chain(parent: root, tokens: [1, 2, 4, 3][...]))
    }
}
