import SluiceAPI
import SluiceHTTP

// `POST /v1/completions` (legacy, openai_compat.md §1.5): one or more prompts, `n` choices each,
// numbered `promptIndex * n + choice`; integer `logprobs`; `echo` prepends the prompt text.
// Logprobs cover generated tokens only (the engine computes logits for the last prompt row, so
// `echo` with `logprobs` has no prompt-token logprobs).
extension InferenceRoutes {
    func completions(_ request: HTTPRequest) async -> HTTPResponse {
        let completion: ValidatedCompletionRequest
        var prompts: [[Int32]] = []
        let access = AccessContext.current
        do throws(APIError) {
            completion = try ValidatedCompletionRequest.validate(body: request.body)
            try access?.authorize(model: completion.model)
            guard completion.model == model.id else { throw APIError.modelNotFound(completion.model) }
        } catch {
            return Self.errorResponse(error)
        }
        // Response cache (Access/): looked up before tokenisation; filled by non-streaming misses.
        let cache = access.map { ResponseCacheSlot(access: $0, completion: completion, headers: request.headers) }
        if let cache {
            // A hit is admitted, settled and counted in the same store step (one Redis round trip).
            do throws(APIError) {
                if let hit = try await cache.serve() { return replayCachedResponse(hit, output: completion.output) }
            } catch {
                return Self.errorResponse(error)
            }
        }
        do throws(APIError) {
            for (index, input) in completion.prompts.enumerated() { prompts.append(try model.completionPrompt(input, index: index)) }
        } catch {
            return Self.errorResponse(error)
        }
        let n = completion.output.choices
        let echoes = completion.echo
            ? prompts.indices.flatMap { index in Array(repeating: echoText(completion.prompts[index], prompts[index]), count: n) }
            : []
        let builder = CompletionResponseBuilder(request: completion, identity: identity(prefix: "cmpl-"))
        // Admission (Access/): rpm, tpm reservation of prompt + max tokens per choice, lease, budget.
        let promptTokens = prompts.reduce(0) { $0 + $1.count } * n
        let ticket: AdmissionTicket?
        do throws(APIError) {
            ticket = try await access?.admit(model: completion.model, promptTokens: promptTokens,
                                             maxTokens: completion.maxTokens * n * prompts.count)
        } catch {
            return Self.errorResponse(error)
        }
        if completion.maxTokens == 0 {
            // `echo` with no generation: the prompt is the whole answer; nothing runs.
            let usage = Usage(promptTokens: prompts.reduce(0) { $0 + $1.count }, completionTokens: 0, cachedTokens: 0)
            let choices = echoes.map { _ in GeneratedChoice(text: "", finishReason: .length, logprobs: completion.logprobs == nil ? nil : []) }
            await ticket?.settle(promptTokens: usage.promptTokens, completionTokens: 0)
            return Self.jsonResponse(builder.response(choices: choices, usage: usage, echoPrefixes: echoes))
        }
        let job = InferenceJob(
            prompts: prompts, choicesPerPrompt: n, maxNewTokens: completion.maxTokens,
            sampling: ServedLanguageModel.engineSampling(completion.sampling, logprobs: completion.logprobs != nil,
                                                         topLogprobs: completion.logprobs ?? 0),
            stops: completion.output.stop, cacheSalt: nil, timeoutSeconds: requestTimeoutSeconds)
        let handle: InferenceHandle
        switch service.submit(job) {
        case .failure(var error):
            await ticket?.settle(promptTokens: 0, completionTokens: 0)
            if error.code == "context_length_exceeded" { error.param = "prompt" }
            return Self.errorResponse(error)
        case .success(let admitted): handle = admitted
        }
        if completion.output.stream {
            // Streaming misses do not fill the cache (see ResponseCacheSlot): only complete bodies do.
            var response = streamCompletion(handle, builder: builder, echoes: echoes, choices: job.choiceCount, ticket: ticket)
            if let cache, cache.isEnabled { ResponseCachePolicy.mark(&response.headers, hit: false) }
            return response
        }
        var collected = CollectedChoices(count: job.choiceCount)
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
        let generated = collected.generated(logprobs: completion.logprobs != nil)
        let body = WireJSON.encode(builder.response(choices: generated, usage: usage, echoPrefixes: echoes))
        if let cache, cache.policy.write {
            let streamBuilder = ResponseCacheSlot.usageBuilder(completion: completion, identity: builder.identity)
            let deltas = generated.enumerated().map { StreamDelta(choice: $0.offset, text: $0.element.text, logprobs: $0.element.logprobs) }
            var events = streamBuilder.streamChunks(choices: generated, deltas: deltas, usage: usage).map { ServerSentEvents.event($0) }
            let usageEvent = events.popLast()
            await cache.store(CachedResponse(body: body, chunks: events, usageChunk: usageEvent,
                                             promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
        }
        var response = HTTPResponse(headers: ["Content-Type": "application/json"], bytes: body)
        if let cache, cache.isEnabled { ResponseCachePolicy.mark(&response.headers, hit: false) }
        return response
    }

    private func echoText(_ input: PromptInput, _ tokens: [Int32]) -> String {
        if case .text(let text) = input { return text }
        return model.tokenizer.decode(tokens.map(Int.init))
    }

    private func streamCompletion(_ handle: InferenceHandle, builder: CompletionResponseBuilder, echoes: [String],
                                  choices: Int, ticket: AdmissionTicket?) -> HTTPResponse {
        HTTPResponse.serverSentEvents(keepAliveInterval: keepAlive) { writer in
            writer.onCancel { handle.cancel() }
            var settledUsage: Usage?
            // Unicode scalars already sent per choice: logprobs' `text_offset` continues from there.
            var offsets = Array(repeating: 0, count: choices)
            do throws(HTTPError) {
                var first: [[UInt8]] = []
                for (index, echo) in echoes.enumerated() where index < choices && !echo.isEmpty {
                    if let chunk = builder.textChunk(StreamDelta(choice: index, text: echo)) { first.append(ServerSentEvents.event(chunk)) }
                    offsets[index] = echo.unicodeScalars.count
                }
                try await Self.send(first, to: writer)
                for await event in handle.events {
                    var chunks: [[UInt8]] = []
                    switch event {
                    case let .delta(choice, text, logprobs):
                        let offset = offsets.indices.contains(choice) ? offsets[choice] : 0
                        let delta = StreamDelta(choice: choice, text: text, logprobs: builder.logprobs == nil ? nil : logprobs)
                        if let chunk = builder.textChunk(delta, textOffset: offset) { chunks.append(ServerSentEvents.event(chunk)) }
                        if offsets.indices.contains(choice) { offsets[choice] += text.unicodeScalars.count }
                    case let .finished(choice, reason):
                        chunks.append(ServerSentEvents.event(builder.finishChunk(choice: choice, reason: reason)))
                    case let .completed(usage):
                        settledUsage = usage
                        if let chunk = builder.usageChunk(usage) { chunks.append(ServerSentEvents.event(chunk)) }
                        chunks.append(ServerSentEvents.done)
                    case let .failed(error):
                        chunks += [ServerSentEvents.error(error), ServerSentEvents.done]
                    }
                    try await Self.send(chunks, to: writer)
                }
            } catch {
                handle.cancel()
            }
            // Settled whatever ended the stream: real counts when it completed, else the prompt and
            // the tokens generated until the client left or the job failed.
            if let settledUsage {
                await ticket?.settle(promptTokens: settledUsage.promptTokens, completionTokens: settledUsage.completionTokens)
            } else {
                await ticket?.settleUnfinished(handle)
            }
        }
    }
}
