import Foundation
import SluiceHTTP
import SluiceAPI
import SluiceEngine
import SluiceScheduler
import SluiceTesting
import Testing
@testable import SluiceGateway

/// The real model's tokenizer and template (parsing the GGUF header is fast; no forward pass).
enum InferenceFixture {
    static let model: Result<ServedLanguageModel, any Error> = Result {
        let file = try GGUFFile(path: try ModelFixture.requireDefaultModel())
        return try ServedLanguageModel.load(id: "test-model", file: file, maxModelLength: 512)
    }

    static func served() throws -> ServedLanguageModel { try model.get() }
}

/// A deterministic stand-in for the forward pass: the next token depends only on the last fed
/// token, following a script (`successor`); a token not in the script starts it; the script's
/// last token is followed by EOS (or, when `endless`, by its first token again). Records every
/// plan and checks its block tables cover the positions written.
final class ScriptedExecutor: InferenceExecutor, @unchecked Sendable {
    let vocabularySize: Int
    let script: [Int]
    private let successor: [Int: Int]
    private let lock = NSLock()
    private var _plans: [StepPlan] = []
    var blockSize = 16
    /// Seconds each step takes (cancellation and timeout tests need a stream still running).
    var stepDelay: Double = 0
    var failing = false

    init(tokenizer: Tokenizer, script text: String, endless: Bool = false) {
        vocabularySize = tokenizer.vocabularySize
        script = tokenizer.encode(text, addSpecialTokens: false)
        var next: [Int: Int] = [:]
        for (index, token) in script.enumerated() {
            if index + 1 < script.count {
                next[token] = script[index + 1]
            } else {
                next[token] = endless ? script[0] : (tokenizer.eosTokenId ?? 0)
            }
        }
        successor = next
    }

    var plans: [StepPlan] { lock.withLock { _plans } }

    func execute(_ plan: StepPlan, withLogits body: (LogitRowsView) -> Void) throws(GatewayError) {
        lock.withLock { _plans.append(plan) }
        if stepDelay > 0 { Thread.sleep(forTimeInterval: stepDelay) }
        if failing { throw GatewayError(.engineFailed, "scripted failure") }
        var rows: [Float] = []
        for entry in plan.sequences {
            let needed = (entry.startPosition + entry.tokens.count + blockSize - 1) / blockSize
            if entry.blockTable.count < needed { throw GatewayError(.engineFailed, "block table too short for \(entry.sequenceID)") }
            guard entry.needsLogits, let last = entry.tokens.last else { continue }
            var row = Array(repeating: Float(-10), count: vocabularySize)
            let next = successor[Int(last)] ?? script[0]
            row[next] = 10
            // A runner-up, so logprobs have alternatives and sampling at temperature 1 is not certain.
            row[(next + 1) % vocabularySize] = 8
            rows += row
        }
        let width = vocabularySize
        rows.withUnsafeBufferPointer { all in
            body(LogitRowsView(count: all.count / width) { UnsafeBufferPointer(rebasing: all[$0 * width..<($0 + 1) * width]) })
        }
    }
}

/// Everything a stream delivered, in order.
struct CollectedEvents {
    var events: [InferenceEvent] = []

    func text(choice: Int) -> String {
        events.reduce(into: "") { text, event in
            if case let .delta(index, piece, _) = event, index == choice { text += piece }
        }
    }

    func logprobs(choice: Int) -> [SluiceAPI.TokenLogprob] {
        events.flatMap { event -> [SluiceAPI.TokenLogprob] in
            if case let .delta(index, _, logprobs) = event, index == choice { return logprobs }
            return []
        }
    }

    func finishReason(choice: Int) -> GenerationFinishReason? {
        for case let .finished(index, reason) in events where index == choice { return reason }
        return nil
    }

    var usage: GenerationUsage? {
        for case let .completed(usage) in events { return usage }
        return nil
    }

    var failure: InferenceFailure? {
        for case let .failed(error) in events { return error }
        return nil
    }
}

func collect(_ handle: InferenceHandle) async -> CollectedEvents {
    var collected = CollectedEvents()
    for await event in handle.events { collected.events.append(event) }
    return collected
}

func makeSchedulerConfig(totalBlocks: Int = 64, maxSequences: Int = 8, maxModelLength: Int = 512,
                         maxWaitingRequests: Int = 64) -> SchedulerConfig {
    SchedulerConfig(blockSize: 16, totalBlocks: totalBlocks, maxBatchedTokens: 64, maxSequences: maxSequences,
                    maxModelLength: maxModelLength, maxWaitingRequests: maxWaitingRequests)
}

func makeService(_ executor: ScriptedExecutor, model: ServedLanguageModel, config: SchedulerConfig = makeSchedulerConfig(),
                 start: Bool = true, samplingThreads: Int = 1) throws -> EngineService {
    let service = try EngineService(scheduler: config, executor: executor, tokenizer: model.tokenizer,
                                    clock: EngineService.Clock(now: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
                                                               entropy: { 42 }),
                                    samplingThreads: samplingThreads)
    if start { service.start() }
    return service
}

/// Polls `condition` up to `seconds` (the engine thread runs on its own).
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Routes over a scripted engine, and the requests and bodies the route tests exchange with them.
struct ScriptedRoutes {
    let model: ServedLanguageModel

    init() throws { model = try InferenceFixture.served() }

    func make(script: String = " Paris is lovely", config: SchedulerConfig = makeSchedulerConfig(),
              start: Bool = true) throws -> InferenceRoutes {
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: script)
        let service = try makeService(executor, model: model, config: config, start: start)
        return InferenceRoutes(model: model, service: service, unixTime: { 1_700_000_000 })
    }
}

func post(_ path: String, _ json: String) -> HTTPRequest {
    HTTPRequest(head: HTTPRequestHead(method: .post, target: path), body: Array(json.utf8))
}

func bodyJSON(_ response: HTTPResponse) throws -> [String: Any] {
    guard case .bytes(let bytes) = response.body else { throw CocoaError(.fileReadCorruptFile) }
    return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}
