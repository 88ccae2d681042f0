import Testing
// Factories, a seeded PRNG and a deterministic fake executor that simulates paged KV storage.
@testable import SluiceScheduler

/// SplitMix64: tiny, seedable, good enough to drive property tests reproducibly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

func makeConfig(
    blockSize: Int = 4, totalBlocks: Int = 64, maxBatchedTokens: Int = 32, maxSequences: Int = 8,
    maxModelLength: Int = 1024, longPrefillTokenThreshold: Int? = nil, maxWaitingRequests: Int = 64,
    maxWaitingPromptTokens: Int = 100_000, enablePrefixCaching: Bool = true, admissionWatermarkBlocks: Int = 0
) -> SchedulerConfig {
    SchedulerConfig(
        blockSize: blockSize, totalBlocks: totalBlocks, maxBatchedTokens: maxBatchedTokens,
        maxSequences: maxSequences, maxModelLength: maxModelLength,
        longPrefillTokenThreshold: longPrefillTokenThreshold, maxWaitingRequests: maxWaitingRequests,
        maxWaitingPromptTokens: maxWaitingPromptTokens, enablePrefixCaching: enablePrefixCaching,
        admissionWatermarkBlocks: admissionWatermarkBlocks)
}

func makeScheduler(_ config: SchedulerConfig = makeConfig()) throws -> ContinuousBatchScheduler {
    try ContinuousBatchScheduler(config: config)
}

func makeRequest(prompt: [TokenID] = [1, 2, 3, 4, 5], maxNewTokens: Int = 4, choices: Int = 1,
                 salt: String? = nil) -> GenerationRequest {
    GenerationRequest(promptTokens: prompt, maxNewTokens: maxNewTokens, choices: choices, cacheSalt: salt)
}

/// Prompt tokens 1000+start ..< 1000+start+count (distinct from sampled tokens of `FakeModel`).
func promptTokens(_ count: Int, start: Int = 0) -> [TokenID] {
    (0..<count).map { TokenID(1000 + start + $0) }
}

extension ContinuousBatchScheduler {
    /// Submits and returns the id, failing the test on rejection.
    mutating func submitOrFail(_ request: GenerationRequest) throws -> RequestID {
        try submit(request).get()
    }
}

/// A "model" whose next token is a pure function of the token history and the choice index,
/// so a preempted-and-recomputed sequence must produce exactly the tokens of an undisturbed run.
enum FakeModel {
    static let vocabulary: UInt64 = 500
    static func next(history: [TokenID], choice: Int) -> TokenID {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(choice &* 7919)
        for token in history { h = (h ^ UInt64(UInt32(bitPattern: token))) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        return TokenID(h % vocabulary)
    }
    /// EOS stand-in: the service would detect it and report `.stop`.
    static func isEOS(_ token: TokenID) -> Bool { token % 41 == 0 }

    /// The undisturbed generation for a prompt: stops at EOS (included) or after `maxNewTokens`.
    static func reference(prompt: [TokenID], choice: Int, maxNewTokens: Int, stopAtEOS: Bool) -> (tokens: [TokenID], reason: FinishReason) {
        var history = prompt
        var out: [TokenID] = []
        while out.count < maxNewTokens {
            let token = next(history: history, choice: choice)
            history.append(token)
            out.append(token)
            if stopAtEOS, isEOS(token) { return (out, .stop) }
        }
        return (out, .length)
    }
}

/// Executes plans against simulated paged KV memory. Like real KV, a slot depends on the whole
/// history before it: each stores its token, its position and a hash of every token up to it,
/// computed from what attention would read back through the block table. Reading a history
/// back verifies that chain, so a wrong table, a block shared across different prefixes or a block
/// reused while still owned is reported, and would also change the sampled tokens.
struct FakeExecutor {
    struct Slot: Equatable { var token: TokenID; var position: Int; var context: UInt64 }
    let blockSize: Int
    var memory: [[Slot?]]
    var stopAtEOS: Bool
    var problems: [String] = []

