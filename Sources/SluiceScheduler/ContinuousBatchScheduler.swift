// Iteration-level continuous batching (vLLM v1 scheduler.py, batching.md §1.2):
//   let plan = scheduler.schedule()      // decide who runs and how many tokens each feeds
//   let out  = executor.run(plan)        // one forward pass + sampling
//   scheduler.update(with: out)          // append samples, publish full blocks, finish sequences
// A sequence only has `tokens` and `computed`; prefill, chunked prefill, decode and recompute after
// preemption are all "feed tokens[computed...]". Pure logic: no threads, no clock, no I/O.

public struct ContinuousBatchScheduler: Sendable {
    public let config: SchedulerConfig
    public private(set) var blocks: KVBlockManager

    var requests: [RequestID: RequestState] = [:]
    var sequences: [SequenceID: SequenceState] = [:]
    /// Both kept sorted by `SequenceID`, i.e. arrival order: the head is the oldest.
    var waiting: [SequenceID] = []
    var running: [SequenceID] = []

    private var nextRequestID: UInt64 = 0
    private var pendingCancels: Set<RequestID> = []
    private var pendingFinishes: [SequenceID: FinishReason] = [:]
    private var inFlight: StepPlan?
    private var released: [SequenceID] = []
    private var events: [SchedulerEvent] = []
    private var stats = Counters()

    struct Counters: Sendable {
        var queuedRequests = 0
        var queuedPromptTokens = 0
        var prefixHitTokens = 0
        var prefixQueryTokens = 0
        var lastBatchSequences = 0
        var lastBatchTokens = 0
        var preemptions = 0
        var preemptedTokens = 0
        var cancelled = 0
        var rejected = 0
        var steps: UInt64 = 0
    }

    public init(config: SchedulerConfig) throws(SchedulerError) {
        try config.validate()
        self.config = config
        blocks = KVBlockManager(totalBlocks: config.totalBlocks, blockSize: config.blockSize)
    }

    // MARK: Requests in

    /// Queues a request, or rejects it at once: too long to ever fit, or the waiting queue is full.
    public mutating func submit(_ request: GenerationRequest) -> Result<RequestID, SchedulerError> {
        if let error = admissionError(request) {
            stats.rejected += 1
            return .failure(error)
        }
        let id = RequestID(nextRequestID)
        nextRequestID += 1
        requests[id] = RequestState(
            id: id, promptTokens: request.promptTokens, maxNewTokens: request.maxNewTokens,
            choices: request.choices, rootHash: BlockHasher.root(salt: request.cacheSalt),
            liveChoices: request.choices)
        for choice in 0..<request.choices {
            let sequenceID = SequenceID(request: id, choice: choice)
            sequences[sequenceID] = SequenceState(id: sequenceID, tokens: request.promptTokens,
                                                  promptCount: request.promptTokens.count)
            waiting.append(sequenceID)  // the newest id sorts last
        }
        stats.queuedRequests += 1
        stats.queuedPromptTokens += request.promptTokens.count
        return .success(id)
    }

    private func admissionError(_ request: GenerationRequest) -> SchedulerError? {
        if request.promptTokens.isEmpty { return .invalidRequest("the prompt has no tokens") }
        if request.maxNewTokens < 1 { return .invalidRequest("maxNewTokens must be at least 1") }
        if request.choices < 1 { return .invalidRequest("choices must be at least 1") }
        let requested = request.promptTokens.count + request.maxNewTokens
        if requested > config.maxModelLength {
            return .contextLengthExceeded(requestedTokens: requested, limit: config.maxModelLength)
        }
        if blocks.blocksNeeded(forTokens: requested) > config.totalBlocks {
            return .contextLengthExceeded(requestedTokens: requested, limit: config.totalBlocks * config.blockSize)
        }
        if stats.queuedRequests + 1 > config.maxWaitingRequests
            || stats.queuedPromptTokens + request.promptTokens.count > config.maxWaitingPromptTokens {
            return .overloaded(waitingRequests: stats.queuedRequests, waitingPromptTokens: stats.queuedPromptTokens)
        }
        return nil
    }

