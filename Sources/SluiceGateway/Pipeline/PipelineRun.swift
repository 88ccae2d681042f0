import SluiceAPI
import SluiceHTTP

/// One admitted, submitted request from its first backend event to its settlement: the stream
/// and collect halves of `InferencePipeline`, shared by every route. Whatever ends it (the last
/// event, a failure, a client gone, a timeout), the ticket is settled exactly once with what was
/// actually used, and a complete answer fills the response cache in both shapes.
struct PipelineRun<Adapter: WireAdapter>: Sendable {
    let adapter: Adapter
    let handle: InferenceHandle
    let choices: Int
    let ticket: AdmissionTicket?
    let cache: ResponseCacheSlot?
    let output: OutputOptions

    /// The whole answer as one JSON body.
    func collect() async -> HTTPResponse {
        var collected = CollectedChoices(count: choices, keepingText: true)
        for await event in handle.events {
            if case .failed(let failure) = event {
                await ticket?.settleUnfinished(handle)
                return APIError(failure, promptParam: Adapter.promptParam).response()
            }
            collected.apply(event)
        }
        guard let usage = collected.usage else {
            // Cancelled (client gone): the task's `for await` ended early.
            await ticket?.settleUnfinished(handle)
            return APIError.internal("The request was cancelled before it finished.").response()
        }
        await ticket?.settle(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
        let choices = adapter.finalChoices(collected.generated(keepingLogprobs: adapter.wantsLogprobs))
        let body = adapter.body(choices: choices, usage: usage)
        if let cache, cache.policy.write {
            // The stream shape of the same answer, so a streaming request can replay it.
            await cache.store(CachedResponse(body: body, chunks: adapter.replayEvents(choices: choices, usage: usage),
                                             usageChunk: adapter.usageEvent(usage, always: true),
                                             promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
        }
        return HTTPResponse(headers: ["Content-Type": "application/json"], bytes: body)
    }

    /// An SSE stream. Its producer runs in the handler's own task (SluiceHTTP starts it there).
    func stream(keepAlive: Duration) -> HTTPResponse {
        HTTPResponse.serverSentEvents(keepAliveInterval: keepAlive) { writer in
            await produce(to: writer)
        }
    }

    private func produce(to writer: SSEWriter) async {
        writer.onCancel { handle.cancel() }
        var adapter = self.adapter
        // The cache keeps the opening, content and finish events as sent; usage and [DONE] are
        // added on replay. Without it, only the usage of the stream is needed, not its text.
        let recording = cache?.policy.write == true
        var collected = CollectedChoices(count: choices, keepingText: recording)
        var recorded: [[UInt8]] = []
        var failed = false
        do throws(HTTPError) {
            let opening = adapter.openingEvents()
            if recording { recorded += opening }
            try await Self.send(opening, to: writer)
            for await event in handle.events {
                collected.apply(event)
                var events: [[UInt8]] = []
                switch event {
                case let .delta(choice, text, logprobs):
                    if let delta = adapter.deltaEvent(choice: choice, text: text, logprobs: logprobs) { events.append(delta) }
                case let .finished(choice, reason):
                    events += adapter.finishEvents(choice: choice, reason: reason.wire)
                case let .completed(usage):
                    if output.includeUsage, let last = adapter.usageEvent(usage.wire, always: false) { events.append(last) }
                    events.append(ServerSentEvents.done)
                case let .failed(failure):
                    // After the first byte the status is sent: the error travels as an event.
                    failed = true
                    events += [ServerSentEvents.error(APIError(failure, promptParam: Adapter.promptParam)), ServerSentEvents.done]
                }
                if recording, event.isContentOrFinish { recorded += events }
                try await Self.send(events, to: writer)
            }
        } catch {
            handle.cancel()
        }
        guard let usage = collected.usage, !failed else {
            // Client gone, timeout or backend failure: the tokens actually used, not the reservation.
            await ticket?.settleUnfinished(handle)
            return
        }
        await ticket?.settle(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
        if recording, let cache {
            let body = adapter.body(choices: adapter.finalChoices(collected.generated(keepingLogprobs: adapter.wantsLogprobs)),
                                    usage: usage)
            await cache.store(CachedResponse(body: body, chunks: recorded, usageChunk: adapter.usageEvent(usage, always: true),
                                             promptTokens: usage.promptTokens, completionTokens: usage.completionTokens))
        }
    }

    /// Writes events in one buffer; a client gone throws, which cancels the job (its blocks are
    /// freed at the next step boundary).
    static func send(_ events: [[UInt8]], to writer: SSEWriter) async throws(HTTPError) {
        guard !events.isEmpty else { return }
        try await writer.bodyWriter.write(events.count == 1 ? events[0] : Array(events.joined()))
    }
}

/// Accumulates the choices of an answer from the backend's events.
struct CollectedChoices {
    /// Texts and logprobs are kept only when a body is built from them (collected answers, cache
    /// fill); a plain stream needs the finish reasons and usage alone.
    let keepingText: Bool
    var texts: [String]
    var logprobs: [[TokenLogprob]]
    var reasons: [GenerationFinishReason?]
    var usage: Usage?

    init(count: Int, keepingText: Bool) {
        self.keepingText = keepingText
        texts = Array(repeating: "", count: count)
        logprobs = Array(repeating: [], count: count)
        reasons = Array(repeating: nil, count: count)
    }

    mutating func apply(_ event: InferenceEvent) {
        switch event {
        case let .delta(choice, text, tokenLogprobs) where keepingText && texts.indices.contains(choice):
            texts[choice] += text
            logprobs[choice] += tokenLogprobs
        case let .finished(choice, reason) where reasons.indices.contains(choice):
            reasons[choice] = reason
        case let .completed(total):
            usage = total.wire
        default:
            break
        }
    }

    /// The choices as the builders take them; logprobs only when the request asked for them.
    func generated(keepingLogprobs: Bool) -> [GeneratedChoice] {
        texts.indices.map { index in
            GeneratedChoice(text: texts[index], finishReason: (reasons[index] ?? .length).wire,
                            logprobs: keepingLogprobs ? logprobs[index] : nil)
        }
    }
}
