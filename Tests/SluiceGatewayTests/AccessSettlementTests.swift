import Foundation
import Logging
@testable import SluiceAPI
@testable import SluiceHTTP
import SluiceStore
import SluiceTesting
import Synchronization
import Testing
@testable import SluiceGateway

/// A request that does not complete (client gone mid-stream, engine failure) is settled with the
/// tokens it really used: its prompt plus what was generated until then, once, on the in-memory
/// store and on Redis. The budget makes the difference observable: charged as reserved, the
/// second reservation would not fit.
@Suite(.serialized) struct AccessSettlementTests {
    enum StoreKind: String, CaseIterable, Sendable { case memory, redis }

    static let pepper = Array("pepper-pepper-pepper".utf8)
    static let maxTokens = 300
    /// Room for one full reservation (prompt + 300) and some, not for two.
    static let budget = 420

    /// A gateway's access control and chat route over a scripted engine that never stops by itself.
    struct Harness {
        let control: AccessControl
        let routes: InferenceRoutes
        let executor: ScriptedExecutor
        let redis: RedisServerLauncher?
        let redisStore: RedisStore?
        let key: CreatedAPIKey

        func stop() {
            routes.service.stop()
            redisStore?.shutdown()
            redis?.stop()
        }

        var handler: HTTPHandler { control.protect(path: "/v1/chat/completions", .async { await routes.chatCompletions($0) }) }

        func chat(stream: Bool) -> HTTPRequest {
            var headers = HTTPHeaders()
            headers.add("Authorization", "Bearer \(key.plaintextKey)")
            let body = #"{"model":"test-model","messages":[{"role":"user","content":"Count forever"}],"#
                + #""max_tokens":\#(maxTokens),"temperature":0,"stream":\#(stream)}"#
            return HTTPRequest(head: HTTPRequestHead(method: .post, target: "/v1/chat/completions", headers: headers),
                               body: Array(body.utf8))
        }

        /// Usage of today once the request was recorded (settlement may finish after the response).
        func usage() async throws -> DailyUsage? {
            for _ in 0..<400 {
                let days = try await control.services.usage.usage(keyID: key.record.id, from: Date(), to: Date())
                if let day = days.first, day.requests > 0 { return day }
                try await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }

        /// Whether a fresh reservation of a full request (prompt + max tokens) still fits the budget.
        func fullReservationFits(promptTokens: Int) async throws -> Bool {
            let request = AdmissionRequest(keyID: key.record.id, limits: key.record.limits, requestID: "probe",
                                           reservedTokens: promptTokens + maxTokens, leaseDuration: .seconds(30))
            if case .allowed = try await control.services.limiter.admit(request) { return true }
            return false
        }
    }

    func makeHarness(_ kind: StoreKind) async throws -> Harness {
        let model = try InferenceFixture.served()
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " one two three four five", endless: true)
        executor.stepDelay = 0.004
        let service = try makeService(executor, model: model)
        let routes = InferenceRoutes(model: model, service: service, unixTime: { 1_700_000_000 })
        var redis: RedisServerLauncher?
        var redisStore: RedisStore?
        let services: StoreServices
        switch kind {
        case .memory:
            services = try InMemoryStore.open(pepper: Self.pepper, dataDirectory: nil)
        case .redis:
            let launched = try await RedisServerLauncher.start()
            let store = try RedisStore(configuration: RedisConfiguration(port: launched.port, connectTimeout: .seconds(1),
                                                                         commandTimeout: .seconds(2)),
                                       pepper: Self.pepper)
            redis = launched
            redisStore = store
            services = try store.gatewayServices(pepper: Self.pepper)
        }
        var configuration = AccessConfiguration()
        configuration.adminKey = "admin-key-0123456789"
        let control = try AccessControl(configuration: configuration, services: services, pepper: Self.pepper,
                                        logger: Logger(label: "test"))
        let key = try await services.keys.createKey(APIKeySpec(
            name: "settle", limits: RateLimits(tokensPerMinute: 100_000, maxConcurrentRequests: 2,
                                               tokenBudget: TokenBudget(tokens: Self.budget, period: .day))))
        return Harness(control: control, routes: routes, executor: executor, redis: redis, redisStore: redisStore, key: key)
    }