    init(config: SchedulerConfig, stopAtEOS: Bool = true) {
        blockSize = config.blockSize
        memory = Array(repeating: Array(repeating: nil, count: config.blockSize), count: config.totalBlocks)
        self.stopAtEOS = stopAtEOS
    }

    static func context(after previous: UInt64, token: TokenID) -> UInt64 {
        (previous ^ UInt64(UInt32(bitPattern: token))) &* 0x0000_0100_0000_01b3 &+ 0x9e37
    }

    /// Reads positions 0..<end through the table, checking each slot's context chain.
    private mutating func read(_ table: [BlockID], upTo end: Int, for id: SequenceID) -> (tokens: [TokenID], context: UInt64)? {
        var tokens: [TokenID] = []
        var context: UInt64 = 0
        for position in 0..<end {
            guard let slot = memory[Int(table[position / blockSize])][position % blockSize],
                  slot.position == position, slot.context == Self.context(after: context, token: slot.token) else {
                problems.append("\(id): KV slot for position \(position) missing or computed for another prefix")
                return nil
            }
            tokens.append(slot.token)
            context = slot.context
        }
        return (tokens, context)
    }

    mutating func run(_ plan: StepPlan) -> StepOutput {
        var samples: [SequenceSample] = []
        for entry in plan.sequences {
            let id = entry.sequenceID
            let end = entry.startPosition + entry.tokens.count
            guard entry.blockTable.count * blockSize >= end else {
                problems.append("\(id): table too short for position \(end)")
                continue
            }
            guard var (history, context) = read(entry.blockTable, upTo: entry.startPosition, for: id) else { continue }
            for (offset, token) in entry.tokens.enumerated() {
                let position = entry.startPosition + offset
                context = Self.context(after: context, token: token)
                memory[Int(entry.blockTable[position / blockSize])][position % blockSize] =
                    Slot(token: token, position: position, context: context)
                history.append(token)
            }
            guard entry.needsLogits else { continue }
            let token = FakeModel.next(history: history, choice: id.choice)
            samples.append(SequenceSample(sequenceID: id, token: token,
                                          finishReason: stopAtEOS && FakeModel.isEOS(token) ? .stop : nil))
        }
        return StepOutput(samples: samples)
    }
}

/// Runs schedule → fake execute → update until idle (or `maxSteps`), collecting every event.
struct Driver {
    var scheduler: ContinuousBatchScheduler
    var executor: FakeExecutor
    var events: [SchedulerEvent] = []
    var plans: [StepPlan] = []

    init(_ scheduler: ContinuousBatchScheduler, stopAtEOS: Bool = false) {
        self.scheduler = scheduler
        executor = FakeExecutor(config: scheduler.config, stopAtEOS: stopAtEOS)
    }

    @discardableResult
    mutating func step() -> StepPlan {
        let plan = scheduler.schedule()
        plans.append(plan)
        let output = executor.run(plan)
        scheduler.update(with: output)
        events += scheduler.takeEvents()
        return plan
    }

    mutating func runUntilIdle(maxSteps: Int = 10_000) {
        var steps = 0
        while scheduler.hasWork, steps < maxSteps {
            step()
            steps += 1
        }
    }

    func generated(_ id: SequenceID) -> [TokenID] {
        events.compactMap { if case let .tokenAppended(s, token, _) = $0, s == id { return token } else { return nil } }
    }

    func finishReason(_ id: SequenceID) -> FinishReason? {
        for case let .finished(s, reason) in events where s == id { return reason }
        return nil
    }

    func usage(_ id: RequestID) -> RequestUsage? {
        for case let .requestFinished(r, usage) in events where r == id { return usage }
        return nil
    }
}

/// `#require` for expressions with side effects (the macro cannot take a mutating call).
func unwrapped<T>(_ value: T?, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
