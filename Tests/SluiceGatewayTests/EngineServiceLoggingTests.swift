import Foundation
import Logging
import SluiceTesting
import Testing
@testable import SluiceGateway

@Suite("Engine service logging")
struct EngineServiceLoggingTests {
    @Test func aFailedStepIsLogged() async throws {
        let model = try InferenceFixture.served()
        let prompt = model.tokenizer.encode("Tell me about foxes.", addSpecialTokens: false).map { Int32($0) }
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        executor.failing = true
        let records = LogRecords()
        let service = try EngineService(scheduler: makeSchedulerConfig(), executor: executor, tokenizer: model.tokenizer,
                                        logger: records.logger(label: "test.engine"))
        service.start()
        defer { service.stop() }
        let events = await collect(try service.submit(InferenceJob(prompts: [prompt], maxNewTokens: 4)).get())
        guard case .backendFailed? = events.failure else { Issue.record("not a backend failure: \(String(describing: events.failure))"); return }
        #expect(records.messages(.error) == ["engine step failed"])
    }
}
