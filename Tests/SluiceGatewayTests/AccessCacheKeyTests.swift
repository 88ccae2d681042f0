import Testing
@testable import SluiceGateway
import SluiceAPI
import SluiceHTTP

@Suite struct AccessCacheKeyTests {
    static let base = #"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"#

    func chatKey(_ json: String) throws -> [UInt8] {
        CanonicalRequestKey.chat(try ValidatedChatRequest.validate(body: Array(json.utf8)))
    }

    func with(_ extra: String) -> String {
        String(Self.base.dropLast()) + "," + extra + "}"
    }

    /// LiteLLM #42400: every generation parameter must change the key.
    @Test(arguments: [
        #""temperature":0.5"#, #""top_p":0.5"#, #""top_k":5"#, #""min_p":0.1"#, #""max_tokens":7"#,
        #""seed":1"#, #""stop":["x"]"#, #""n":2"#, #""presence_penalty":1"#, #""frequency_penalty":1"#,
        #""logit_bias":{"5":1}"#, #""logprobs":true"#, #""logprobs":true,"top_logprobs":2"#,
        #""response_format":{"type":"json_object"}"#,
        #""response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}"#,
        #""tools":[{"type":"function","function":{"name":"f"}}]"#,
        #""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required""#,
        #""tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false"#,
    ])
    func everyGenerationParameterChangesTheKey(extra: String) throws {
        let json = extra.hasPrefix(#""temperature""#)
            ? Self.base.replacingOccurrences(of: #""temperature":0"#, with: extra) : with(extra)
        #expect(try chatKey(json) != chatKey(Self.base))
    }

    @Test(arguments: [#""stream":true"#, #""user":"alice""#, #""stream":true,"stream_options":{"include_usage":true}"#])
    func labelsAndStreamShapeDoNotChangeTheKey(extra: String) throws {
        #expect(try chatKey(with(extra)) == chatKey(Self.base))
    }

    @Test func messagesAndModelChangeTheKeyWithoutAmbiguity() throws {
        let a = #"{"model":"m","messages":[{"role":"user","content":"ab"},{"role":"user","content":"c"}],"temperature":0}"#
        let b = #"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"bc"}],"temperature":0}"#
        #expect(try chatKey(a) != chatKey(b))
        #expect(try chatKey(Self.base.replacingOccurrences(of: #""m""#, with: #""m2""#)) != chatKey(Self.base))
        #expect(try chatKey(Self.base.replacingOccurrences(of: "user", with: "system")) != chatKey(Self.base))
    }

    /// The schema is part of the key; its key order and spacing are not.
    @Test func schemasChangeTheKeyButNotTheirSpelling() throws {
        func schema(_ text: String) -> String {
            with(#""response_format":{"type":"json_schema","json_schema":{"name":"a","schema":"# + text + "}}")
        }
        let a = schema(#"{"type":"object","properties":{"x":{"type":"integer"}}}"#)
        #expect(try chatKey(a) == chatKey(schema(#"{ "properties": {"x": {"type": "integer"}}, "type": "object" }"#)))
        #expect(try chatKey(a) != chatKey(schema(#"{"type":"object","properties":{"x":{"type":"number"}}}"#)))
    }

    @Test func jsonSpellingDoesNotChangeTheKey() throws {
        let respaced = #"{ "temperature": 0.0, "messages": [ {"content": "hi", "role": "user"} ], "model": "m" }"#
        #expect(try chatKey(respaced) == chatKey(Self.base))
    }

    @Test func completionKeysCoverPromptsAndEcho() throws {
        func key(_ json: String) throws -> [UInt8] {
            CanonicalRequestKey.completion(try ValidatedCompletionRequest.validate(body: Array(json.utf8)))
        }
        let base = #"{"model":"m","prompt":"hi","max_tokens":4,"temperature":0}"#
        #expect(try key(base) != key(base.replacingOccurrences(of: "\"hi\"", with: "\"ho\"")))
        #expect(try key(base) != key(base.replacingOccurrences(of: "\"hi\"", with: "[1,2]")))
        #expect(try key(base) != key(base.replacingOccurrences(of: "\"max_tokens\":4", with: "\"max_tokens\":4,\"echo\":true")))
        #expect(try key(base) == key(base.replacingOccurrences(of: "\"max_tokens\":4", with: "\"max_tokens\":4,\"stream\":true")))
    }

    /// Fails when a field is added to the validated request types without a decision in
    /// `CanonicalRequestKey`: review it, add it there (or to the deliberate exclusions), update this list.
    @Test func chatFieldsAreAllKnown() throws {
        let chat = try ValidatedChatRequest.validate(body: Array(Self.base.utf8))
        #expect(Set(Mirror(reflecting: chat).children.compactMap(\.label))
                    == ["model", "messages", "maxTokens", "sampling", "output", "logprobs", "topLogprobs", "responseFormat", "tools"])
        #expect(Set(Mirror(reflecting: chat.tools).children.compactMap(\.label)) == ["tools", "choice", "parallelCalls"])
        #expect(Set(Mirror(reflecting: chat.sampling).children.compactMap(\.label))
                    == ["temperature", "topP", "topK", "minP", "presencePenalty", "frequencyPenalty", "seed", "logitBias"])
        #expect(Set(Mirror(reflecting: chat.output).children.compactMap(\.label))
                    == ["stop", "choices", "stream", "includeUsage", "user"])
        #expect(Set(Mirror(reflecting: chat.messages[0]).children.compactMap(\.label))
                    == ["role", "contentParts", "name", "toolCallID", "toolCalls"])
        let completion = try ValidatedCompletionRequest.validate(body: Array(#"{"model":"m","prompt":"p"}"#.utf8))
        #expect(Set(Mirror(reflecting: completion).children.compactMap(\.label))
                    == ["model", "prompts", "maxTokens", "sampling", "output", "logprobs", "echo", "responseFormat"])
    }
}

@Suite struct AccessCachePolicyTests {
    func decide(_ headers: HTTPHeaders, deterministic: Bool = true, enabled: Bool = true) -> ResponseCachePolicy {
        ResponseCachePolicy.decide(headers: headers, deterministic: deterministic, enabled: enabled)
    }

    @Test func cachesOnlyDeterministicRequestsUnlessForced() {
        #expect(ResponseCachePolicy.isDeterministic(temperature: 0, seed: nil))
        #expect(ResponseCachePolicy.isDeterministic(temperature: 0.7, seed: 3))
        #expect(!ResponseCachePolicy.isDeterministic(temperature: 0.7, seed: nil))
        #expect(decide([:]) == ResponseCachePolicy(read: true, write: true))
        #expect(decide([:], deterministic: false) == .off)
        #expect(decide(["x-sluice-cache": "force"], deterministic: false) == ResponseCachePolicy(read: true, write: true))
        #expect(decide(["x-sluice-cache": "bypass"]) == .off)
        #expect(decide([:], enabled: false) == .off)
    }

    @Test func cacheControlDirectivesSkipReadOrWrite() {
        #expect(decide(["Cache-Control": "no-cache"]) == ResponseCachePolicy(read: false, write: true))
        #expect(decide(["Cache-Control": "no-store"]) == ResponseCachePolicy(read: true, write: false))
        #expect(decide(["Cache-Control": "max-age=0, No-Store, no-cache"]) == .off)
    }

    @Test func marksHitOrMiss() {
        var headers = HTTPHeaders()
        ResponseCachePolicy.mark(&headers, hit: false)
        ResponseCachePolicy.mark(&headers, hit: true)
        #expect(headers.values("x-sluice-cache") == ["hit"])
    }
}

@Suite struct AccessCachedResponseTests {
    let entry = CachedResponse(body: Array(#"{"id":"x"}"#.utf8), chunks: [Array("data: {\"a\":1}\n\n".utf8), Array("data: {\"b\":2}\n\n".utf8)],
                               usageChunk: Array("data: {\"usage\":{}}\n\n".utf8), promptTokens: 7, completionTokens: 3)

    @Test func roundTripsThroughItsEncoding() {
        #expect(CachedResponse.decode(entry.encoded()) == entry)
        var noUsage = entry
        noUsage.usageChunk = nil
        noUsage.chunks = []
        #expect(CachedResponse.decode(noUsage.encoded()) == noUsage)
    }

    @Test func rejectsTruncatedOrForeignBytes() {
        let bytes = entry.encoded()
        for cut in [0, 3, 4, 12, bytes.count - 1] {
            #expect(CachedResponse.decode(Array(bytes.prefix(cut))) == nil)
        }
        #expect(CachedResponse.decode(bytes + [0]) == nil)
        #expect(CachedResponse.decode(Array("SLC2".utf8) + bytes.dropFirst(4)) == nil)
    }

    @Test func replaysTheSameChunksWithUsageOnlyWhenAsked() {
        let plain = String(decoding: entry.serverSentEvents(includeUsage: false), as: UTF8.self)
        #expect(plain == "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n")
        let withUsage = String(decoding: entry.serverSentEvents(includeUsage: true), as: UTF8.self)
        #expect(withUsage == "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: {\"usage\":{}}\n\ndata: [DONE]\n\n")
    }
}

@Suite struct CanonicalRequestKeyLayoutTests {
    /// The layout is part of every cache entry's identity: tag and value, each length-prefixed
    /// (big-endian u64), numbers as big-endian u64, booleans and optional markers as one byte.
    @Test func writesTaggedLengthPrefixedFields() {
        var key = CanonicalRequestKey(endpoint: "e")
        key.add("b", true)
        key.add("i", Int64(-2))
        key.add("o", Optional<String>.none) { $0.add("v", $1) }
        key.add("s", "hé")
        func length(_ n: UInt8) -> [UInt8] { [0, 0, 0, 0, 0, 0, 0, n] }
        let expected: [UInt8] = length(8) + Array("endpoint".utf8) + length(1) + [0x65]
            + length(1) + [0x62] + length(1) + [1]
            + length(1) + [0x69] + length(8) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
            + length(1) + [0x6F] + length(1) + [0]
            + length(1) + [0x73] + length(3) + [0x68, 0xC3, 0xA9]
        #expect(key.bytes == expected)
    }
}
