import SluiceTesting
import Testing
@testable import SluiceScheduler

@Suite struct SchedulerPreemptionTests {
    /// Six blocks of four tokens; two requests of 8 prompt + 12 new tokens (5 blocks each) cannot both grow.
    private func makeContendedDriver() throws -> (Driver, RequestID, RequestID) {
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 6)))
        let a = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(8), maxNewTokens: 12))
        let b = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(8, start: 100), maxNewTokens: 12))
        return (driver, a, b)
    }

    @Test func youngestRunningSequenceIsPreemptedWhenBlocksRunOut() throws {
        var (driver, a, b) = try makeContendedDriver()
        while !driver.events.contains(where: { if case .preempted = $0 { true } else { false } }) {
            driver.step()
            try #require(driver.plans.count < 50)
        }
        let preempted = driver.events.compactMap { if case let .preempted(id) = $0 { id } else { nil } }
        #expect(preempted == [SequenceID(request: b, choice: 0)])
        #expect(driver.plans.last?.sequences.map(\.sequenceID) == [SequenceID(request: a, choice: 0)])
        #expect(driver.scheduler.metrics.waitingSequences == 1)
        #expect(driver.scheduler.invariantViolations() == [])
    }

    @Test func preemptedSequenceIsRecomputedAndContinuesExactly() throws {
        var (driver, a, b) = try makeContendedDriver()
        driver.runUntilIdle()
        for request in [a, b] {
            let sequence = SequenceID(request: request, choice: 0)
            let prompt = request == a ? promptTokens(8) : promptTokens(8, start: 100)
            #expect(driver.generated(sequence) == FakeModel.reference(prompt: prompt, choice: 0, maxNewTokens: 12, stopAtEOS: false).tokens)
            #expect(driver.finishReason(sequence) == .length)
        }
        #expect((driver.usage(b)?.preemptions ?? 0) >= 1)
        #expect(driver.usage(a)?.preemptions == 0)
        #expect(driver.scheduler.metrics.preemptions >= 1)
        #expect(driver.executor.problems == [])
        #expect(driver.scheduler.metrics.kvBlocksUsed == 0)
    }

    @Test func noAdmissionInAStepThatPreempted() throws {
        var (driver, _, _) = try makeContendedDriver()
        let latecomer = try driver.scheduler.submitOrFail(makeRequest(prompt: [7], maxNewTokens: 1))
        while !driver.events.contains(where: { if case .preempted = $0 { true } else { false } }) { driver.step() }
        #expect(driver.plans.last?.sequences.contains { $0.sequenceID.request == latecomer } == false)
    }

    @Test func preemptedSequenceResumesBeforeLaterArrivals() throws {
        var (driver, _, b) = try makeContendedDriver()
        while !driver.events.contains(where: { if case .preempted = $0 { true } else { false } }) { driver.step() }
        let latecomer = try driver.scheduler.submitOrFail(makeRequest(prompt: [7], maxNewTokens: 1))
        driver.runUntilIdle()
        let admissions = driver.plans.flatMap { plan in plan.sequences.filter { $0.startPosition == 0 }.map(\.sequenceID.request) }
        let resumeIndex = try #require(admissions.lastIndex(of: b))
        let latecomerIndex = try #require(admissions.firstIndex(of: latecomer))
        #expect(resumeIndex < latecomerIndex)
    }

    @Test func oldestSequenceIsNeverPreemptedAndProgressesEveryStep() throws {
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 8, maxBatchedTokens: 6)))
        let ids = try (0..<4).map { try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(6, start: $0 * 50), maxNewTokens: 20)) }
        let oldest = SequenceID(request: ids[0], choice: 0)
        while driver.finishReason(oldest) == nil {
            let plan = driver.step()
            #expect(plan.sequences.first?.sequenceID == oldest)
            try #require(driver.plans.count < 100)
        }
        #expect(!driver.events.contains(.preempted(oldest)))
        driver.runUntilIdle()
        #expect(driver.executor.problems == [])
        #expect(driver.scheduler.invariantViolations() == [])
    }

    @Test func resumedSequenceReusesItsOwnCachedBlocksWithoutCountingThemAsPromptHits() throws {
        var (driver, _, b) = try makeContendedDriver()
        driver.runUntilIdle()
        #expect(driver.usage(b)?.cachedPromptTokens == 0)
        #expect(driver.scheduler.metrics.prefixCacheHitTokens == 0)
    }

    @Test func aVictimAlreadyScheduledThisStepIsTakenBackOut() throws {
        // The older request prefills in chunks of 4 while the younger one decodes (decodes go first).
        // When the older one needs the last block, the younger one, already planned, is preempted
        // and removed from the plan.
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 6, maxBatchedTokens: 8, longPrefillTokenThreshold: 4)))
        let old = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(20), maxNewTokens: 1))
        let young = try driver.scheduler.submitOrFail(makeRequest(prompt: [3], maxNewTokens: 10))
        let youngSequence = SequenceID(request: young, choice: 0)
        while !driver.events.contains(.preempted(youngSequence)) {
            driver.step()
            try #require(driver.plans.count < 20)
        }
        let plan = try #require(driver.plans.last)
        #expect(plan.sequences.map(\.sequenceID.request) == [old])
        #expect(plan.totalTokens == 4)
        #expect(plan.releasedSequences == [youngSequence])  // the executor may drop its state now
        #expect(driver.scheduler.invariantViolations() == [])
        driver.runUntilIdle()
        #expect(driver.generated(youngSequence) == FakeModel.reference(prompt: [3], choice: 0, maxNewTokens: 10, stopAtEOS: false).tokens)
        #expect(driver.executor.problems == [])
    }

    @Test func watermarkHoldsAdmissionsWhileOthersRunButNotWhenIdle() throws {
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 8, admissionWatermarkBlocks: 3)))
        let first = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(16), maxNewTokens: 4))  // 4 blocks, idle: admitted
        let second = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(6, start: 50), maxNewTokens: 2))  // 2 + 3 > 4 left
        let plan = driver.step()
        #expect(plan.sequences.map(\.sequenceID.request) == [first])
        driver.runUntilIdle()
        #expect(driver.finishReason(SequenceID(request: second, choice: 0)) == .length)
    }
}
