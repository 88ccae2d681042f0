import Testing
@testable import SluiceScheduler

@Suite struct SchedulerBudgetTests {
    @Test func firstStepPrefillsWholePromptWithinBudget() throws {
        var scheduler = try makeScheduler()
        let id = try scheduler.submitOrFail(makeRequest(prompt: promptTokens(5)))
        let plan = scheduler.schedule()
        #expect(plan.sequences.count == 1)
        let entry = try #require(plan.sequences.first)
        #expect(entry.sequenceID == SequenceID(request: id, choice: 0))
        #expect(entry.tokens == promptTokens(5))
        #expect(entry.startPosition == 0)
        #expect(entry.needsLogits)
        #expect(entry.blockTable.count == 2)  // 5 tokens in blocks of 4
    }

    @Test func longPromptIsChunkedAcrossSteps() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxBatchedTokens: 8)))
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(20), maxNewTokens: 1))
        let plans = (0..<3).map { _ in driver.step() }
        #expect(plans.map { $0.sequences[0].startPosition } == [0, 8, 16])
        #expect(plans.map { $0.sequences[0].tokens.count } == [8, 8, 4])
        #expect(plans.map { $0.sequences[0].needsLogits } == [false, false, true])
        #expect(plans[2].sequences[0].blockTable.count == 5)
        #expect(!driver.scheduler.hasWork)
    }

    @Test func decodeFeedsTheLastSampledTokenAtTheNextPosition() throws {
        var driver = Driver(try makeScheduler())
        let request = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(6), maxNewTokens: 3))
        let sequence = SequenceID(request: request, choice: 0)
        driver.step()
        let first = driver.generated(sequence)
        let plan = driver.step()
        #expect(plan.sequences.count == 1)
        #expect(plan.sequences[0].tokens == first)
        #expect(plan.sequences[0].startPosition == 6)
        #expect(plan.sequences[0].needsLogits)
    }

    @Test func runningDecodesComeBeforeNewPrefill() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxBatchedTokens: 8)))
        let a = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(4), maxNewTokens: 10))
        driver.step()
        let b = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(30, start: 100), maxNewTokens: 1))
        let plan = driver.step()
        #expect(plan.sequences.map(\.sequenceID) == [SequenceID(request: a, choice: 0), SequenceID(request: b, choice: 0)])
        #expect(plan.sequences.map(\.tokens.count) == [1, 7])
        #expect(plan.totalTokens == 8)
    }

    @Test func chunkedPrefillNeverStallsADecodingStream() throws {
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 128, maxBatchedTokens: 8)))
        let a = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(4), maxNewTokens: 20))
        driver.step()
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(100, start: 50), maxNewTokens: 1))
        let decoding = SequenceID(request: a, choice: 0)
        for _ in 0..<19 {
            let plan = driver.step()
            #expect(plan.sequences.first?.sequenceID == decoding)
            #expect(plan.totalTokens <= 8)
        }
        #expect(driver.finishReason(decoding) == .length)
    }

    @Test func maxSequencesLimitsRunningAndAdmitsInArrivalOrder() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxSequences: 2)))
        let ids = try (0..<3).map { try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(4, start: $0 * 10), maxNewTokens: 2 + $0)) }
        let first = driver.step()
        #expect(first.sequences.map(\.sequenceID.request) == [ids[0], ids[1]])
        #expect(driver.scheduler.metrics.waitingSequences == 1)
        driver.step()  // request 0 finishes (2 tokens)
        let third = driver.step()
        #expect(third.sequences.map(\.sequenceID.request) == [ids[1], ids[2]])
    }

    @Test func decodesBeyondTheBudgetWaitTheirTurnOldestFirst() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxBatchedTokens: 3, maxSequences: 5)))
        let ids = try (0..<5).map { try driver.scheduler.submitOrFail(makeRequest(prompt: [TokenID($0 + 1)], maxNewTokens: 8)) }
        let first = driver.step()
        #expect(first.sequences.map(\.sequenceID.request) == Array(ids[0..<3]))
        let second = driver.step()
        // The three running decode first; the remaining two are admitted when the budget allows.
        #expect(second.sequences.map(\.sequenceID.request) == Array(ids[0..<3]))
        #expect(second.totalTokens == 3)
    }

    @Test func longPrefillThresholdCapsOneSequencesChunk() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxBatchedTokens: 32, longPrefillTokenThreshold: 6)))
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(20), maxNewTokens: 1))
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(3, start: 200), maxNewTokens: 1))
        let plan = driver.step()
        #expect(plan.sequences.map(\.tokens.count) == [6, 3])
    }

    @Test func decodesAreScheduledBeforeOlderSequencesPrefillChunks() throws {
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 128, maxBatchedTokens: 8, longPrefillTokenThreshold: 6)))
        let long = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(60), maxNewTokens: 1))
        let short = try driver.scheduler.submitOrFail(makeRequest(prompt: [5], maxNewTokens: 30))
        let first = driver.step()
        #expect(first.sequences.map(\.tokens.count) == [6, 1])
        // From now on the younger request decodes while the older one still prefills: the decode goes first.
        for _ in 0..<8 {
            let plan = driver.step()
            #expect(plan.sequences.map(\.sequenceID.request) == [short, long])
            #expect(plan.sequences.map(\.tokens.count) == [1, 6])
        }
    }

    @Test func emptySchedulerPlansNothing() throws {
        var scheduler = try makeScheduler()
        let plan = scheduler.schedule()
        #expect(plan.isEmpty)
        #expect(plan.totalTokens == 0)
        #expect(!scheduler.hasWork)
    }
}
