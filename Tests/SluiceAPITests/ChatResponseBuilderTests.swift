import Testing
@testable import SluiceAPI

@Suite struct ChatResponseBuilderTests {
    private let identity = ResponseIdentity(id: "chatcmpl-abc", created: 1_700_000_000, model: "smollm2", systemFingerprint: "fp_sluice")

    private func makeBuilder(_ extra: String = "") throws -> ChatResponseBuilder {
        ChatResponseBuilder(request: try ValidatedChatRequest.validate(body: chatBody(extra)), identity: identity)
    }

    private let usage = Usage(promptTokens: 9, completionTokens: 2, cachedTokens: 4)

    @Test func nonStreamingResponseHasEveryRequiredKey() throws {
        let response = try makeBuilder().response(choices: [GeneratedChoice(text: "Hello", finishReason: .stop)], usage: usage)
        let json = try wire(response)
        #expect(json["id"] == .string("chatcmpl-abc"))
        #expect(json["object"] == .string("chat.completion"))
        #expect(json["created"] == .integer(1_700_000_000))
        #expect(json["model"] == .string("smollm2"))
        #expect(json["system_fingerprint"] == .string("fp_sluice"))
        let choice = try #require(json["choices"]?[0])
        #expect(choice.keys == ["index", "message", "logprobs", "finish_reason"])
        #expect(choice["index"] == .integer(0))
        #expect(choice["logprobs"] == .null)  // present and null when not asked
        #expect(choice["finish_reason"] == .string("stop"))
        #expect(choice["message"] == .object(["role": .string("assistant"), "content": .string("Hello"), "refusal": .null]))
    }

    @Test func usageCarriesCachedTokensAndDetails() throws {
        let json = try wire(try makeBuilder().response(choices: [GeneratedChoice(text: "", finishReason: .length)], usage: usage))
        let usageJSON = try #require(json["usage"])
        #expect(usageJSON["prompt_tokens"] == .integer(9))
        #expect(usageJSON["completion_tokens"] == .integer(2))
        #expect(usageJSON["total_tokens"] == .integer(11))
        #expect(usageJSON["prompt_tokens_details"]?["cached_tokens"] == .integer(4))
        #expect(usageJSON["completion_tokens_details"]?["reasoning_tokens"] == .integer(0))
    }

    @Test func everyChoiceHasItsIndex() throws {
        let choices = (0..<3).map { GeneratedChoice(text: "c\($0)", finishReason: $0 == 2 ? .length : .stop) }
        let json = try wire(try makeBuilder("'n':3").response(choices: choices, usage: usage))
        for index in 0..<3 {
            #expect(json["choices"]?[index]?["index"] == .integer(Int64(index)))
            #expect(json["choices"]?[index]?["message"]?["content"] == .string("c\(index)"))
        }
        #expect(json["choices"]?[2]?["finish_reason"] == .string("length"))
    }

    @Test func logprobsHaveTheChatShape() throws {
        let token = TokenLogprob(token: "Hi", bytes: [72, 105], logprob: -0.25, top: [
            .init(token: "Hi", bytes: [72, 105], logprob: -0.25),
            .init(token: "Hey", bytes: [72, 101, 121], logprob: -1.5),
            .init(token: "Yo", bytes: [89, 111], logprob: -.infinity),
        ])
        let builder = try makeBuilder("'logprobs':true,'top_logprobs':2")
        let json = try wire(builder.response(choices: [GeneratedChoice(text: "Hi", finishReason: .stop, logprobs: [token])], usage: usage))
        let logprobs = try #require(json["choices"]?[0]?["logprobs"])
        #expect(logprobs.keys == ["content", "refusal"])
        #expect(logprobs["refusal"] == .null)
        let entry = try #require(logprobs["content"]?[0])
        #expect(entry.keys == ["token", "logprob", "bytes", "top_logprobs"])
        #expect(entry["token"] == .string("Hi"))
        #expect(entry["logprob"] == .number(-0.25))
        #expect(entry["bytes"] == .array([.integer(72), .integer(105)]))
        #expect(entry["top_logprobs"]?.count == 2)  // top_logprobs: 2 of the 3 alternatives
        #expect(entry["top_logprobs"]?[1]?["token"] == .string("Hey"))

        let all = try makeBuilder("'logprobs':true,'top_logprobs':3")
        let clamped = try wire(all.response(choices: [GeneratedChoice(text: "Hi", finishReason: .stop, logprobs: [token])], usage: usage))
        #expect(clamped["choices"]?[0]?["logprobs"]?["content"]?[0]?["top_logprobs"]?[2]?["logprob"] == .integer(-9999))  // JSONEncoder writes -9999.0 as -9999
    }

