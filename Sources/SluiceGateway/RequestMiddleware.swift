import Logging
import SluiceAPI
import SluiceHTTP

/// Wraps every handler (and the server's own error responses) with the
/// cross-cutting parts: `x-request-id` on every response, one access log
/// line per request, and the request count and latency by route and status.
/// A sync handler stays sync, so cheap routes keep their inline fast path.
struct RequestMiddleware: Sendable {
    let requestIDs: RequestIDPolicy
    /// nil when the access log is off.
    let accessLogger: Logger?
    let now: @Sendable () -> HTTPInstant
    let metrics: HTTPMetrics

    /// - Parameter route: the pattern the handler is registered under (the metrics' `route` label).
    func wrap(_ handler: HTTPHandler, route: String) -> HTTPHandler {
        let route = metrics.series(route: route)
        switch handler {
        case .sync(let body):
            return .sync { request in
                let start = now()
                let (request, id) = tagged(request)
                var response = body(request)
                return finish(&response, request.head, id, start, route: route)
            }
        case .async(let body):
            return .async { request in
                let start = now()
                let (request, id) = tagged(request)
                var response = await body(request)
                return finish(&response, request.head, id, start, route: route)
            }
        }
    }

    /// The gateway's `HTTPErrorResponder`: OpenAI envelope, request id, access log.
    func errorResponse(_ error: HTTPError, _ head: HTTPRequestHead?) -> HTTPResponse {
        let start = now()
        let id = requestIDs.id(for: head)
        var response = APIError(error).response()
        return finish(&response, head, id, start, route: metrics.unmatched)
    }

    /// Gives the handler the request id it will answer with, as the
    /// `x-request-id` header of the request.
    func tagged(_ request: HTTPRequest) -> (HTTPRequest, String) {
        let supplied = request.head.headers[RequestIDPolicy.headerName]
        if let supplied, RequestIDPolicy.isSane(supplied) { return (request, supplied) }
        let id = requestIDs.id(for: nil)
        var request = request
        if supplied == nil {
            request.head.headers.add(RequestIDPolicy.headerName, id)
        } else {
            request.head.headers.replaceOrAdd(RequestIDPolicy.headerName, id)
        }
        return (request, id)
    }

    func finish(_ response: inout HTTPResponse, _ head: HTTPRequestHead?, _ id: String, _ start: HTTPInstant,
                route: RouteSeries) -> HTTPResponse {
        if response.headers.contains(RequestIDPolicy.headerName) {
            response.headers.replaceOrAdd(RequestIDPolicy.headerName, id)
        } else {
            response.headers.add(RequestIDPolicy.headerName, id)
        }
        switch response.body {
        case .bytes(let bytes):
            completed(head, id, response.status, bytes: bytes.count, start: start, streamed: false, route: route)
        case .stream(let options, let producer):
            let head = head
            let status = response.status
            // A streamed response is complete when its producer returns (or throws: the client left).
            response.body = .stream(options) { writer in
                defer { completed(head, id, status, bytes: nil, start: start, streamed: true, route: route) }
                try await producer(writer)
            }
        }
        return response
    }

    /// The request is answered: count it, time it, log it.
    func completed(_ head: HTTPRequestHead?, _ id: String, _ status: HTTPStatus, bytes: Int?, start: HTTPInstant,
                   streamed: Bool, route: RouteSeries) {
        let nanoseconds = now().nanoseconds(since: start)
        route.observe(status: status.code, seconds: Double(nanoseconds) / 1e9)
        guard let accessLogger else { return }
        log(accessLogger, head, id, status, bytes: bytes, nanoseconds: nanoseconds, streamed: streamed)
    }

    func log(_ logger: Logger, _ head: HTTPRequestHead?, _ id: String, _ status: HTTPStatus, bytes: Int?,
             nanoseconds: UInt64, streamed: Bool) {
        guard logger.logLevel <= .info else { return }
        var metadata = Logger.Metadata(minimumCapacity: 8)
        metadata["request.id"] = .string(id)
        metadata["http.status"] = .stringConvertible(status.code)
        metadata["http.duration_us"] = .stringConvertible(Int(nanoseconds / 1000))
        if let head {
            metadata["http.method"] = .string(head.method.rawValue)
            metadata["http.path"] = .string(String(head.path))
        }
        if let bytes { metadata["http.response_bytes"] = .stringConvertible(bytes) }
        if streamed { metadata["http.streamed"] = .stringConvertible(true) }
        logger.info("request", metadata: metadata)
    }
}
