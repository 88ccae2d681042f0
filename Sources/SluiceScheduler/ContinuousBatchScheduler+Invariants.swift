// Self-checks over the whole scheduler state. Tests call this after every step; the engine service
// may call it in debug builds. Returns human-readable violations (empty when consistent).

extension ContinuousBatchScheduler {
    public func invariantViolations() -> [String] {
        var problems = blocks.invariantViolations()
        let blockSize = config.blockSize

        // Reference counts equal owners: every table entry is one reference, and no table holds a block twice.
        var owners = Array(repeating: 0, count: blocks.totalBlocks)
        for (id, sequence) in sequences {
            if Set(sequence.blockTable).count != sequence.blockTable.count { problems.append("\(id) holds a block twice") }
            for block in sequence.blockTable { owners[Int(block)] += 1 }
        }
        for block in 0..<blocks.totalBlocks where owners[block] != blocks.refCount(BlockID(block)) {
            problems.append("block \(block): refCount \(blocks.refCount(BlockID(block))) but \(owners[block]) owners")
        }

        // Queues: sorted by arrival, disjoint, and together exactly the live sequences.
        if running != running.sorted() { problems.append("running is not in arrival order") }
        if waiting != waiting.sorted() { problems.append("waiting is not in arrival order") }
        let runningSet = Set(running)
        let waitingSet = Set(waiting)
        if runningSet.count != running.count || waitingSet.count != waiting.count { problems.append("a queue holds a duplicate") }
        if !runningSet.isDisjoint(with: waitingSet) { problems.append("a sequence is both running and waiting") }
        if runningSet.union(waitingSet) != Set(sequences.keys) { problems.append("queues do not match live sequences") }
        if running.count > config.maxSequences { problems.append("running \(running.count) > maxSequences") }

        for (id, sequence) in sequences {
            if requests[id.request] == nil { problems.append("\(id) has no request") }
            if waitingSet.contains(id), sequence.computed != 0 || !sequence.blockTable.isEmpty {
                problems.append("waiting \(id) still holds KV")
            }
            if sequence.blockTable.count < blocks.blocksNeeded(forTokens: sequence.computed)
                || sequence.blockTable.count > blocks.blocksNeeded(forTokens: sequence.tokens.count) {
                problems.append("\(id): \(sequence.blockTable.count) blocks for \(sequence.computed) computed tokens")
            }
            if sequence.computed > sequence.tokens.count { problems.append("\(id) computed past its tokens") }
            if sequence.chainHashes.count > sequence.computed / blockSize { problems.append("\(id) hashed an unfinished block") }
            // A shared block must hold this sequence's own tokens at those positions.
            for (position, block) in sequence.blockTable.prefix(sequence.chainHashes.count).enumerated() {
                if let key = blocks.cacheKey(of: block),
                   key.tokens[...] != sequence.tokens[position * blockSize..<(position + 1) * blockSize] {
                    problems.append("\(id) block \(position) shares \(block) with different tokens")
                }
            }
        }

        var queuedRequests = 0
        var queuedTokens = 0
        for request in requests.values where request.queued {
            queuedRequests += 1
            queuedTokens += request.promptTokens.count
        }
        let metrics = self.metrics
        if queuedRequests != metrics.queuedRequests || queuedTokens != metrics.queuedPromptTokens {
            problems.append("queued accounting \(metrics.queuedRequests)/\(metrics.queuedPromptTokens) != \(queuedRequests)/\(queuedTokens)")
        }
        for request in requests.values {
            let live = (0..<request.choices).filter { sequences[SequenceID(request: request.id, choice: $0)] != nil }.count
            if live != request.liveChoices || live == 0 { problems.append("\(request.id) live choices \(request.liveChoices) vs \(live)") }
        }
        return problems
    }
}
