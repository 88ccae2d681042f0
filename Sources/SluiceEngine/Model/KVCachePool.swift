/// Paged key/value storage shared by all sequences (vLLM-style PagedAttention).
///
/// Memory is `blockCount` fixed-size blocks of `blockSize` token slots, per
/// layer, for K and V: layout `[layer][block][slot][nKVHeads * headDim]`.
/// Blocks are handed out by the caller (the scheduler's block manager): a
/// sequence's `blockTable` lists its blocks in position order, so position p
/// lives in block `blockTable[p / blockSize]`, slot `p % blockSize`. This type
/// only owns the memory; it keeps no free list.
public final class KVCachePool: @unchecked Sendable {
    // @unchecked: the memory is written only by the (single) ModelRunner thread
    // driving forward passes; the scheduler only deals in block indices.
    public enum Storage: Sendable {
        case f32
        /// IEEE half: half the memory, a little rounding (llama.cpp's default).
        case f16

        var bytes: Int { self == .f32 ? 4 : 2 }
    }

    public let blockCount: Int
    public let blockSize: Int
    public let layerCount: Int
    public let kvDim: Int
    public let storage: Storage
    private let base: UnsafeMutableRawPointer
    private let layerBytes: Int

    /// Total bytes held (K and V, every layer).
    public var byteCount: Int { layerBytes * 2 * layerCount }
    public var tokenCapacity: Int { blockCount * blockSize }

    public init(config: ModelConfig, blockCount: Int, blockSize: Int = 16,
                storage: Storage = .f16) throws(ModelError) {
        guard blockCount > 0, blockSize > 0, blockCount <= Int(Int32.max) / blockSize else {
            throw .invalidBatch("KV pool needs positive block count and size (got \(blockCount) x \(blockSize))")
        }
        self.blockCount = blockCount
        self.blockSize = blockSize
        layerCount = config.blockCount
        kvDim = config.kvDim
        self.storage = storage
        let (lb, o1) = (blockCount * blockSize).multipliedReportingOverflow(by: kvDim * storage.bytes)
        let (total, o2) = lb.multipliedReportingOverflow(by: 2 * layerCount)
        guard !o1, !o2 else { throw .outOfMemory(what: "KV pool (size overflows)") }
        layerBytes = lb
        base = .allocate(byteCount: max(total, 64), alignment: 64)
        // Touch nothing else: pages are committed as sequences write them.
    }

    deinit { base.deallocate() }

    /// Base of layer `layer`'s K storage (`[block][slot][kvDim]`).
    func keys(layer: Int) -> UnsafeMutableRawPointer { base + layerBytes * (2 * layer) }
    func values(layer: Int) -> UnsafeMutableRawPointer { base + layerBytes * (2 * layer + 1) }

    /// Blocks needed to hold `tokens` positions.
    public func blocksNeeded(forTokens tokens: Int) -> Int { (tokens + blockSize - 1) / blockSize }
}
