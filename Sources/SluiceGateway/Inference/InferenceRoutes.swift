import Foundation
import SluiceAPI
import SluiceHTTP

/// The OpenAI routes over one engine service (TGI's shape: both endpoints are adapters onto one
/// generate path, `EngineService.submit`), plus `/tokenize`, `/detokenize` and `/metrics`.
public struct InferenceRoutes: Sendable {
    public let model: ServedLanguageModel
    public let service: EngineService
    let requestTimeoutSeconds: Double?
    let sseKeepAliveSeconds: Double
    /// Unix seconds for `created` (injected for tests).
    let unixTime: @Sendable () -> Int
    static let systemFingerprint = "fp_sluice"

    public init(model: ServedLanguageModel, service: EngineService, requestTimeoutSeconds: Double? = nil,
                sseKeepAliveSeconds: Double = 15, unixTime: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }) {
        self.model = model
        self.service = service
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.sseKeepAliveSeconds = sseKeepAliveSeconds
        self.unixTime = unixTime
    }

    /// Every route, to pass to `Gateway(routes:)`.
    public var all: [GatewayRoute] {
        [
            GatewayRoute(.post, "/v1/chat/completions", .async { await chatCompletions($0) }),
            GatewayRoute(.post, "/v1/completions", .async { await completions($0) }),
            GatewayRoute(.post, "/tokenize", .async { tokenize($0) }),
            GatewayRoute(.post, "/detokenize", .async { detokenize($0) }),
            GatewayRoute(.get, "/metrics", .sync { _ in metricsResponse() }),
        ]
    }

    func metricsResponse() -> HTTPResponse {
        HTTPResponse(contentType: PrometheusText.contentType,
                     text: service.metrics.render(scheduler: service.schedulerMetrics))
    }

    func identity(prefix: String) -> ResponseIdentity {
        var generator = SystemRandomNumberGenerator()
        return ResponseIdentity(id: ResponseIdentity.makeID(prefix: prefix, using: &generator), created: unixTime(),
                                model: model.id, systemFingerprint: Self.systemFingerprint)
    }

    var keepAlive: Duration { .milliseconds(Int(sseKeepAliveSeconds * 1000)) }

    static func errorResponse(_ error: APIError) -> HTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        for header in error.headers { headers.replaceOrAdd(header.name, header.value) }
        return HTTPResponse(status: HTTPStatus(code: error.status), headers: headers, bytes: error.jsonBody)
    }

    static func jsonResponse<T: Encodable>(_ value: T) -> HTTPResponse {
        HTTPResponse(headers: ["Content-Type": "application/json"], bytes: WireJSON.encode(value))
    }

    /// Writes events until the stream ends; a client gone cancels the job (its blocks are freed at
    /// the next step boundary).
    static func send(_ chunks: [[UInt8]], to writer: SSEWriter) async throws(HTTPError) {
        guard !chunks.isEmpty else { return }
        try await writer.bodyWriter.write(chunks.count == 1 ? chunks[0] : Array(chunks.joined()))
    }
}
