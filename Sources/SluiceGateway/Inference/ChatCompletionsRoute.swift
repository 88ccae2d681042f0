import SluiceAPI
import SluiceHTTP

// `POST /v1/chat/completions` (openai_compat.md §1.2-1.4): validate, render the model's chat
// template, submit, then either one `chat.completion` body or a `chat.completion.chunk` stream:
// role chunk per choice, content deltas, a finish chunk per choice, the usage chunk when
// `stream_options.include_usage`, then `data: [DONE]`.
extension InferenceRoutes {
    func chatCompletions(_ request: HTTPRequest) async -> HTTPResponse {
        let chat: ValidatedChatRequest
        let access = AccessContext.current
        do throws(APIError) {
            chat = try ValidatedChatRequest.validate(body: request.body)
            try access?.authorize(model: chat.model)
            guard chat.model == model.id else { throw APIError.modelNotFound(chat.model) }
        } catch {
            return Self.errorResponse(error)
        }
        // Response cache (Access/ResponseCachePolicy.swift): tenant-scoped, deterministic requests
        // only; looked up before the template is rendered, so a hit costs no tokenisation.
        let cache = access.map { ResponseCacheSlot(access: $0, chat: chat, headers: request.headers) }
        if let cache {
            // A hit is admitted, settled and counted in the same store step (one Redis round trip).
            do throws(APIError) {
                if let hit = try await cache.serve() { return replayCachedResponse(hit, output: chat.output) }
            } catch {
                return Self.errorResponse(error)
            }
        }
        let prompt: [Int32]
        do throws(APIError) {
            prompt = try model.chatPrompt(chat.messages)
        } catch {
            return Self.errorResponse(error)
        }
        let maxNewTokens = model.maxNewTokens(requested: chat.maxTokens, promptCount: prompt.count)
        let ticket: AdmissionTicket?
        do throws(APIError) {
            ticket = try await access?.admit(model: chat.model, promptTokens: prompt.count,
                                             maxTokens: maxNewTokens * chat.output.choices)
        } catch {
            return Self.errorResponse(error)
        }
        let job = InferenceJob(
            prompts: [prompt], choicesPerPrompt: chat.output.choices,
            maxNewTokens: maxNewTokens,
            sampling: ServedLanguageModel.engineSampling(chat.sampling, logprobs: chat.logprobs, topLogprobs: chat.topLogprobs),
            stops: chat.output.stop, cacheSalt: nil, timeoutSeconds: requestTimeoutSeconds)
        let handle: InferenceHandle
        switch service.submit(job) {
        case .failure(let error):
            await ticket?.settle(promptTokens: 0, completionTokens: 0)
            return Self.errorResponse(error)
        case .success(let admitted): handle = admitted
        }
        let builder = ChatResponseBuilder(request: chat, identity: identity(prefix: "chatcmpl-"))
        var response: HTTPResponse
        if chat.output.stream {
            response = streamChat(handle, builder: builder, chat: chat, ticket: ticket, cache: cache)
        } else {
            response = await collectChat(handle, builder: builder, chat: chat, ticket: ticket, cache: cache)
        }
        if let cache, cache.isEnabled { ResponseCachePolicy.mark(&response.headers, hit: false) }
        return response
    }

    private func collectChat(_ handle: InferenceHandle, builder: ChatResponseBuilder, chat: ValidatedChatRequest,
                             ticket: AdmissionTicket?, cache: ResponseCacheSlot?) async -> HTTPResponse {
        var collected = CollectedChoices(count: chat.output.choices)
        for await event in handle.events {
            if let error = collected.apply(event) {
                await ticket?.settleUnfinished(handle)
                return Self.errorResponse(error)
            }
        }
        guard let usage = collected.usage else {
            // Cancelled (client gone): the task's `for await` ended early.
            await ticket?.settleUnfinished(handle)
            return Self.errorResponse(.internal("The request was cancelled before it finished."))
        }
        await ticket?.settle(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
        let generated = collected.generated(logprobs: builder.logprobs)
        let body = WireJSON.encode(builder.response(choices: generated, usage: usage))
        if let cache, cache.policy.write {
            // The stream shape of the same answer, so a streaming request can replay it.
            let streamBuilder = ResponseCacheSlot.usageBuilder(chat: chat, identity: builder.identity)
            let deltas = generated.enumerated().map { StreamDelta(choice: $0.offset, text: $0.element.text, logprobs: $0.element.logprobs) }
            var events = streamBuilder.streamChunks(choices: generated, deltas: deltas, usage: usage).map { ServerSentEvents.event($0) }
            let usageEvent = events.popLast()
            await cache.store(CachedResponse(body: body, chunks: events, usageChunk: usageEvent,
                                             promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
        }
        return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: body)
    }

    private func streamChat(_ handle: InferenceHandle, builder: ChatResponseBuilder, chat: ValidatedChatRequest,
                            ticket: AdmissionTicket?, cache: ResponseCacheSlot?) -> HTTPResponse {
        let choices = chat.output.choices
        let recording = cache?.policy.write == true
        let usageBuilder = ResponseCacheSlot.usageBuilder(chat: chat, identity: builder.identity)
        return HTTPResponse.serverSentEvents(keepAliveInterval: keepAlive) { writer in
            writer.onCancel { handle.cancel() }
            var collected = CollectedChoices(count: choices)
            var recorded: [[UInt8]] = []
            var failed = false
            do throws(HTTPError) {
                let roles = (0..<choices).map { ServerSentEvents.event(builder.roleChunk(choice: $0)) }
                if recording { recorded += roles }
                try await Self.send(roles, to: writer)
                for await event in handle.events {
                    var chunks: [[UInt8]] = []
                    if collected.apply(event) != nil { failed = true }
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
                    // The cache keeps content and finish chunks as sent; usage and [DONE] are added on replay.
                    if recording, event.isContentOrFinish { recorded += chunks }
                    try await Self.send(chunks, to: writer)
                }
            } catch {
                handle.cancel()
            }
            guard let usage = collected.usage, !failed else {
                // Client gone, timeout or engine failure: the tokens actually used, not the reservation.
                await ticket?.settleUnfinished(handle)
                return
            }
            await ticket?.settle(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
            if recording, let cache, let usageChunk = usageBuilder.usageChunk(usage) {
                let body = WireJSON.encode(builder.response(choices: collected.generated(logprobs: builder.logprobs), usage: usage))
                await cache.store(CachedResponse(body: body, chunks: recorded, usageChunk: ServerSentEvents.event(usageChunk),
                                                 promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
            }
        }
    }
}

extension InferenceEvent {
    var isContentOrFinish: Bool {
        switch self {
        case .delta, .finished: return true
        case .completed, .failed: return false
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
