import SluiceTesting
import Testing
// Factories and a driver over the fake executor (SluiceTesting.FakeExecutor) that simulates paged KV storage.
@testable import SluiceScheduler

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
