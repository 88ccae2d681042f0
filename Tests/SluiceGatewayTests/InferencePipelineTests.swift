import Foundation
@testable import SluiceHTTP
import SluiceScheduler
@testable import SluiceAPI
import Testing
@testable import SluiceGateway

/// What the two routes share through `InferencePipeline`, checked on both, so the glue they used
/// to copy cannot drift apart again: the admission reservation for `n > 1` and several prompts,
/// the `param` of a context-length error, streaming and collecting the same answer, and
/// refusing unimplemented OpenAI fields before anything runs.
@Suite("One pipeline behind both OpenAI routes (scripted executor, no sockets)")
struct InferencePipelineTests {
    let fixture: ScriptedRoutes
    init() throws { fixture = try ScriptedRoutes() }

    func errorObject(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(try bodyJSON(response)["error"] as? [String: Any])
    }

    /// Runs a streamed response's producer and returns the SSE `data:` payloads.
    func streamedEvents(_ response: HTTPResponse) async throws -> [String] {
        guard case .stream(_, let producer) = response.body else { throw CocoaError(.fileReadCorruptFile) }
        let sink = CollectingSink()
        try await producer(sink.writer)
        return String(decoding: sink.bytes, as: UTF8.self).components(separatedBy: "\n\n")
            .filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }

    @Test func chatReservesThePromptOnceAndEveryChoice() throws {
        let chat = try ValidatedChatRequest.validate(body: Array(
            #"{"model":"test-model","messages":[{"role":"user","content":"Hi"}],"n":3,"max_tokens":7}"#.utf8))
        let job = try ChatCompletionsAdapter.job(for: chat, model: fixture.model)
        #expect(job.promptTokenCount == job.prompts[0].count)
        #expect(job.maxCompletionTokens == 21)
    }

    @Test func completionsReserveEachPromptOnceAndEveryChoiceOfEveryPrompt() throws {
        let request = try ValidatedCompletionRequest.validate(body: Array(
            #"{"model":"test-model","prompt":["one two","three four five"],"n":2,"max_tokens":5}"#.utf8))
        let job = try CompletionsAdapter.job(for: request, model: fixture.model)
        #expect(job.prompts.count == 2)
        // Prompts once each, as `usage.prompt_tokens` counts them (the route used to reserve them n times).
        #expect(job.promptTokenCount == job.prompts[0].count + job.prompts[1].count)
        #expect(job.maxCompletionTokens == 5 * 2 * 2)
    }

    @Test(arguments: [("/v1/chat/completions", "messages"), ("/v1/completions", "prompt")])
    func contextLengthErrorsNameTheRoutesPromptField(_ path: String, _ param: String) async throws {
        let routes = try fixture.make(config: makeSchedulerConfig(maxModelLength: 32), start: false)
        let long = "one two three four five six seven eight nine ten eleven twelve"
        let body = path.hasSuffix("chat/completions")
            ? #"{"model":"test-model","messages":[{"role":"user","content":"\#(long)"}],"max_tokens":30}"#
            : #"{"model":"test-model","prompt":"\#(long)","max_tokens":30}"#
        let response = path.hasSuffix("chat/completions") ? await routes.chatCompletions(post(path, body))
                                                          : await routes.completions(post(path, body))
        #expect(response.status.code == 400)
        let error = try errorObject(response)
        #expect(error["code"] as? String == "context_length_exceeded")
        #expect(error["param"] as? String == param)
    }

    @Test(arguments: [("/v1/chat/completions", "prediction"), ("/v1/chat/completions", "web_search_options"),
                      ("/v1/completions", "suffix")])
    func unimplementedFieldsAreRefusedBeforeAnythingRuns(_ path: String, _ param: String) async throws {
        let routes = try fixture.make(start: false)  // nothing may run
        let extra = ["prediction": #""prediction":{"type":"content","content":"x"}"#,
                     "web_search_options": #""web_search_options":{}"#,
                     "suffix": #""suffix":"!""#][param] ?? ""
        let response = path.hasSuffix("chat/completions")
            ? await routes.chatCompletions(post(path, #"{"model":"test-model","messages":[{"role":"user","content":"x"}],\#(extra)}"#))
            : await routes.completions(post(path, #"{"model":"test-model","prompt":"x",\#(extra)}"#))
        #expect(response.status.code == 400)
        let error = try errorObject(response)
        #expect(error["param"] as? String == param)
        #expect(error["code"] as? String == "unsupported_parameter")
        #expect(routes.service.schedulerMetrics.queuedRequests == 0)
    }

    @Test func streamedAndCollectedAnswersCarryTheSameText() async throws {
        let routes = try fixture.make()
        defer { routes.service.stop() }
        for path in ["/v1/chat/completions", "/v1/completions"] {
            let isChat = path.hasSuffix("chat/completions")
            let base = isChat ? #"{"model":"test-model","messages":[{"role":"user","content":"x"}],"temperature":0"#
                              : #"{"model":"test-model","prompt":"x","max_tokens":20,"temperature":0"#
            let plain = isChat ? await routes.chatCompletions(post(path, base + "}")) : await routes.completions(post(path, base + "}"))
            let json = try bodyJSON(plain)
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            let text = isChat ? (choice["message"] as? [String: Any])?["content"] as? String : choice["text"] as? String
            let streamed = isChat
                ? await routes.chatCompletions(post(path, base + #","stream":true,"stream_options":{"include_usage":true}}"#))
                : await routes.completions(post(path, base + #","stream":true,"stream_options":{"include_usage":true}}"#))
            let events = try await streamedEvents(streamed)
            #expect(events.last == "[DONE]")
            var joined = ""
            var sawUsage = false
            for event in events.dropLast() {
                let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                if chunk["usage"] is [String: Any] { sawUsage = true }
                for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                    joined += isChat ? ((choice["delta"] as? [String: Any])?["content"] as? String ?? "") : (choice["text"] as? String ?? "")
                }
            }
            #expect(joined == text && text == " Paris is lovely", "\(path)")
            #expect(sawUsage, "\(path)")
        }
    }

    @Test func echoWithZeroMaxTokensStreamsThePromptAndFinishes() async throws {
        let routes = try fixture.make(start: false)  // nothing may run
        let response = await routes.completions(post("/v1/completions",
            #"{"model":"test-model","prompt":"Hello there","max_tokens":0,"echo":true,"stream":true}"#))
        #expect(response.status.code == 200)
        let events = try await streamedEvents(response)
        #expect(events.first?.contains(#""text":"Hello there""#) == true)
        #expect(events.contains { $0.contains(#""finish_reason":"length""#) })
        #expect(events.last == "[DONE]")
    }

    @Test func aliasesReachTheServedModelAndOtherNamesAre404() async throws {
        let base = try fixture.make()
        defer { base.service.stop() }
        let routes = InferenceRoutes(model: fixture.model, service: base.service,
                                     resolveModel: { ["gpt-4o-mini": "test-model", "test-model": "test-model"][$0] },
                                     unixTime: { 1_700_000_000 })
        let byAlias = await routes.chatCompletions(post("/v1/chat/completions",
            #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":3}"#))
        #expect(byAlias.status.code == 200)
        #expect(try bodyJSON(byAlias)["model"] as? String == "test-model")
        let unknown = await routes.completions(post("/v1/completions", #"{"model":"gpt-5","prompt":"x"}"#))
        #expect(unknown.status.code == 404)
        #expect(try errorObject(unknown)["param"] as? String == "model")
    }
}

/// Stands in for the event loop: keeps what a stream producer writes.
final class CollectingSink: ResponseSink, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [UInt8] = []

    var bytes: [UInt8] { lock.withLock { collected } }
    var writer: HTTPBodyWriter { HTTPBodyWriter(sink: self, connection: ConnectionID(fd: 1, serial: 1)) }

    func submit(_ command: LoopCommand) {
        if case .write(let writer, let bytes) = command {
            lock.withLock { collected += bytes }
            writer.loopTook(bytes.count)
        }
    }
}
