import SluiceAPI
import SluiceHTTP

// `POST /v1/chat/completions` (openai_compat.md §1.2-1.4): validate, render the model's chat
// template, submit, then either one `chat.completion` body or a `chat.completion.chunk` stream:
// role chunk per choice, content deltas, a finish chunk per choice, the usage chunk when
// `stream_options.include_usage`, then `data: [DONE]`.
extension InferenceRoutes {
    func chatCompletions(_ request: HTTPRequest) async -> HTTPResponse {
        let chat: ValidatedChatRequest
        let prompt: [Int32]
        do throws(APIError) {
            chat = try ValidatedChatRequest.validate(body: request.body)
            guard chat.model == model.id else { throw APIError.modelNotFound(chat.model) }
            prompt = try model.chatPrompt(chat.messages)
        } catch {
            return Self.errorResponse(error)
        }
        let job = InferenceJob(
            prompts: [prompt], choicesPerPrompt: chat.output.choices,
            maxNewTokens: model.maxNewTokens(requested: chat.maxTokens, promptCount: prompt.count),
            sampling: ServedLanguageModel.engineSampling(chat.sampling, logprobs: chat.logprobs, topLogprobs: chat.topLogprobs),
            stops: chat.output.stop, cacheSalt: nil, timeoutSeconds: requestTimeoutSeconds)
        let handle: InferenceHandle
        switch service.submit(job) {
        case .failure(let error): return Self.errorResponse(error)
        case .success(let admitted): handle = admitted
        }
        let builder = ChatResponseBuilder(request: chat, identity: identity(prefix: "chatcmpl-"))
        if chat.output.stream { return streamChat(handle, builder: builder, choices: chat.output.choices) }
        return await collectChat(handle, builder: builder, choices: chat.output.choices)
    }

    private func collectChat(_ handle: InferenceHandle, builder: ChatResponseBuilder, choices: Int) async -> HTTPResponse {
        var collected = CollectedChoices(count: choices)
        for await event in handle.events {
            if let error = collected.apply(event) { return Self.errorResponse(error) }
        }
        guard let usage = collected.usage else {
            return Self.errorResponse(.internal("The request was cancelled before it finished."))
        }
        return Self.jsonResponse(builder.response(choices: collected.generated(logprobs: builder.logprobs), usage: usage))
    }

    private func streamChat(_ handle: InferenceHandle, builder: ChatResponseBuilder, choices: Int) -> HTTPResponse {
        HTTPResponse.serverSentEvents(keepAliveInterval: keepAlive) { writer in
            writer.onCancel { handle.cancel() }
            do throws(HTTPError) {
                try await Self.send((0..<choices).map { ServerSentEvents.event(builder.roleChunk(choice: $0)) }, to: writer)
                for await event in handle.events {
                    var chunks: [[UInt8]] = []
                    switch event {
                    case let .delta(choice, text, logprobs):
                        if let chunk = builder.contentChunk(StreamDelta(choice: choice, text: text, logprobs: logprobs)) {
                            chunks.append(ServerSentEvents.event(chunk))
                        }
                    case let .finished(choice, reason):
                        chunks.append(ServerSentEvents.event(builder.finishChunk(choice: choice, reason: reason)))
                    case let .completed(usage):
                        if let chunk = builder.usageChunk(usage) { chunks.append(ServerSentEvents.event(chunk)) }
                        chunks.append(ServerSentEvents.done)
                    case let .failed(error):
                        // After the first byte the status is sent: the error travels as an event.
                        chunks += [ServerSentEvents.error(error), ServerSentEvents.done]
                    }
                    try await Self.send(chunks, to: writer)
                }
            } catch {
                handle.cancel()
            }
        }
    }
}

/// Accumulates a non-streaming response from the events.
struct CollectedChoices {
    var texts: [String]
    var logprobs: [[SluiceAPI.TokenLogprob]]
    var reasons: [WireFinishReason?]
    var usage: Usage?

    init(count: Int) {
        texts = Array(repeating: "", count: count)
        logprobs = Array(repeating: [], count: count)
        reasons = Array(repeating: nil, count: count)
    }

    /// Returns the error that ends the request, if any.
    mutating func apply(_ event: InferenceEvent) -> APIError? {
        switch event {
        case let .delta(choice, text, tokenLogprobs) where texts.indices.contains(choice):
            texts[choice] += text
            logprobs[choice] += tokenLogprobs
        case let .finished(choice, reason) where reasons.indices.contains(choice):
            reasons[choice] = reason
        case let .completed(total):
            usage = total
        case let .failed(error):
            return error
        default:
            break
        }
        return nil
    }

    func generated(logprobs wanted: Bool) -> [GeneratedChoice] {
        texts.indices.map { index in
            GeneratedChoice(text: texts[index], finishReason: reasons[index] ?? .length,
                            logprobs: wanted ? logprobs[index] : nil)
        }
    }
}
