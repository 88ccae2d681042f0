import SluiceAPI
import SluiceHTTP

extension InferenceRoutes {
    /// A cache hit, shared by chat and completions: admitted for its request
    /// (rpm) only, no tokens; replayed in the shape asked for (a stream of the
    /// cached chunks, or the cached JSON body).
    func replayCachedResponse(_ hit: CachedResponse, model: String, output: OutputOptions,
                              access: AccessContext?) async -> HTTPResponse {
        do throws(APIError) {
            try await access?.admitServed(model: model, promptTokens: 0, completionTokens: 0)
        } catch {
            return Self.errorResponse(error)
        }
        var headers: HTTPHeaders = [:]
        ResponseCachePolicy.mark(&headers, hit: true)
        if output.stream {
            headers.replaceOrAdd("Content-Type", "text/event-stream")
            headers.replaceOrAdd("Cache-Control", "no-cache")
            let bytes = hit.serverSentEvents(includeUsage: output.includeUsage)
            return HTTPResponse(headers: headers, body: .stream(HTTPStreamOptions()) { writer in try await writer.write(bytes) })
        }
        headers.replaceOrAdd("Content-Type", "application/json")
        return HTTPResponse(headers: headers, bytes: hit.body)
    }
}
