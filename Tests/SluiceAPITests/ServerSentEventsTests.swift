import SluiceTesting
import Testing
@testable import SluiceAPI

@Suite struct ServerSentEventsTests {
    @Test func framesEachEventAsOneDataLine() throws {
        let bytes = ServerSentEvents.event(ModelList(data: [.init(id: "m", created: 1, ownedBy: "sluice")]))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("data: {"))
        #expect(text.hasSuffix("}\n\n"))
        #expect(text.dropLast(2).contains("\n") == false)
        let json = try JSONParser.parse(Array(bytes.dropFirst(6).dropLast(2)))
        #expect(json["object"] == .string("list"))
        #expect(json["data"]?[0]?.keys == ["id", "object", "created", "owned_by"])
        #expect(json["data"]?[0]?["object"] == .string("model"))
    }

    @Test func contentWithNewlinesStaysOnOneLine() {
        let chunk = ChatCompletionChunk(id: "c", created: 1, model: "m", systemFingerprint: nil,
                                        choices: [ChatChunkChoice(index: 0, delta: ChatDelta(role: nil, content: "a\n\nb"), logprobs: nil, finishReason: nil)],
                                        usage: nil, includesUsageKey: false)
        let text = String(decoding: ServerSentEvents.event(chunk), as: UTF8.self)
        #expect(text.filter { $0 == "\n" }.count == 2)
    }

    @Test func doneAndErrorEvents() throws {
        #expect(String(decoding: ServerSentEvents.done, as: UTF8.self) == "data: [DONE]\n\n")
        let error = ServerSentEvents.error(.internal("engine failed"))
        let json = try JSONParser.parse(Array(error.dropFirst(6).dropLast(2)))
        #expect(json["error"]?["message"] == .string("engine failed"))
        #expect(json["error"]?.keys == ["message", "type", "param", "code"])
        #expect(ServerSentEvents.keepAlive.first == UInt8(ascii: ":"))
    }

    @Test func responseIDsHaveThePrefixAndAreDeterministicForASeed() {
        var first = SplitMix64(seed: 1)
        var second = SplitMix64(seed: 1)
        let id = ResponseIdentity.makeID(prefix: "chatcmpl-", using: &first)
        #expect(id.hasPrefix("chatcmpl-"))
        #expect(id.count == 9 + 24)
        #expect(id == ResponseIdentity.makeID(prefix: "chatcmpl-", using: &second))
        #expect(id != ResponseIdentity.makeID(prefix: "chatcmpl-", using: &second))
    }
}
