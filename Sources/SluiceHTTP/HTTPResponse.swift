/// Options for a streamed body.
public struct HTTPStreamOptions: Sendable {
    /// While the producer writes nothing for this long, the server sends
    /// `keepAliveBytes` (e.g. an SSE comment) so proxies and clients see life.
    public var keepAliveInterval: Duration?
    public var keepAliveBytes: [UInt8]

    public init(keepAliveInterval: Duration? = nil, keepAliveBytes: [UInt8] = []) {
        self.keepAliveInterval = keepAliveInterval
        self.keepAliveBytes = keepAliveBytes
    }
}

/// A response body: bytes known up front (sent with Content-Length), or a
/// producer that writes chunks (sent chunked; close-delimited for HTTP/1.0).
public enum HTTPResponseBody: Sendable {
    case bytes([UInt8])
    case stream(HTTPStreamOptions, @Sendable (HTTPBodyWriter) async throws -> Void)
}

/// What a handler returns. The server owns framing: `Content-Length`,
/// `Transfer-Encoding`, `Connection` and `Date` set here are replaced.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: HTTPResponseBody

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: HTTPResponseBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: .bytes(bytes))
    }

    /// A UTF-8 text body with the given content type.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], contentType: String, text: String) {
        var headers = headers
        headers.replaceOrAdd("Content-Type", contentType)
        self.init(status: status, headers: headers, body: .bytes(Array(text.utf8)))
    }

    /// A streamed response whose producer writes through an `SSEWriter`
    /// (`text/event-stream`, RFC-less but WHATWG HTML §9.2), with `: keep-alive`
    /// comments while the producer is quiet. `X-Accel-Buffering: no` tells nginx-style proxies
    /// to pass each event on at once instead of buffering the stream.
    public static func serverSentEvents(
        status: HTTPStatus = .ok, headers: HTTPHeaders = [:], keepAliveInterval: Duration? = .seconds(15),
        _ producer: @escaping @Sendable (SSEWriter) async throws -> Void
    ) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd("Content-Type", "text/event-stream")
        headers.replaceOrAdd("Cache-Control", "no-cache")
        headers.replaceOrAdd("X-Accel-Buffering", "no")
        let options = HTTPStreamOptions(keepAliveInterval: keepAliveInterval, keepAliveBytes: Array(": keep-alive\n\n".utf8))
        return HTTPResponse(status: status, headers: headers, body: .stream(options) { writer in
            try await producer(SSEWriter(writer))
        })
    }
}
