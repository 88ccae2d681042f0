// Paged KV bookkeeping (vLLM's BlockPool, docs/design/prefix_caching.md): reference counts, a free
// queue ordered for eviction, and the prefix-cache index. The KV bytes themselves live in the executor.
//
// Every block is in exactly one state:
//   used   refCount > 0 (may also carry a cache key: a shared prefix block)
//   cached refCount == 0 with a cache key: reusable by a prefix hit, evicted when a block is needed
//   free   refCount == 0 without a key
// The free queue holds exactly the cached and free blocks. Allocation pops its head; plain free
// blocks are pushed at the head and cached ones at the tail, so cached blocks are evicted last and
// in least-recently-freed order.

public struct KVBlockManager: Sendable {
    public let blockSize: Int
    public let totalBlocks: Int

    private(set) var refCounts: [Int32]
    private var keys: [CachedBlockKey?]
    private var index: [CachedBlockKey: BlockID] = [:]

    // Intrusive doubly linked list over block ids; -1 is the end marker.
    private var next: [BlockID]
    private var prev: [BlockID]
    private var inQueue: [Bool]
    private var head: BlockID = -1
    private var tail: BlockID = -1
    /// Blocks in the free queue (free + cached).
    public private(set) var reclaimableCount: Int = 0
    /// Of those, blocks that carry a cache key.
    public private(set) var cachedIdleCount: Int = 0

    public init(totalBlocks: Int, blockSize: Int) {
        self.blockSize = blockSize
        self.totalBlocks = totalBlocks
        refCounts = Array(repeating: 0, count: totalBlocks)
        keys = Array(repeating: nil, count: totalBlocks)
        next = Array(repeating: -1, count: totalBlocks)
        prev = Array(repeating: -1, count: totalBlocks)
        inQueue = Array(repeating: false, count: totalBlocks)
        for block in 0..<totalBlocks { pushBack(BlockID(block)) }
    }

    /// Blocks with a reference (owned by at least one sequence).
    public var usedCount: Int { totalBlocks - reclaimableCount }
    /// Blocks neither used nor cached.
    public var freeCount: Int { reclaimableCount - cachedIdleCount }
    /// Blocks in the prefix-cache index (used or idle).
    public var indexedCount: Int { index.count }

    public func blocksNeeded(forTokens tokens: Int) -> Int { (tokens + blockSize - 1) / blockSize }

    public func refCount(_ block: BlockID) -> Int { Int(refCounts[Int(block)]) }
    public func isCached(_ block: BlockID) -> Bool { keys[Int(block)] != nil }
    func cacheKey(of block: BlockID) -> CachedBlockKey? { keys[Int(block)] }

    /// Takes the head of the free queue, evicting its cache entry if it had one. `nil` when every block is used.
    mutating func allocate() -> BlockID? {
        guard head >= 0 else { return nil }
        let block = head
        remove(block)
        if let key = keys[Int(block)] {
            index[key] = nil
            keys[Int(block)] = nil
        }
        refCounts[Int(block)] = 1
        return block
    }

    /// Adds a reference to a block found in the prefix cache, taking it off the free queue if idle.
    mutating func retain(_ block: BlockID) {
        if refCounts[Int(block)] == 0 { remove(block) }
        refCounts[Int(block)] += 1
    }

    /// Drops one reference per block. Pass a sequence's table in order: blocks are released last
    /// first, so a request's tail blocks (least likely to be shared) are evicted before its head.
    mutating func release(_ blocks: [BlockID]) {
        for block in blocks.reversed() {
            refCounts[Int(block)] -= 1
            guard refCounts[Int(block)] == 0 else { continue }
            if keys[Int(block)] != nil { pushBack(block) } else { pushFront(block) }
        }
    }

    /// The block holding exactly this content, if cached.
    func lookup(_ key: CachedBlockKey) -> BlockID? { index[key] }

    /// Whether a cached block is idle (a hit on it consumes one reclaimable block).
    func isIdle(_ block: BlockID) -> Bool { refCounts[Int(block)] == 0 }

    /// Publishes a used, fully computed block under `key`. A block with the same content computed by
    /// another sequence may already be indexed: then this one stays private (vLLM tolerates such duplicates).
    mutating func register(_ block: BlockID, key: CachedBlockKey) {
        guard index[key] == nil, keys[Int(block)] == nil else { return }
        index[key] = block
        keys[Int(block)] = key
    }

    /// Violations of the state invariants above, for tests.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var queued = 0
        var queuedCached = 0
        var cursor = head
        var previous: BlockID = -1
        while cursor >= 0 {
            if !inQueue[Int(cursor)] { problems.append("block \(cursor) linked but not marked queued") }
            if prev[Int(cursor)] != previous { problems.append("block \(cursor) has a broken back link") }
            if refCounts[Int(cursor)] != 0 { problems.append("block \(cursor) queued with refCount \(refCounts[Int(cursor)])") }
            if keys[Int(cursor)] != nil { queuedCached += 1 }
            queued += 1
            if queued > totalBlocks { problems.append("free queue has a cycle"); break }
            previous = cursor
            cursor = next[Int(cursor)]
        }
        if tail != previous { problems.append("tail \(tail) is not the last queued block \(previous)") }
        if queued != reclaimableCount { problems.append("queue length \(queued) != reclaimableCount \(reclaimableCount)") }
        if queuedCached != cachedIdleCount { problems.append("cached idle \(queuedCached) != \(cachedIdleCount)") }
        for block in 0..<totalBlocks {
            if refCounts[block] < 0 { problems.append("block \(block) has negative refCount") }
            if (refCounts[block] == 0) != inQueue[block] { problems.append("block \(block) refCount \(refCounts[block]) vs queued \(inQueue[block])") }
            if let key = keys[block], index[key] != BlockID(block) { problems.append("block \(block) key not indexed to it") }
        }
        for (key, block) in index where keys[Int(block)] != key { problems.append("index entry for block \(block) is stale") }
        if freeCount + cachedIdleCount + usedCount != totalBlocks { problems.append("free + cached + used != total") }
        return problems
    }

    private mutating func pushBack(_ block: BlockID) {
        prev[Int(block)] = tail
        next[Int(block)] = -1
        if tail >= 0 { next[Int(tail)] = block } else { head = block }
        tail = block
        enqueued(block)
    }

    private mutating func pushFront(_ block: BlockID) {
        next[Int(block)] = head
        prev[Int(block)] = -1
        if head >= 0 { prev[Int(head)] = block } else { tail = block }
        head = block
        enqueued(block)
    }

    private mutating func enqueued(_ block: BlockID) {
        inQueue[Int(block)] = true
        reclaimableCount += 1
        if keys[Int(block)] != nil { cachedIdleCount += 1 }
    }

    private mutating func remove(_ block: BlockID) {
        let before = prev[Int(block)]
        let after = next[Int(block)]
        if before >= 0 { next[Int(before)] = after } else { head = after }
        if after >= 0 { prev[Int(after)] = before } else { tail = before }
        prev[Int(block)] = -1
        next[Int(block)] = -1
        inQueue[Int(block)] = false
        reclaimableCount -= 1
        if keys[Int(block)] != nil { cachedIdleCount -= 1 }
    }
}
