import Foundation
import Logging
import SluiceTesting
import Synchronization
import Testing
@testable import SluiceGateway

@Suite("Engine service logging")
struct EngineServiceLoggingTests {
    @Test func aFailedStepIsLogged() async throws {
        let model = try InferenceFixture.served()
        let prompt = model.tokenizer.encode("Tell me about foxes.", addSpecialTokens: false).map { Int32($0) }
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " x")
        executor.failing = true
        let errors = ErrorMessages()
        let service = try EngineService(scheduler: makeSchedulerConfig(), executor: executor, tokenizer: model.tokenizer,
                                        logger: Logger(label: "test.engine") { _ in ErrorMessages.Handler(messages: errors) })
        service.start()
        defer { service.stop() }
        let events = await collect(try service.submit(InferenceJob(prompts: [prompt], maxNewTokens: 4)).get())
        guard case .backendFailed? = events.failure else { Issue.record("not a backend failure: \(String(describing: events.failure))"); return }
        #expect(errors.all == ["engine step failed"])
    }
}

/// Error-level messages a logger received.
final class ErrorMessages: Sendable {
    private let messages = Mutex<[String]>([])
    var all: [String] { messages.withLock { $0 } }

    struct Handler: LogHandler {
        let messages: ErrorMessages
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.level >= .error else { return }
            messages.messages.withLock { $0.append("\(event.message)") }
        }
    }
}
