import SluiceTesting
import Testing
@testable import SluiceScheduler

@Suite struct SchedulerLifecycleTests {
    @Test func finishesWithLengthAtMaxNewTokensAndReportsUsage() throws {
        var driver = Driver(try makeScheduler())
        let request = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(5), maxNewTokens: 3))
        driver.runUntilIdle()
        let sequence = SequenceID(request: request, choice: 0)
        #expect(driver.generated(sequence) == FakeModel.reference(prompt: promptTokens(5), choice: 0, maxNewTokens: 3, stopAtEOS: false).tokens)
        #expect(driver.finishReason(sequence) == .length)
        #expect(driver.usage(request) == RequestUsage(promptTokens: 5, cachedPromptTokens: 0, completionTokens: 3, preemptions: 0))
        #expect(driver.scheduler.metrics.kvBlocksUsed == 0)
        #expect(driver.scheduler.invariantViolations() == [])
    }

    @Test func tokenEventsCarryConsecutiveIndices() throws {
        var driver = Driver(try makeScheduler())
        let request = try driver.scheduler.submitOrFail(makeRequest(maxNewTokens: 4))
        driver.runUntilIdle()
        let indices = driver.events.compactMap { event -> Int? in
            if case let .tokenAppended(id, _, index) = event, id.request == request { return index } else { return nil }
        }
        #expect(indices == [0, 1, 2, 3])
    }

    @Test func sampleWithFinishReasonStopsTheSequence() throws {
        var scheduler = try makeScheduler()
        let request = try scheduler.submitOrFail(makeRequest(maxNewTokens: 10))
        let sequence = SequenceID(request: request, choice: 0)
        _ = scheduler.schedule()
        scheduler.update(with: StepOutput(samples: [SequenceSample(sequenceID: sequence, token: 2, finishReason: .stop)]))
        #expect(scheduler.takeEvents() == [
            .tokenAppended(sequence, token: 2, index: 0),
            .finished(sequence, .stop),
            .requestFinished(request, usage: RequestUsage(promptTokens: 5, cachedPromptTokens: 0, completionTokens: 1, preemptions: 0)),
        ])
        #expect(!scheduler.hasWork)
        #expect(scheduler.metrics.kvBlocksUsed == 0)
    }

    @Test func finishTakesEffectAtNextScheduleAndDropsLaterSamples() throws {
        var scheduler = try makeScheduler()
        let request = try scheduler.submitOrFail(makeRequest(maxNewTokens: 10))
        let sequence = SequenceID(request: request, choice: 0)
        _ = scheduler.schedule()
        scheduler.finish(sequence, reason: .stop)  // e.g. a stop string matched while the step ran
        scheduler.update(with: StepOutput(samples: [SequenceSample(sequenceID: sequence, token: 7)]))
        #expect(scheduler.takeEvents() == [])
        #expect(scheduler.metrics.kvBlocksUsed == 2)
        let plan = scheduler.schedule()
        #expect(plan.isEmpty)
        #expect(plan.releasedSequences == [sequence])
        #expect(scheduler.takeEvents().first == .finished(sequence, .stop))
        #expect(scheduler.metrics.kvBlocksUsed == 0)
    }

    @Test func cancelRemovesWaitingAndRunningSequencesAndFreesTheirBlocks() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxSequences: 1)))
        let running = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(9), maxNewTokens: 50))
        let queued = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(9, start: 40), maxNewTokens: 50))
        driver.step()
        #expect(driver.scheduler.metrics.kvBlocksUsed == 3)
        driver.scheduler.cancel(running)
        driver.scheduler.cancel(queued)
        #expect(driver.scheduler.metrics.runningSequences == 1)  // only at the next schedule()
        let plan = driver.step()
        #expect(plan.isEmpty)
        #expect(Set(plan.releasedSequences) == [SequenceID(request: running, choice: 0), SequenceID(request: queued, choice: 0)])
        #expect(driver.finishReason(SequenceID(request: running, choice: 0)) == .cancelled)
        #expect(driver.finishReason(SequenceID(request: queued, choice: 0)) == .cancelled)
        let metrics = driver.scheduler.metrics
        #expect(metrics.kvBlocksUsed == 0)
        #expect(metrics.queuedRequests == 0)
        #expect(metrics.cancelledSequences == 2)
        #expect(!driver.scheduler.hasWork)
        #expect(driver.scheduler.invariantViolations() == [])
    }

    @Test func cancelDuringChunkedPrefillFreesBlocksWithinOneStep() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxBatchedTokens: 8)))
        let request = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(40), maxNewTokens: 2))
        driver.step()
        #expect(driver.scheduler.metrics.kvBlocksUsed == 2)
        driver.scheduler.cancel(request)
        driver.step()
        #expect(driver.scheduler.metrics.kvBlocksUsed == 0)
        #expect(driver.usage(request)?.completionTokens == 0)
    }

    @Test func cancellingAnUnknownRequestIsIgnored() throws {
        var scheduler = try makeScheduler()
        scheduler.cancel(RequestID(42))
        scheduler.finish(SequenceID(request: RequestID(42), choice: 0), reason: .stop)
        #expect(scheduler.schedule().isEmpty)
        #expect(scheduler.takeEvents() == [])
    }

    @Test func rejectsPromptPlusMaxTokensOverContextLength() throws {
        var scheduler = try makeScheduler(makeConfig(maxModelLength: 20))
        let result = scheduler.submit(makeRequest(prompt: promptTokens(15), maxNewTokens: 6))
        #expect(result == .failure(.contextLengthExceeded(requestedTokens: 21, limit: 20)))
        #expect(scheduler.metrics.rejectedRequests == 1)
        #expect((try? scheduler.submit(makeRequest(prompt: promptTokens(15), maxNewTokens: 5)).get()) != nil)
    }

    @Test func rejectsRequestLargerThanTheWholePool() throws {
        var scheduler = try makeScheduler(makeConfig(totalBlocks: 4))  // 16 tokens
        #expect(scheduler.submit(makeRequest(prompt: promptTokens(10), maxNewTokens: 7))
                == .failure(.contextLengthExceeded(requestedTokens: 17, limit: 16)))
        #expect((try? scheduler.submit(makeRequest(prompt: promptTokens(10), maxNewTokens: 6)).get()) != nil)
    }

    @Test func rejectsMalformedRequests() throws {
        var scheduler = try makeScheduler()
        #expect(scheduler.submit(makeRequest(prompt: [])) == .failure(.invalidRequest("the prompt has no tokens")))
        #expect(scheduler.submit(makeRequest(maxNewTokens: 0)) == .failure(.invalidRequest("maxNewTokens must be at least 1")))
        #expect(scheduler.submit(makeRequest(choices: 0)) == .failure(.invalidRequest("choices must be at least 1")))
    }

    @Test func overloadedWhenWaitingQueueIsFullThenAcceptsOnceItDrains() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxWaitingRequests: 2)))
        _ = try driver.scheduler.submitOrFail(makeRequest())
        _ = try driver.scheduler.submitOrFail(makeRequest())
        #expect(driver.scheduler.submit(makeRequest()) == .failure(.overloaded(waitingRequests: 2, waitingPromptTokens: 10)))
        driver.step()  // both start: the queue is empty again
        #expect(driver.scheduler.metrics.queuedRequests == 0)
        #expect((try? driver.scheduler.submit(makeRequest()).get()) != nil)
    }

    @Test func overloadedWhenQueuedPromptTokensWouldExceedTheBound() throws {
        var scheduler = try makeScheduler(makeConfig(maxWaitingPromptTokens: 12))
        _ = try scheduler.submitOrFail(makeRequest(prompt: promptTokens(8)))
        #expect(scheduler.submit(makeRequest(prompt: promptTokens(5))) == .failure(.overloaded(waitingRequests: 1, waitingPromptTokens: 8)))
        #expect((try? scheduler.submit(makeRequest(prompt: promptTokens(4))).get()) != nil)
    }

    @Test func missingSampleFailsOnlyThatSequence() throws {
        var scheduler = try makeScheduler()
        let a = try scheduler.submitOrFail(makeRequest(maxNewTokens: 3))
        let b = try scheduler.submitOrFail(makeRequest(prompt: promptTokens(3), maxNewTokens: 3))
        _ = scheduler.schedule()
        scheduler.update(with: StepOutput(samples: [SequenceSample(sequenceID: SequenceID(request: b, choice: 0), token: 9)]))
        let events = scheduler.takeEvents()
        #expect(events.contains(.finished(SequenceID(request: a, choice: 0), .failed)))
        #expect(events.contains(.tokenAppended(SequenceID(request: b, choice: 0), token: 9, index: 0)))
        #expect(scheduler.metrics.runningSequences == 1)
    }

    @Test func abandonedStepIsPlannedAgain() throws {
        var scheduler = try makeScheduler()
        _ = try scheduler.submitOrFail(makeRequest(prompt: promptTokens(6)))
        let first = scheduler.schedule()
        scheduler.abandonStep()
        let again = scheduler.schedule()
        #expect(again.sequences == first.sequences)
        #expect(scheduler.invariantViolations() == [])
    }

    @Test func invalidConfigurationIsAnErrorNotACrash() {
        #expect(throws: SchedulerError.invalidConfiguration("blockSize must be at least 1")) {
            try ContinuousBatchScheduler(config: makeConfig(blockSize: 0))
        }
        #expect(throws: SchedulerError.self) { try ContinuousBatchScheduler(config: makeConfig(maxBatchedTokens: 0)) }
        #expect(throws: SchedulerError.self) { try ContinuousBatchScheduler(config: makeConfig(totalBlocks: 0)) }
    }

    @Test func metricsReportQueueAndBatchSizes() throws {
        var driver = Driver(try makeScheduler(makeConfig(maxSequences: 2)))
        for index in 0..<3 { _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(5, start: index * 10))) }
        driver.step()
        let metrics = driver.scheduler.metrics
        #expect(metrics.runningSequences == 2)
        #expect(metrics.waitingSequences == 1)
        #expect(metrics.queuedRequests == 1)
        #expect(metrics.queuedPromptTokens == 5)
        #expect(metrics.lastBatchSequences == 2)
        #expect(metrics.lastBatchTokens == 10)
        #expect(metrics.kvBlocksUsed == 4)
        #expect(metrics.kvBlocksTotal == 64)
        #expect(metrics.steps == 1)
    }

    @Test func cancelWhileAStepIsInFlightDropsItsSamples() throws {
        var scheduler = try makeScheduler()
        let request = try scheduler.submitOrFail(makeRequest(maxNewTokens: 5))
        let sequence = SequenceID(request: request, choice: 0)
        _ = scheduler.schedule()
        scheduler.cancel(request)
        scheduler.update(with: StepOutput(samples: [SequenceSample(sequenceID: sequence, token: 1)]))
        #expect(scheduler.takeEvents() == [])
        _ = scheduler.schedule()
        #expect(scheduler.takeEvents() == [
            .finished(sequence, .cancelled),
            .requestFinished(request, usage: RequestUsage(promptTokens: 5, cachedPromptTokens: 0, completionTokens: 0, preemptions: 0)),
        ])
        #expect(scheduler.metrics.kvBlocksUsed == 0)
        #expect(scheduler.invariantViolations() == [])
    }
}