    /// Aborts every choice of the request at the next `schedule()` (client gone, timeout).
    /// Unknown or already finished ids are ignored.
    public mutating func cancel(_ request: RequestID) {
        if requests[request] != nil { pendingCancels.insert(request) }
    }

    /// Ends one sequence at the next `schedule()`, e.g. when the service matched a stop string.
    /// Tokens sampled for it in between are dropped, not reported.
    public mutating func finish(_ sequence: SequenceID, reason: FinishReason) {
        if sequences[sequence] != nil, pendingFinishes[sequence] == nil { pendingFinishes[sequence] = reason }
    }

    // MARK: The step

    /// Plans the next forward pass. Calling it while a plan is still in flight discards that plan
    /// (as `abandonStep()`), so a failed execute never wedges the loop.
    public mutating func schedule() -> StepPlan {
        inFlight = nil
        applyPendingTerminations()
        var budget = config.maxBatchedTokens
        var scheduled: [(SequenceID, Int)] = []
        var preemptedThisStep = false

        // 1. Running sequences: every decode (1 token) first, then continuing prefill or recompute
        // chunks, each group oldest first, so a long prompt never stalls a stream already generating.
        let decodesFirst = running.filter { sequences[$0]?.uncomputed == 1 } + running.filter { (sequences[$0]?.uncomputed ?? 0) > 1 }
        for id in decodesFirst where budget > 0 {
            guard running.contains(id), var sequence = sequences[id] else { continue }  // preempted meanwhile
            let count = chunkSize(remaining: sequence.uncomputed, budget: budget)
            guard count > 0 else { continue }
            let needed = blocks.blocksNeeded(forTokens: sequence.computed + count) - sequence.blockTable.count
            // Out of blocks: preempt the youngest running sequence (recompute later), taking back its
            // tokens if it was already scheduled this step. The oldest running sequence is never a victim,
            // so it always progresses: nothing starves.
            var preemptedSelf = false
            while needed > blocks.reclaimableCount, let victim = running.last {
                preemptedThisStep = true
                preempt(victim)
                if victim == id { preemptedSelf = true; break }
                if let entry = scheduled.firstIndex(where: { $0.0 == victim }) {
                    budget += scheduled[entry].1
                    scheduled.remove(at: entry)
                }
            }
            if preemptedSelf { continue }
            sequence.blockTable.append(contentsOf: allocate(needed))
            sequences[id] = sequence
            scheduled.append((id, count))
            budget -= count
        }

        // 2. Waiting sequences in arrival order, while budget, sequence slots and blocks last.
        // No admissions in a step that preempted (vLLM does the same): admitting would only thrash.
        if !preemptedThisStep {
            while let id = waiting.first, budget > 0, running.count < config.maxSequences {
                guard let count = admit(id, budget: budget) else { break }
                scheduled.append((id, count))
                budget -= count
            }
        }

        var plan = StepPlan(step: stats.steps, sequences: [], releasedSequences: released)
        released = []
        for (id, count) in scheduled {
            guard let sequence = sequences[id] else { continue }
            let end = sequence.computed + count
            plan.sequences.append(ScheduledSequence(
                sequenceID: id,
                tokens: Array(sequence.tokens[sequence.computed..<end]),
                startPosition: sequence.computed,
                blockTable: sequence.blockTable,
                needsLogits: end == sequence.tokens.count))
        }
        stats.lastBatchSequences = plan.sequences.count
        stats.lastBatchTokens = plan.totalTokens
        if !plan.isEmpty {
            stats.steps += 1
            inFlight = plan
        }
        return plan
    }

    /// Applies the executor's samples for the plan in flight.
    public mutating func update(with output: StepOutput) {
        guard let plan = inFlight else { return }
        inFlight = nil
        var samples: [SequenceID: SequenceSample] = [:]
        for sample in output.samples where samples[sample.sequenceID] == nil { samples[sample.sequenceID] = sample }

        for entry in plan.sequences {
            let id = entry.sequenceID
            guard var sequence = sequences[id], let request = requests[id.request] else { continue }
            sequence.computed += entry.tokens.count
            if config.enablePrefixCaching { publishFullBlocks(&sequence, rootHash: request.rootHash) }
            sequences[id] = sequence
            guard entry.needsLogits, pendingFinishes[id] == nil, !pendingCancels.contains(id.request) else { continue }
            guard let sample = samples[id] else {
                terminate(id, reason: .failed)
                continue
            }
            sequence.tokens.append(sample.token)
            sequences[id] = sequence
            requests[id.request]?.completionTokens += 1
            events.append(.tokenAppended(id, token: sample.token, index: sequence.generatedCount - 1))
            let hitLimit = sequence.generatedCount >= request.maxNewTokens || sequence.tokens.count >= config.maxModelLength
            if let reason = sample.finishReason ?? (hitLimit ? .length : nil) {
                terminate(id, reason: reason)
            }
        }
    }

