import Testing
@testable import SluiceAPI

@Suite struct CompletionResponseBuilderTests {
    private let identity = ResponseIdentity(id: "cmpl-abc", created: 1_589_478_378, model: "smollm2")
    private let usage = Usage(promptTokens: 5, completionTokens: 7, cachedTokens: 0)

    private func makeBuilder(_ extra: String = "") throws -> CompletionResponseBuilder {
        CompletionResponseBuilder(request: try ValidatedCompletionRequest.validate(body: completionBody(extra)), identity: identity)
    }

    @Test func nonStreamingResponseHasTheTextCompletionShape() throws {
        let json = try wire(try makeBuilder().response(choices: [GeneratedChoice(text: " world", finishReason: .length)], usage: usage))
        #expect(json["object"] == .string("text_completion"))
        #expect(json["id"] == .string("cmpl-abc"))
        #expect(!json.keys.contains("system_fingerprint"))
        let choice = try #require(json["choices"]?[0])
        #expect(choice.keys == ["text", "index", "logprobs", "finish_reason"])
        #expect(choice["text"] == .string(" world"))
        #expect(choice["logprobs"] == .null)
        #expect(choice["finish_reason"] == .string("length"))
        #expect(json["usage"]?["total_tokens"] == .integer(12))
    }

    @Test func logprobsHaveTheLegacyShapeWithTextOffsets() throws {
        let tokens = [
            TokenLogprob(token: " wor", bytes: Array(" wor".utf8), logprob: -0.5, top: [.init(token: " wor", bytes: [], logprob: -0.5), .init(token: " war", bytes: [], logprob: -2)]),
            TokenLogprob(token: "ld😀", bytes: Array("ld😀".utf8), logprob: -0.1, top: [.init(token: "ld😀", bytes: [], logprob: -0.1)]),
        ]
        let builder = try makeBuilder("'logprobs':1,'echo':true")
        let json = try wire(builder.response(choices: [GeneratedChoice(text: " world😀", finishReason: .stop, logprobs: tokens)],
                                             usage: usage, echoPrefixes: ["hello"]))
        let choice = try #require(json["choices"]?[0])
        #expect(choice["text"] == .string("hello world😀"))
        let logprobs = try #require(choice["logprobs"])
        #expect(logprobs.keys == ["tokens", "token_logprobs", "top_logprobs", "text_offset"])
        #expect(logprobs["tokens"] == .array([.string(" wor"), .string("ld😀")]))
        #expect(logprobs["token_logprobs"] == .array([.number(-0.5), .number(-0.1)]))
        #expect(logprobs["top_logprobs"]?[0] == .object([" wor": .number(-0.5)]))  // logprobs: 1 alternative
        #expect(logprobs["text_offset"] == .array([.integer(5), .integer(9)]))
    }

    @Test func streamChunksShareTheShapeAndFinishLast() throws {
        let builder = try makeBuilder("'stream':true,'n':2,'stream_options':{'include_usage':true}")
        let chunks = builder.streamChunks(
            choices: [GeneratedChoice(text: "ab", finishReason: .stop), GeneratedChoice(text: "c", finishReason: .length)],
            deltas: [StreamDelta(choice: 0, text: "a"), StreamDelta(choice: 1, text: "c"), StreamDelta(choice: 0, text: "b")],
            usage: usage)
        let json = try chunks.map(wire)
        #expect(json.count == 6)
        for chunk in json {
            #expect(chunk["object"] == .string("text_completion"))
            #expect(chunk["id"] == .string("cmpl-abc"))
        }
        for chunk in json.dropLast() {
            #expect(!chunk.keys.contains("usage"))
            #expect(chunk["choices"]?.count == 1)
        }
        #expect(json.prefix(3).allSatisfy { $0["choices"]?[0]?["finish_reason"] == .null })
        #expect(json[3]["choices"]?[0]?["finish_reason"] == .string("stop"))
        #expect(json[4]["choices"]?[0]?["index"] == .integer(1))
        #expect(json[5]["choices"] == .array([]))
        #expect(json[5]["usage"]?["completion_tokens"] == .integer(7))
    }

    @Test func streamedLogprobOffsetsContinueAcrossChunks() throws {
        let builder = try makeBuilder("'stream':true,'logprobs':0")
        let chunks = builder.streamChunks(
            choices: [GeneratedChoice(text: "abc", finishReason: .stop)],
            deltas: [StreamDelta(choice: 0, text: "ab", logprobs: [TokenLogprob(token: "ab", bytes: [97, 98], logprob: -1)]),
                     StreamDelta(choice: 0, text: "c", logprobs: [TokenLogprob(token: "c", bytes: [99], logprob: -2)])],
            usage: usage)
        let json = try chunks.map(wire)
        #expect(json[0]["choices"]?[0]?["logprobs"]?["text_offset"] == .array([.integer(0)]))
        #expect(json[1]["choices"]?[0]?["logprobs"]?["text_offset"] == .array([.integer(2)]))
        #expect(json[1]["choices"]?[0]?["logprobs"]?["top_logprobs"] == .array([.object([:])]))
    }
}
