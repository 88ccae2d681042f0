import Foundation
import SluiceAPI
import SluiceEngine
import SluiceScheduler
import SluiceTesting
import Testing
@testable import SluiceGateway

@Suite("Engine service with a scripted executor")
struct InferenceEngineServiceTests {
    let model: ServedLanguageModel
    let prompt: [Int32]

    init() throws {
        model = try InferenceFixture.served()
        prompt = model.tokenizer.encode("Tell me about foxes.", addSpecialTokens: false).map { Int32($0) }
    }

    func submit(_ service: EngineService, _ job: InferenceJob) throws -> InferenceHandle {
        try service.submit(job).get()
    }

    @Test func streamsTheScriptThenStopsAtEndOfGenerationWithUsage() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " The quick brown fox jumps")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 50)))
        #expect(events.text(choice: 0) == " The quick brown fox jumps")
        #expect(events.finishReason(choice: 0) == .stop)
        let usage = try #require(events.usage)
        #expect(usage.promptTokens == prompt.count)
        #expect(usage.completionTokens == executor.script.count + 1)  // the EOS token counts, as in vLLM
        // Order: every delta before the finish, `completed` last.
        guard case .completed = events.events.last else { Issue.record("completed is not last"); return }
        let finishIndex = try #require(events.events.firstIndex { if case .finished = $0 { true } else { false } })
        #expect(events.events.dropFirst(finishIndex + 1).allSatisfy { if case .delta = $0 { false } else { true } })
    }

    @Test func maxNewTokensEndsWithLength() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " The quick brown fox jumps")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 2)))
        #expect(events.text(choice: 0) == model.tokenizer.decode(Array(executor.script.prefix(2))))
        #expect(events.finishReason(choice: 0) == .length)
        #expect(events.usage?.completionTokens == 2)
    }

    @Test func stopStringEndsTheChoiceWithoutLeakingAndFreesBlocks() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " The quick brown fox jumps over", endless: true)
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 200, stops: ["n fo"])))
        #expect(events.text(choice: 0) == " The quick brow")
        #expect(events.finishReason(choice: 0) == .stop)
        #expect(await eventually { service.schedulerMetrics.kvBlocksUsed == 0 })
        // Far fewer than 200 tokens ran: the stop ended the sequence in the scheduler.
        #expect((events.usage?.completionTokens ?? 999) < 10)
    }

    @Test func everyChoiceOfNGetsTextAndAFinish() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " one two three")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], choicesPerPrompt: 3, maxNewTokens: 20)))
        for choice in 0..<3 {
            #expect(events.text(choice: choice) == " one two three")
            #expect(events.finishReason(choice: choice) == .stop)
        }
        #expect(events.usage?.promptTokens == prompt.count)
        #expect(events.usage?.completionTokens == 3 * (executor.script.count + 1))
    }

    @Test func severalPromptsNumberChoicesByPromptThenChoice() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " alpha beta")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let second: [Int32] = model.tokenizer.encode("Another prompt", addSpecialTokens: false).map { Int32($0) }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt, second], choicesPerPrompt: 2, maxNewTokens: 1)))
        for choice in 0..<4 { #expect(events.finishReason(choice: choice) == .length) }
        #expect(events.usage?.promptTokens == prompt.count + second.count)  // each prompt counted once, not per choice
    }

    @Test func choicesOfOneRequestShareThePromptBlocks() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let long = Array(repeating: prompt, count: 6).flatMap { $0 }  // several full blocks
        _ = await collect(try submit(service, InferenceJob(prompts: [long], choicesPerPrompt: 2, maxNewTokens: 1)))
        // Choice 1 hits choice 0's full prompt blocks: it never prefills them itself.
        let fedToChoice1 = executor.plans.flatMap(\.sequences).filter { $0.sequenceID.choice == 1 }.reduce(0) { $0 + $1.tokens.count }
        #expect(fedToChoice1 < long.count)
    }

    @Test func cancellingFreesTheBlocksAndEndsTheStreamWithoutCompletion() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " on and on", endless: true)
        executor.stepDelay = 0.005
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let handle = try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 400))
        var collected = CollectedEvents()
        for await event in handle.events {
            collected.events.append(event)
            if collected.events.count == 3 { handle.cancel() }
        }
        #expect(collected.usage == nil)
        #expect(collected.failure == nil)
        #expect(await eventually { service.schedulerMetrics.kvBlocksUsed == 0 && service.metrics.requests(status: "cancelled") == 1 })
    }

    @Test func droppingTheEventStreamCancelsTheJob() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " on and on", endless: true)
        executor.stepDelay = 0.005
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let handle = try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 400))
        let task = Task { await collect(handle) }
        try await Task.sleep(for: .milliseconds(30))
        task.cancel()
        _ = await task.value
        #expect(await eventually { service.schedulerMetrics.kvBlocksUsed == 0 && service.schedulerMetrics.runningSequences == 0 })
    }

    @Test func fullWaitingQueueRejectsWithOverloadAndRetryAfter() throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        // Not started: admitted requests stay queued, so the bound is reached deterministically.
        let service = try makeService(executor, model: model, config: makeSchedulerConfig(maxWaitingRequests: 2), start: false)
        _ = try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 4))
        _ = try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 4))
        let result = service.submit(InferenceJob(prompts: [prompt], maxNewTokens: 4))
        guard case .failure(let failure) = result else { Issue.record("third request admitted"); return }
        #expect(failure == .overloaded(retryAfterSeconds: 1))
        let error = APIError(failure, promptParam: "messages")
        #expect(error.status == 503)
        #expect(error.code == "engine_overloaded")
        #expect(error.headers.contains { $0.name == "Retry-After" })
        #expect(service.metrics.requests(status: "rejected_overload") == 1)
    }

    @Test func promptPlusMaxTokensOverTheContextIsRejected() throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        let service = try makeService(executor, model: model, config: makeSchedulerConfig(maxModelLength: 64), start: false)
        let result = service.submit(InferenceJob(prompts: [prompt], maxNewTokens: 64))
        guard case .failure(let failure) = result else { Issue.record("admitted"); return }
        guard case .contextLengthExceeded(let requested, let limit) = failure else { Issue.record("\(failure)"); return }
        #expect(requested > limit && limit == 64)
        let error = APIError(failure, promptParam: "prompt")
        #expect(error.status == 400)
        #expect(error.code == "context_length_exceeded")
        #expect(error.param == "prompt")
    }

    @Test func aRejectedSecondPromptWithdrawsTheFirst() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        let service = try makeService(executor, model: model, config: makeSchedulerConfig(maxModelLength: 64))
        defer { service.stop() }
        let long = Array(repeating: Int32(prompt[0]), count: 70)
        let result = service.submit(InferenceJob(prompts: [prompt, long], maxNewTokens: 4))
        guard case .failure = result else { Issue.record("admitted"); return }
        #expect(await eventually { service.schedulerMetrics.waitingSequences == 0 && service.schedulerMetrics.runningSequences == 0 })
        #expect(service.schedulerMetrics.queuedRequests == 0)
    }

    @Test func anExecutorFailureFailsTheJobWith500AndFreesBlocks() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        executor.failing = true
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 4)))
        #expect(events.failure.map { APIError($0, promptParam: "messages").status } == 500)
        #expect(events.usage == nil)
        #expect(await eventually { service.schedulerMetrics.kvBlocksUsed == 0 })
        #expect(service.metrics.requests(status: "error") == 1)
    }

    @Test func aRequestPastItsTimeoutEndsWithATimeoutError() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " on and on", endless: true)
        executor.stepDelay = 0.005
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 400, timeoutSeconds: 0.05)))
        #expect(events.failure == .timedOut)
        #expect(events.failure.map { APIError($0, promptParam: "messages").code } == "timeout")
        #expect(await eventually { service.schedulerMetrics.kvBlocksUsed == 0 })
    }

    @Test func logprobsComeWithEveryGeneratedToken() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " The quick brown")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        var sampling = SluiceEngine.SamplingParameters.greedy
        sampling.logprobs = true
        sampling.topLogprobs = 2
        let events = await collect(try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 50, sampling: sampling)))
        let logprobs = events.logprobs(choice: 0)
        #expect(logprobs.count == executor.script.count)  // EOS is not reported
        #expect(logprobs.map(\.token).joined() == " The quick brown")
        #expect(logprobs.allSatisfy { $0.top.count == 2 && $0.logprob < 0 && $0.logprob > -1 })
    }

    @Test func concurrentJobsEachGetTheirOwnCompleteOutput() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " The quick brown fox jumps")
        let service = try makeService(executor, model: model, config: makeSchedulerConfig(totalBlocks: 32, maxSequences: 4))
        defer { service.stop() }
        let handles = try (0..<12).map { _ in try submit(service, InferenceJob(prompts: [prompt], maxNewTokens: 50)) }
        var texts: [String] = []
        for handle in handles { texts.append(await collect(handle).text(choice: 0)) }
        #expect(texts.allSatisfy { $0 == " The quick brown fox jumps" })
        #expect(executor.plans.contains { $0.sequences.count > 1 })  // they really were batched
        #expect(await eventually { service.schedulerMetrics.kvBlocksUsed == 0 })
    }

    @Test func seededSamplingRepeatsAndChoicesDiffer() async throws {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " a b c d e f g h i j k l m n o p", endless: true)
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        var sampling = SluiceEngine.SamplingParameters(temperature: 1.5)
        sampling.seed = 7
        let job = InferenceJob(prompts: [prompt], choicesPerPrompt: 4, maxNewTokens: 24, sampling: sampling)
        let first = await collect(try submit(service, job))
        let second = await collect(try submit(service, job))
        let firstTexts = (0..<4).map { first.text(choice: $0) }
        #expect(firstTexts == (0..<4).map { second.text(choice: $0) })
        #expect(Set(firstTexts).count > 1)
    }

    @Test func parallelSamplingGivesTheSameSeededOutputAsSerial() async throws {
        var texts: [[String]] = []
        for threads in [1, 2] {
            let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " a b c d e f g h i j k l m n o p", endless: true)
            let service = try makeService(executor, model: model, samplingThreads: threads)
            var sampling = SluiceEngine.SamplingParameters(temperature: 1.5)
            sampling.seed = 11
            let handles = try (0..<6).map { _ in
                try submit(service, InferenceJob(prompts: [prompt], choicesPerPrompt: 2, maxNewTokens: 16, sampling: sampling))
            }
            var run: [String] = []
            for handle in handles {
                let events = await collect(handle)
                run += [events.text(choice: 0), events.text(choice: 1)]
            }
            service.stop()
            texts.append(run)
        }
        #expect(texts[0] == texts[1])
        #expect(Set(texts[0]).count > 1)
    }
}
