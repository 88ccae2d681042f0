import SluiceAPI
import SluiceHTTP

extension InferenceRoutes {
    /// A cache hit, shared by chat and completions (already admitted for its request (rpm)
    /// only, no tokens, by `ResponseCacheSlot.serve`): replayed in the shape asked for (a
    /// stream of the cached chunks, or the cached JSON body).
    func replayCachedResponse(_ hit: CachedResponse, output: OutputOptions) -> HTTPResponse {
        var headers: HTTPHeaders = [:]
        ResponseCachePolicy.mark(&headers, hit: true)
        if output.stream {
            headers.replaceOrAdd("Content-Type", "text/event-stream")
            headers.replaceOrAdd("Cache-Control", "no-cache")
            headers.replaceOrAdd("X-Accel-Buffering", "no")
            let bytes = hit.serverSentEvents(includeUsage: output.includeUsage)
            return HTTPResponse(headers: headers, body: .stream(HTTPStreamOptions()) { writer in try await writer.write(bytes) })
        }
        headers.replaceOrAdd("Content-Type", "application/json")
        return HTTPResponse(headers: headers, bytes: hit.body)
    }
}