    /// Forgets the plan in flight (the executor failed). Nothing was committed, so the next
    /// `schedule()` plans the same tokens again.
    public mutating func abandonStep() { inFlight = nil }

    /// Events since the last call, in the order they happened.
    public mutating func takeEvents() -> [SchedulerEvent] {
        defer { events = [] }
        return events
    }

    // MARK: Queries

    public var hasWork: Bool { !waiting.isEmpty || !running.isEmpty }

    /// Prompt plus generated tokens of a live sequence (the sampler needs them for penalties).

    public var metrics: SchedulerMetrics {
        SchedulerMetrics(
            waitingSequences: waiting.count, queuedRequests: stats.queuedRequests,
            queuedPromptTokens: stats.queuedPromptTokens, runningSequences: running.count,
            kvBlocksUsed: blocks.usedCount, kvBlocksCached: blocks.cachedIdleCount, kvBlocksTotal: blocks.totalBlocks,
            prefixCacheHitTokens: stats.prefixHitTokens, prefixCacheQueryTokens: stats.prefixQueryTokens,
            lastBatchSequences: stats.lastBatchSequences, lastBatchTokens: stats.lastBatchTokens,
            preemptions: stats.preemptions, preemptedTokens: stats.preemptedTokens,
            cancelledSequences: stats.cancelled, rejectedRequests: stats.rejected, steps: stats.steps)
    }

    // MARK: Internals

    private func chunkSize(remaining: Int, budget: Int) -> Int {
        min(remaining, budget, config.longPrefillTokenThreshold ?? Int.max)
    }

    /// Moves the head of `waiting` to `running` with a prefix-cache lookup and a first chunk.
    /// Returns the chunk size, or nil when it does not fit (admission stays first come, first served).
    private mutating func admit(_ id: SequenceID, budget: Int) -> Int? {
        guard var sequence = sequences[id], var request = requests[id.request] else { return nil }
        let blockSize = config.blockSize
        // Choices share the prompt through the prefix cache (as vLLM v1 fans out n): let choice 0
        // compute the prompt first, so its siblings hit its blocks instead of recomputing them.
        if id.choice > 0, config.enablePrefixCaching,
           let first = sequences[SequenceID(request: id.request, choice: 0)], first.computed < first.promptCount {
            return nil
        }
        var hits: [BlockID] = []
        var hashes: [UInt64] = []
        if config.enablePrefixCaching {
            // At least the last token is computed, or there would be no logits to sample from
            // (TGI `prefix_len -= 1`, llama.cpp `n_past--`): a fully cached prompt recomputes its last block.
            let maxHitBlocks = (sequence.tokens.count - 1) / blockSize
            var parent = request.rootHash
            for block in 0..<maxHitBlocks {
                let slice = sequence.tokens[block * blockSize..<(block + 1) * blockSize]
                guard let hit = blocks.lookup(CachedBlockKey(parentHash: parent, tokens: Array(slice))) else { break }
                hits.append(hit)
                parent = BlockHasher.chain(parent: parent, tokens: slice)
                hashes.append(parent)
            }
        }
        let hitTokens = hits.count * blockSize
        let count = chunkSize(remaining: sequence.tokens.count - hitTokens, budget: budget)
        let needed = blocks.blocksNeeded(forTokens: hitTokens + count) - hits.count
        let idleHits = hits.reduce(0) { $0 + (blocks.isIdle($1) ? 1 : 0) }
        let watermark = running.isEmpty ? 0 : config.admissionWatermarkBlocks
        guard needed + idleHits + watermark <= blocks.reclaimableCount else { return nil }

        for hit in hits { blocks.retain(hit) }
        sequence.blockTable = hits + allocate(needed)
        sequence.chainHashes = hashes
        sequence.computed = hitTokens
        if !sequence.admittedOnce {
            sequence.admittedOnce = true
            if id.choice == 0 {
                request.cachedPromptTokens = hitTokens
                stats.prefixHitTokens += hitTokens
                stats.prefixQueryTokens += sequence.promptCount
            }
        }
        if request.queued {
            request.queued = false
            stats.queuedRequests -= 1
            stats.queuedPromptTokens -= request.promptTokens.count
        }
        sequences[id] = sequence
        requests[id.request] = request
        waiting.removeFirst()
        insertSorted(id, into: &running)
        return count
    }

