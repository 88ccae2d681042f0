import CKernels

/// Runs the llama forward pass over a `ForwardBatch`, reading and writing the
/// paged KV cache. Owns the thread pool and every scratch buffer, sized at
/// creation for `maxBatchTokens` rows, so a step allocates nothing but the
/// few small index arrays it reuses.
///
/// Not thread-safe: one thread (the engine thread) calls `forward` at a time.
public final class ModelRunner: @unchecked Sendable {
    public let weights: ModelWeights
    public let kvCache: KVCachePool
    public let maxBatchTokens: Int
    public let maxLogitRows: Int
    public var config: ModelConfig { weights.config }
    public var threadCount: Int { Int(ck_pool_size(pool)) }

    let pool: OpaquePointer?
    let buffers: ForwardBuffers
    // Per-step index arrays, cleared and refilled without releasing capacity.
    var positions: [Int32] = []
    var tableOffsets: [Int32] = []
    var blockTables: [Int32] = []
    var logitRowSources: [Int] = []
    var logitChunks: [Int] = []

    /// - Parameters:
    ///   - threads: pool size (the caller's thread included); 0 = one per CPU.
    ///   - maxBatchTokens: most tokens (rows) one `forward` may carry.
    ///   - maxLogitRows: most chunks per batch that ask for logits.
    public init(weights: ModelWeights, kvCache: KVCachePool, threads: Int = 0, maxBatchTokens: Int = 512,
                maxLogitRows: Int = 64) throws(ModelError) {
        guard kvCache.layerCount == weights.config.blockCount, kvCache.kvDim == weights.config.kvDim else {
            throw .invalidBatch("KV pool was made for another model shape")
        }
        guard maxBatchTokens > 0, maxLogitRows > 0 else { throw .invalidBatch("batch limits must be positive") }
        self.weights = weights
        self.kvCache = kvCache
        self.maxBatchTokens = maxBatchTokens
        self.maxLogitRows = min(maxLogitRows, maxBatchTokens)
        guard let pool = ck_pool_create(Int32(threads)) else { throw .outOfMemory(what: "thread pool") }
        self.pool = pool
        let c = weights.config
        // Attention scores: per thread, one row of positions per query head of a KV group.
        let maxPositions = min(c.contextLength, kvCache.tokenCapacity)
        buffers = ForwardBuffers(config: c, rows: maxBatchTokens, logitRows: self.maxLogitRows,
                                 scratchPerThread: (c.headCount / c.headCountKV) * maxPositions,
                                 threads: Int(ck_pool_size(pool)))
        positions.reserveCapacity(maxBatchTokens)
        tableOffsets.reserveCapacity(maxBatchTokens)
    }

    deinit { ck_pool_destroy(pool) }

    /// Runs the batch and hands the logits (one row per chunk with
    /// `wantsLogits`, in chunk order) to `body`, whose result is returned.
    public func forward<R>(_ batch: ForwardBatch, _ body: (LogitRows) throws -> R) throws -> R {
        let logitCount = try prepare(batch)
        if batch.tokenCount > 0 { run(batch, rows: batch.tokenCount, logitCount: logitCount) }
        return try body(LogitRows(base: UnsafePointer(buffers.logits), count: logitCount,
                                  vocabSize: config.vocabSize, chunkIndices: logitChunks))
    }

    /// Convenience for tests and one-off calls: copies the logit rows out.
    public func forward(_ batch: ForwardBatch) throws(ModelError) -> [[Float]] {
        do {
            return try forward(batch) { rows in (0..<rows.count).map { Array(rows[$0]) } }
        } catch let e as ModelError {
            throw e
        } catch {
            throw .invalidBatch("\(error)")
        }
    }

    /// Validates the batch and fills the per-row index arrays.
    private func prepare(_ batch: ForwardBatch) throws(ModelError) -> Int {
        let c = config
        let n = batch.tokenCount
        guard n <= maxBatchTokens else { throw .invalidBatch("\(n) tokens exceed maxBatchTokens \(maxBatchTokens)") }
        guard batch.logitRowCount <= maxLogitRows else {
            throw .invalidBatch("\(batch.logitRowCount) logit rows exceed maxLogitRows \(maxLogitRows)")
        }
        positions.removeAll(keepingCapacity: true)
        tableOffsets.removeAll(keepingCapacity: true)
        blockTables.removeAll(keepingCapacity: true)
        logitRowSources.removeAll(keepingCapacity: true)
        logitChunks.removeAll(keepingCapacity: true)
        let blockSize = kvCache.blockSize
        for (index, chunk) in batch.chunks.enumerated() {
            let id = chunk.sequenceID
            guard !chunk.tokens.isEmpty else { throw .invalidBatch("sequence \(id): empty chunk") }
            let end = chunk.startPosition + chunk.tokens.count
            guard chunk.startPosition >= 0, end <= c.contextLength else {
                throw .invalidBatch("sequence \(id): positions \(chunk.startPosition)..<\(end) outside context \(c.contextLength)")
            }
            guard chunk.blockTable.count * blockSize >= end else {
                throw .invalidBatch("sequence \(id): \(chunk.blockTable.count) blocks cannot hold \(end) positions")
            }
            for b in chunk.blockTable where b < 0 || Int(b) >= kvCache.blockCount {
                throw .invalidBatch("sequence \(id): block \(b) outside pool of \(kvCache.blockCount)")
            }
            for t in chunk.tokens where t < 0 || Int(t) >= c.vocabSize {
                throw .invalidBatch("sequence \(id): token \(t) outside vocabulary of \(c.vocabSize)")
            }
            let offset = Int32(blockTables.count)
            blockTables.append(contentsOf: chunk.blockTable)
            for (i, token) in chunk.tokens.enumerated() {
                buffers.tokens[positions.count] = token
                positions.append(Int32(chunk.startPosition + i))
                tableOffsets.append(offset)
            }
            if chunk.wantsLogits {
                logitRowSources.append(positions.count - 1)
                logitChunks.append(index)
            }
        }
        return logitRowSources.count
    }
}
