import Testing
@testable import SluiceAPI

@Suite struct CompletionStreamTests {
    private let identity = ResponseIdentity(id: "chatcmpl-s", created: 1, model: "m")
    private let usage = Usage(promptTokens: 3, completionTokens: 4, cachedTokens: 0)

    private func makeChat(_ extra: String) throws -> ChatCompletionStream {
        ChatCompletionStream(request: try ValidatedChatRequest.validate(body: chatBody(extra)), identity: identity)
    }

    /// Concatenated streamed content per choice.
    private func content(_ chunks: [ChatCompletionChunk], choice: Int = 0) -> String {
        chunks.flatMap(\.choices).filter { $0.index == choice }.compactMap(\.delta.content).joined()
    }

    @Test func stopStringSpanningTokensEndsTheChoiceWithoutLeaking() throws {
        var stream = try makeChat("'stream':true,'stop':['\\nUser:']")
        var chunks = stream.start()
        var stopped = false
        for piece in ["Sure", ".", "\n", "Us", "er", ": hi"] where !stopped {
            let result = stream.append(choice: 0, text: piece)
            chunks += result.chunks
            stopped = result.stopMatched
        }
        #expect(stopped)
        #expect(content(chunks) == "Sure.")
        #expect(chunks.last?.choices.first?.finishReason == .stop)
        // The scheduler then reports the sequence finished: nothing more is sent.
        #expect(stream.finish(choice: 0, reason: .stop).isEmpty)
        #expect(stream.isFinished)
        // Streamed and non-streamed text agree (vLLM #2577).
        #expect(stream.response(usage: usage).choices[0].message.content == "Sure.")
        // No empty content deltas apart from the role chunk (vLLM #13087).
        #expect(chunks.dropFirst().allSatisfy { $0.choices.first?.delta.content != "" })
    }

    @Test func heldBackTextIsFlushedWhenTheChoiceEndsOtherwise() throws {
        var stream = try makeChat("'stream':true,'stop':'END'")
        var chunks = stream.start()
        chunks += stream.append(choice: 0, text: "the E").chunks
        #expect(content(chunks) == "the ")
        chunks += stream.finish(choice: 0, reason: .length)
        #expect(content(chunks) == "the E")
        #expect(chunks.last?.choices.first?.finishReason == .length)
    }

    @Test func emojiSplitAcrossTokensArrivesWhole() throws {
        // The detokenizer releases complete characters; a ZWJ family may still come scalar by scalar.
        var stream = try makeChat("'stream':true,'stop':['👧!']")
        var chunks = stream.start()
        for scalar in "👨‍👩‍👧".unicodeScalars { chunks += stream.append(choice: 0, text: String(scalar)).chunks }
        chunks += stream.finish(choice: 0, reason: .stop)
        #expect(content(chunks) == "👨‍👩‍👧")
        #expect(!content(chunks).unicodeScalars.contains("\u{FFFD}"))
    }

    @Test func choicesAreIndependent() throws {
        var stream = try makeChat("'stream':true,'n':2,'stop':'x'")
        var chunks = stream.start()
        chunks += stream.append(choice: 1, text: "ax").chunks
        chunks += stream.append(choice: 0, text: "b").chunks
        chunks += stream.finish(choice: 0, reason: .length)
        #expect(content(chunks, choice: 0) == "b")
        #expect(content(chunks, choice: 1) == "a")
        #expect(stream.generatedChoices.map(\.finishReason) == [.length, .stop])
        #expect(stream.append(choice: 7, text: "ignored").chunks.isEmpty)
    }

    @Test func usageChunkOnlyWhenAskedFor() throws {
        #expect(try makeChat("'stream':true").end(usage: usage).isEmpty)
        let chunks = try makeChat("'stream':true,'stream_options':{'include_usage':true}").end(usage: usage)
        #expect(chunks.count == 1)
        #expect(chunks.first?.choices.isEmpty == true)
    }

    @Test func logprobsOfStopTokensAreDropped() throws {
        var stream = try makeChat("'logprobs':true,'stop':'Z'")
        _ = stream.append(choice: 0, text: "A", logprobs: [TokenLogprob(token: "A", bytes: [65], logprob: -1)])
        _ = stream.append(choice: 0, text: "Z", logprobs: [TokenLogprob(token: "Z", bytes: [90], logprob: -2)])
        let choice = stream.response(usage: usage).choices[0]
        #expect(choice.message.content == "A")
        #expect(choice.logprobs?.content?.map(\.token) == ["A"])
    }

    @Test func completionStreamEchoesThenStreamsWithOffsets() throws {
        let request = try ValidatedCompletionRequest.validate(body: completionBody("'stream':true,'echo':true,'logprobs':0,'stop':'.'"))
        var stream = CompletionStream(request: request, identity: identity, echoPrefixes: ["hello"])
        var chunks = stream.start()
        let result = stream.append(choice: 0, text: " world", logprobs: [TokenLogprob(token: " world", bytes: [], logprob: -1)])
        chunks += result.chunks
        chunks += stream.append(choice: 0, text: ". more").chunks
        #expect(chunks.flatMap(\.choices).map(\.text).joined() == "hello world")
        #expect(chunks[1].choices[0].logprobs?.textOffset == [5])
        #expect(chunks.last?.choices.first?.finishReason == .stop)
        #expect(stream.response(usage: usage).choices[0].text == "hello world")
    }
}