    private mutating func allocate(_ count: Int) -> [BlockID] {
        var table: [BlockID] = []
        table.reserveCapacity(count)
        for _ in 0..<max(count, 0) {
            guard let block = blocks.allocate() else { break }  // callers checked reclaimableCount
            table.append(block)
        }
        return table
    }

    /// Publishes every newly completed full block under its hash-chain key.
    private mutating func publishFullBlocks(_ sequence: inout SequenceState, rootHash: UInt64) {
        let blockSize = config.blockSize
        let fullBlocks = min(sequence.computed / blockSize, sequence.blockTable.count)
        guard sequence.chainHashes.count < fullBlocks else { return }
        var parent = sequence.chainHashes.last ?? rootHash
        for block in sequence.chainHashes.count..<fullBlocks {
            let slice = sequence.tokens[block * blockSize..<(block + 1) * blockSize]
            blocks.register(sequence.blockTable[block], key: CachedBlockKey(parentHash: parent, tokens: Array(slice)))
            parent = BlockHasher.chain(parent: parent, tokens: slice)
            sequence.chainHashes.append(parent)
        }
    }

    /// Frees the sequence's blocks and puts it back in the waiting queue by arrival order; it will
    /// recompute prompt + generated tokens (its own published blocks may still be cache hits).
    private mutating func preempt(_ id: SequenceID) {
        guard var sequence = sequences[id] else { return }
        blocks.release(sequence.blockTable)
        stats.preemptions += 1
        stats.preemptedTokens += sequence.computed
        sequence.blockTable = []
        sequence.chainHashes = []
        sequence.computed = 0
        sequences[id] = sequence
        requests[id.request]?.preemptions += 1
        running.removeAll { $0 == id }
        insertSorted(id, into: &waiting)
        released.append(id)
        events.append(.preempted(id))
    }

    private mutating func applyPendingTerminations() {
        for request in pendingCancels.sorted() {
            for choice in 0..<(requests[request]?.choices ?? 0) {
                let id = SequenceID(request: request, choice: choice)
                if sequences[id] != nil {
                    stats.cancelled += 1
                    terminate(id, reason: .cancelled)
                }
            }
        }
        pendingCancels = []
        for (id, reason) in pendingFinishes.sorted(by: { $0.key < $1.key }) where sequences[id] != nil {
            terminate(id, reason: reason)
        }
        pendingFinishes = [:]
    }

    private mutating func terminate(_ id: SequenceID, reason: FinishReason) {
        guard let sequence = sequences.removeValue(forKey: id) else { return }
        blocks.release(sequence.blockTable)
        running.removeAll { $0 == id }
        waiting.removeAll { $0 == id }
        released.append(id)
        events.append(.finished(id, reason))
        guard var request = requests[id.request] else { return }
        request.liveChoices -= 1
        if request.liveChoices > 0 {
            requests[id.request] = request
            return
        }
        if request.queued {
            stats.queuedRequests -= 1
            stats.queuedPromptTokens -= request.promptTokens.count
        }
        requests[id.request] = nil
        events.append(.requestFinished(id.request, usage: RequestUsage(
            promptTokens: request.promptTokens.count, cachedPromptTokens: request.cachedPromptTokens,
            completionTokens: request.completionTokens, preemptions: request.preemptions)))
    }

    private func insertSorted(_ id: SequenceID, into list: inout [SequenceID]) {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid] < id { low = mid + 1 } else { high = mid }
        }
        list.insert(id, at: low)
    }
}