    @Test func streamStartsWithRoleChunkAndEndsWithFinishChunk() throws {
        let builder = try makeBuilder("'stream':true")
        let chunks = builder.streamChunks(
            choices: [GeneratedChoice(text: "Hello", finishReason: .stop)],
            deltas: [StreamDelta(choice: 0, text: "Hel"), StreamDelta(choice: 0, text: ""), StreamDelta(choice: 0, text: "lo")],
            usage: usage)
        let json = try chunks.map(wire)
        #expect(json.count == 4)  // role, "Hel", "lo", finish (the empty delta is dropped)
        #expect(json[0]["choices"]?[0]?["delta"] == .object(["role": .string("assistant"), "content": .string("")]))
        #expect(json[1]["choices"]?[0]?["delta"] == .object(["content": .string("Hel")]))
        #expect(json[2]["choices"]?[0]?["delta"] == .object(["content": .string("lo")]))
        #expect(json[3]["choices"]?[0]?["delta"] == .object([:]))
        #expect(json[3]["choices"]?[0]?["finish_reason"] == .string("stop"))
        for chunk in json {
            #expect(chunk["object"] == .string("chat.completion.chunk"))
            #expect(chunk["id"] == .string("chatcmpl-abc"))
            #expect(chunk["created"] == .integer(1_700_000_000))
            #expect(!chunk.keys.contains("usage"))  // no include_usage: no usage key at all
            #expect(chunk["choices"]?.count == 1)  // never an empty choices array (B1)
            #expect(chunk["choices"]?[0]?.keys == ["index", "delta", "logprobs", "finish_reason"])
            #expect(chunk["choices"]?[0]?["logprobs"] == .null)
        }
        for chunk in json.dropLast() { #expect(chunk["choices"]?[0]?["finish_reason"] == .null) }
    }

    @Test func includeUsageAddsOneEmptyChoicesChunkAndNullUsageElsewhere() throws {
        let builder = try makeBuilder("'stream':true,'stream_options':{'include_usage':true}")
        let chunks = builder.streamChunks(choices: [GeneratedChoice(text: "a", finishReason: .length)],
                                          deltas: [StreamDelta(choice: 0, text: "a")], usage: usage)
        let json = try chunks.map(wire)
        let last = try #require(json.last)
        #expect(last["choices"] == .array([]))
        #expect(last["usage"]?["total_tokens"] == .integer(11))
        #expect(last["usage"]?["prompt_tokens_details"]?["cached_tokens"] == .integer(4))
        for chunk in json.dropLast() {
            #expect(chunk["usage"] == .null)
            #expect(chunk["choices"]?.count == 1)
        }
        #expect(json.filter { $0["choices"] == .array([]) }.count == 1)
    }

    @Test func severalChoicesStreamWithTheirOwnIndexAndFinish() throws {
        let builder = try makeBuilder("'stream':true,'n':2")
        let chunks = builder.streamChunks(
            choices: [GeneratedChoice(text: "x", finishReason: .stop), GeneratedChoice(text: "y", finishReason: .length)],
            deltas: [StreamDelta(choice: 1, text: "y"), StreamDelta(choice: 0, text: "x")], usage: usage)
        let json = try chunks.map(wire)
        let finishes = json.compactMap { chunk -> (JSONValue, JSONValue)? in
            guard let choice = chunk["choices"]?[0], choice["finish_reason"] != .null else { return nil }
            return (choice["index"] ?? .null, choice["finish_reason"] ?? .null)
        }
        #expect(finishes.map(\.0) == [.integer(0), .integer(1)])
        #expect(finishes.map(\.1) == [.string("stop"), .string("length")])
        #expect(json.filter { $0["choices"]?[0]?["delta"]?["role"] != nil }.count == 2)
    }

    @Test func streamedLogprobsRideOnContentChunks() throws {
        let builder = try makeBuilder("'stream':true,'logprobs':true")
        let chunk = try #require(builder.contentChunk(StreamDelta(choice: 0, text: "A", logprobs: [TokenLogprob(token: "A", bytes: [65], logprob: -1)])))
        let json = try wire(chunk)
        #expect(json["choices"]?[0]?["logprobs"]?["content"]?[0]?["token"] == .string("A"))
        #expect(json["choices"]?[0]?["logprobs"]?["content"]?[0]?["top_logprobs"] == .array([]))
    }

    @Test func chunksDecodeBackWithTheOpenAIShape() throws {
        let builder = try makeBuilder("'stream':true,'stream_options':{'include_usage':true}")
        let chunk = try #require(builder.contentChunk(StreamDelta(choice: 0, text: "é😀")))
        let decoded = try WireJSON.decode(ChatCompletionChunk.self, from: WireJSON.encode(chunk))
        #expect(decoded == chunk)
    }
}