    func promptTokens() throws -> Int {
        try InferenceFixture.served().chatPrompt([.init(role: .user, contentParts: ["Count forever"], name: nil,
                                                        toolCallID: nil, toolCalls: [])]).count
    }

    @Test(arguments: StoreKind.allCases)
    func clientLeavingAStreamIsChargedTheTokensGeneratedNotTheReservation(_ kind: StoreKind) async throws {
        let harness = try await makeHarness(kind)
        defer { harness.stop() }
        let response = await respond(harness.handler, harness.chat(stream: true))
        #expect(response.status.code == 200)
        guard case .stream(_, let producer) = response.body else {
            Issue.record("a streaming request must get a streamed body"); return
        }
        // The loop's side of the connection: the client reads a few chunks, then hangs up.
        let sink = ChunkCountingSink()
        let writer = HTTPBodyWriter(sink: sink, connection: ConnectionID(fd: 1, serial: 1))
        let task = Task { try? await producer(writer) }
        #expect(await eventually(within: 10) { sink.writes >= 4 })
        writer.cancel()
        task.cancel()
        await task.value

        let usage = try #require(try await harness.usage())
        let prompt = try promptTokens()
        #expect(usage.requests == 1)
        #expect(usage.promptTokens == prompt)
        #expect(usage.completionTokens >= 3)
        #expect(usage.completionTokens < Self.maxTokens / 3, "a cancelled stream was charged like a complete one")
        // The budget was charged the same small amount: a second full reservation fits.
        #expect(try await harness.fullReservationFits(promptTokens: prompt))
        // Settled exactly once: nothing more is recorded later.
        try await Task.sleep(for: .milliseconds(100))
        let again = try #require(try await harness.usage())
        #expect(again == usage)
    }

    @Test(arguments: StoreKind.allCases)
    func cancelledNonStreamingRequestIsChargedTheTokensGenerated(_ kind: StoreKind) async throws {
        let harness = try await makeHarness(kind)
        defer { harness.stop() }
        let handler = harness.handler
        let request = harness.chat(stream: false)
        let task = Task { await respond(handler, request) }
        #expect(await eventually(within: 10) { harness.executor.plans.count >= 6 })
        task.cancel()  // what the event loop does when the client closes the connection
        _ = await task.value
        let usage = try #require(try await harness.usage())
        #expect(usage.promptTokens == (try promptTokens()))
        #expect(usage.completionTokens >= 1)
        #expect(usage.completionTokens < Self.maxTokens / 3)
        #expect(try await harness.fullReservationFits(promptTokens: try promptTokens()))
    }

    @Test(arguments: StoreKind.allCases)
    func engineFailureBeforeTheFirstTokenChargesThePromptOnly(_ kind: StoreKind) async throws {
        let harness = try await makeHarness(kind)
        defer { harness.stop() }
        harness.executor.failing = true
        let response = await respond(harness.handler, harness.chat(stream: false))
        #expect(response.status.code >= 500)
        let usage = try #require(try await harness.usage())
        #expect(usage.requests == 1)
        #expect(usage.promptTokens == (try promptTokens()))
        #expect(usage.completionTokens == 0)
        #expect(try await harness.fullReservationFits(promptTokens: try promptTokens()))
    }
}

func respond(_ handler: HTTPHandler, _ request: HTTPRequest) async -> HTTPResponse {
    switch handler {
    case .sync(let body): return body(request)
    case .async(let body): return await body(request)
    }
}

/// Stands in for the event loop: counts the chunks a producer writes.
final class ChunkCountingSink: ResponseSink, Sendable {
    private let count = Mutex(0)

    var writes: Int { count.withLock { $0 } }

    func submit(_ command: LoopCommand) {
        if case .write(let writer, let bytes) = command {
            count.withLock { $0 += 1 }
            writer.loopTook(bytes.count)
        }
    }
}
