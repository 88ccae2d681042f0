import SluiceTesting
import Testing
@testable import SluiceScheduler

@Suite struct SchedulerPrefixCacheTests {
    @Test func laterRequestReusesFullPromptBlocksAndReportsCachedTokens() throws {
        var driver = Driver(try makeScheduler())
        let prompt = promptTokens(10)
        let first = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 2))
        driver.runUntilIdle()
        let firstTable = try #require(driver.plans.first?.sequences.first?.blockTable)
        let second = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 2))
        let plan = driver.step()
        let entry = try #require(plan.sequences.first)
        #expect(entry.startPosition == 8)
        #expect(entry.tokens == Array(prompt[8...]))
        #expect(Array(entry.blockTable.prefix(2)) == Array(firstTable.prefix(2)))
        driver.runUntilIdle()
        #expect(driver.usage(first)?.cachedPromptTokens == 0)
        #expect(driver.usage(second)?.cachedPromptTokens == 8)
        #expect(driver.generated(SequenceID(request: second, choice: 0)) == driver.generated(SequenceID(request: first, choice: 0)))
        #expect(driver.scheduler.metrics.prefixCacheHitTokens == 8)
        #expect(driver.scheduler.metrics.prefixCacheQueryTokens == 20)
        #expect(driver.executor.problems == [])
    }

    @Test func fullyCachedPromptStillComputesItsLastBlock() throws {
        var driver = Driver(try makeScheduler())
        let prompt = promptTokens(8)  // exactly two full blocks
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1))
        driver.runUntilIdle()
        let second = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1))
        let entry = try #require(driver.step().sequences.first)
        #expect(entry.startPosition == 4)
        #expect(entry.tokens == Array(prompt[4...]))
        #expect(entry.needsLogits)
        #expect(driver.usage(second)?.cachedPromptTokens == 4)
    }

    @Test func runningRequestsShareBlocksWithReferenceCounts() throws {
        var driver = Driver(try makeScheduler())
        let prefix = promptTokens(8)
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: prefix + [1], maxNewTokens: 5))
        driver.step()
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: prefix + [2], maxNewTokens: 5))
        let plan = driver.step()
        #expect(plan.sequences.count == 2)
        let shared = Array(plan.sequences[0].blockTable.prefix(2))
        #expect(Array(plan.sequences[1].blockTable.prefix(2)) == shared)
        #expect(plan.sequences[1].blockTable[2] != plan.sequences[0].blockTable[2])
        for block in shared { #expect(driver.scheduler.blocks.refCount(block) == 2) }
        #expect(driver.scheduler.invariantViolations() == [])
        driver.runUntilIdle()
        #expect(driver.executor.problems == [])
    }

    @Test func divergingPromptsReuseOnlyTheCommonFullBlocks() throws {
        var driver = Driver(try makeScheduler())
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(6) + promptTokens(10, start: 500), maxNewTokens: 1))
        driver.runUntilIdle()
        let second = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(6) + promptTokens(10, start: 900), maxNewTokens: 1))
        driver.runUntilIdle()
        #expect(driver.usage(second)?.cachedPromptTokens == 4)
    }

    @Test func differentCacheSaltsNeverShareBlocks() throws {
        var driver = Driver(try makeScheduler())
        let prompt = promptTokens(12)
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1, salt: "tenant-a"))
        driver.runUntilIdle()
        let other = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1, salt: "tenant-b"))
        let unsalted = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1))
        let same = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1, salt: "tenant-a"))
        driver.runUntilIdle()
        #expect(driver.usage(other)?.cachedPromptTokens == 0)
        #expect(driver.usage(unsalted)?.cachedPromptTokens == 0)
        #expect(driver.usage(same)?.cachedPromptTokens == 8)
    }

    @Test func choicesSharePromptBlocksComputedByTheFirstChoice() throws {
        var driver = Driver(try makeScheduler())
        let prompt = promptTokens(9)
        let request = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 3, choices: 3))
        let first = driver.step()
        #expect(first.sequences.map(\.sequenceID.choice) == [0])  // siblings wait for choice 0's prompt
        let second = driver.step()
        let siblings = second.sequences.filter { $0.sequenceID.choice > 0 }
        #expect(siblings.map(\.startPosition) == [8, 8])
        for sibling in siblings { #expect(Array(sibling.blockTable.prefix(2)) == Array(first.sequences[0].blockTable.prefix(2))) }
        driver.runUntilIdle()
        for choice in 0..<3 {
            let expected = FakeModel.reference(prompt: prompt, choice: choice, maxNewTokens: 3, stopAtEOS: false).tokens
            #expect(driver.generated(SequenceID(request: request, choice: choice)) == expected)
        }
        // Choices are distinct samples, not copies of one another.
        #expect(driver.generated(SequenceID(request: request, choice: 0)) != driver.generated(SequenceID(request: request, choice: 1)))
        #expect(driver.usage(request) == RequestUsage(promptTokens: 9, cachedPromptTokens: 0, completionTokens: 9, preemptions: 0))
        #expect(driver.executor.problems == [])
    }

    @Test func idleCachedBlocksAreEvictedLeastRecentlyUsedFirst() throws {
        // 6 blocks of 4 tokens. A and B each leave two cached blocks; C needs four fresh blocks.
        var driver = Driver(try makeScheduler(makeConfig(totalBlocks: 6)))
        let promptA = promptTokens(8, start: 0)
        let promptB = promptTokens(8, start: 100)
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptA + [1], maxNewTokens: 1))
        driver.runUntilIdle()
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptB + [1], maxNewTokens: 1))
        driver.runUntilIdle()
        #expect(driver.scheduler.metrics.kvBlocksCached == 4)
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: promptTokens(13, start: 300), maxNewTokens: 1))
        driver.runUntilIdle()
        // Free blocks went first, then A's (older) cached blocks; B's survive.
        let b = try driver.scheduler.submitOrFail(makeRequest(prompt: promptB + [2], maxNewTokens: 1))
        let a = try driver.scheduler.submitOrFail(makeRequest(prompt: promptA + [2], maxNewTokens: 1))
        driver.runUntilIdle()
        #expect(driver.usage(b)?.cachedPromptTokens == 8)
        #expect(driver.usage(a)?.cachedPromptTokens == 0)
        #expect(driver.executor.problems == [])
    }

    @Test func disabledPrefixCachingNeverHits() throws {
        var driver = Driver(try makeScheduler(makeConfig(enablePrefixCaching: false)))
        let prompt = promptTokens(12)
        _ = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1))
        driver.runUntilIdle()
        let second = try driver.scheduler.submitOrFail(makeRequest(prompt: prompt, maxNewTokens: 1, choices: 2))
        driver.runUntilIdle()
        #expect(driver.usage(second)?.cachedPromptTokens == 0)
        #expect(driver.scheduler.metrics.kvBlocksCached == 0)
        #expect(driver.executor.problems == [])
    }
}
