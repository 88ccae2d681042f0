import Foundation
import SluiceHTTP
import SluiceScheduler
import SluiceTesting
@testable import SluiceAPI
import Testing
@testable import SluiceGateway

@Suite("OpenAI routes over the engine service (scripted executor, no sockets)")
struct InferenceRoutesTests {
    let fixture: ScriptedRoutes
    var model: ServedLanguageModel { fixture.model }

    init() throws { fixture = try ScriptedRoutes() }

    func makeRoutes(script: String = " Paris is lovely", config: SchedulerConfig = makeSchedulerConfig(),
                    start: Bool = true) throws -> InferenceRoutes {
        try fixture.make(script: script, config: config, start: start)
    }

    func errorCode(_ response: HTTPResponse) throws -> String? {
        (try bodyJSON(response)["error"] as? [String: Any])?["code"] as? String
    }

    @Test func chatCompletionBodyCarriesTheGeneratedTextAndUsage() async throws {
        let routes = try makeRoutes()
        defer { routes.service.stop() }
        let response = await routes.chatCompletions(post("/v1/chat/completions",
            #"{"model":"test-model","messages":[{"role":"user","content":"Capital of France?"}],"temperature":0}"#))
        #expect(response.status.code == 200)
        let body = try bodyJSON(response)
        #expect(body["object"] as? String == "chat.completion")
        #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        #expect(body["created"] as? Int == 1_700_000_000)
        let choice = try #require((body["choices"] as? [[String: Any]])?.first)
        #expect((choice["message"] as? [String: Any])?["content"] as? String == " Paris is lovely")
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice["logprobs"] is NSNull)
        let usage = try #require(body["usage"] as? [String: Any])
        let expectedPrompt = try model.chatPrompt([.init(role: .user, contentParts: ["Capital of France?"], name: nil,
                                                         toolCallID: nil, toolCalls: [])]).count
        #expect(usage["prompt_tokens"] as? Int == expectedPrompt)
    }

    @Test func unknownModelIsNotFound() async throws {
        let routes = try makeRoutes(start: false)
        let response = await routes.chatCompletions(post("/v1/chat/completions",
            #"{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}"#))
        #expect(response.status.code == 404)
        #expect(try errorCode(response) == "model_not_found")
        let completion = await routes.completions(post("/v1/completions", #"{"model":"gpt-4o","prompt":"x"}"#))
        #expect(completion.status.code == 404)
    }

    @Test func invalidJSONIsABadRequest() async throws {
        let routes = try makeRoutes(start: false)
        let response = await routes.chatCompletions(post("/v1/chat/completions", "{nope"))
        #expect(response.status.code == 400)
        #expect(try errorCode(response) == "invalid_json")
    }

    @Test func fullQueueAnswers503WithRetryAfter() async throws {
        let routes = try makeRoutes(config: makeSchedulerConfig(maxWaitingRequests: 0), start: false)
        let response = await routes.chatCompletions(post("/v1/chat/completions",
            #"{"model":"test-model","messages":[{"role":"user","content":"x"}],"stream":true}"#))
        #expect(response.status.code == 503)
        #expect(response.headers["Retry-After"] == "1")
        #expect(try errorCode(response) == "engine_overloaded")
    }

    @Test func completionPromptOverTheContextNamesThePromptParam() async throws {
        let routes = try makeRoutes(config: makeSchedulerConfig(maxModelLength: 32), start: false)
        let response = await routes.completions(post("/v1/completions",
            #"{"model":"test-model","prompt":"one two three four five six seven eight nine ten","max_tokens":30}"#))
        #expect(response.status.code == 400)
        let error = try #require(try bodyJSON(response)["error"] as? [String: Any])
        #expect(error["code"] as? String == "context_length_exceeded")
        #expect(error["param"] as? String == "prompt")
    }

    @Test func echoWithZeroMaxTokensReturnsThePromptWithoutGenerating() async throws {
        let routes = try makeRoutes(start: false)  // nothing may run
        let response = await routes.completions(post("/v1/completions",
            #"{"model":"test-model","prompt":"Hello there","max_tokens":0,"echo":true}"#))
        let choice = try #require((try bodyJSON(response)["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == "Hello there")
        #expect(choice["finish_reason"] as? String == "length")
    }

    @Test func completionsWithEchoPrependThePrompt() async throws {
        let routes = try makeRoutes(script: " world")
        defer { routes.service.stop() }
        let response = await routes.completions(post("/v1/completions",
            #"{"model":"test-model","prompt":"Hello","max_tokens":5,"echo":true,"logprobs":1}"#))
        let body = try bodyJSON(response)
        #expect(body["object"] as? String == "text_completion")
        let choice = try #require((body["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == "Hello world")
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        #expect(logprobs["tokens"] as? [String] == [" world"])
        #expect(logprobs["text_offset"] as? [Int] == [5])  // after the echoed prompt
    }

    @Test func tokenizeAndDetokenizeRoundTrip() throws {
        let routes = try makeRoutes(start: false)
        let tokenized = try bodyJSON(routes.tokenize(post("/tokenize", #"{"prompt":"Hello, world!","add_special_tokens":false}"#)))
        let tokens = try #require(tokenized["tokens"] as? [Int])
        #expect(tokenized["count"] as? Int == tokens.count)
        #expect(tokenized["max_model_len"] as? Int == model.maxModelLength)
        let detokenized = try bodyJSON(routes.detokenize(post("/detokenize", "{\"tokens\":\(tokens)}")))
        #expect(detokenized["prompt"] as? String == "Hello, world!")
    }

    @Test func detokenizeRejectsIdsOutsideTheVocabulary() throws {
        let routes = try makeRoutes(start: false)
        let response = routes.detokenize(post("/detokenize", #"{"tokens":[1, 99999999]}"#))
        #expect(response.status.code == 400)
        #expect(((try bodyJSON(response)["error"] as? [String: Any])?["param"] as? String) == "tokens[1]")
        #expect(routes.tokenize(post("/tokenize", #"{"model":"other","prompt":"x"}"#)).status.code == 404)
        #expect(routes.tokenize(post("/tokenize", #"{"text":"x"}"#)).status.code == 400)
    }

    @Test func metricsAreServedAsPrometheusText() throws {
        let routes = try makeRoutes(start: false)
        let response = routes.metricsResponse()
        #expect(response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        guard case .bytes(let bytes) = response.body else { Issue.record("not bytes"); return }
        // swift-prometheus prints gauge values as Swift Doubles.
        #expect(String(decoding: bytes, as: UTF8.self).contains("sluice_kv_blocks_total 64.0\n"))
    }
}

@Suite("Inference settings from flags, environment and file")
struct InferenceConfigurationTests {
    @Test func inferenceSettingsResolveFromEverySource() throws {
        let config = try GatewayConfiguration.resolve(
            flags: ["model": "m.gguf", "max-sequences": "8", "weights": "f32"],
            environment: ["SLUICE_KV_BLOCKS": "512", "SLUICE_CONFIG": "c.json"],
            readFile: { _ in Data(#"{"max_waiting_requests": 3, "block_size": 32, "request_timeout": 2.5}"#.utf8) })
        #expect(config.inference.maxSequences == 8)
        #expect(config.inference.kvBlocks == 512)
        #expect(config.inference.maxWaitingRequests == 3)
        #expect(config.inference.blockSize == 32)
        #expect(config.inference.requestTimeoutSeconds == 2.5)
        #expect(config.inference.weightsAsFloat32)
        let scheduler = config.inference.schedulerConfig(modelContextLength: 8192)
        #expect(scheduler.totalBlocks == 512 && scheduler.blockSize == 32 && scheduler.maxSequences == 8)
        #expect(scheduler.maxModelLength == 4096)
    }

    @Test func outOfRangeInferenceSettingsAreRejected() {
        #expect(throws: GatewayError.self) {
            try GatewayConfiguration.resolve(flags: ["model": "m.gguf", "max-sequences": "0"], environment: [:])
        }
        #expect(throws: GatewayError.self) {
            try GatewayConfiguration.resolve(flags: ["model": "m.gguf", "kv-cache-type": "q4"], environment: [:])
        }
    }
}
