import Foundation
import SluiceAPI
import SluiceHTTP

/// The routes over the local model: the OpenAI inference endpoints (each one `WireAdapter` over
/// the shared `InferencePipeline`), `/tokenize`, `/detokenize` and `/metrics`.
public struct InferenceRoutes: Sendable {
    public let model: ServedLanguageModel
    /// The local engine: the pipeline's backend, and the source of `/metrics`.
    public let service: EngineService
    public let pipeline: InferencePipeline

    public init(model: ServedLanguageModel, service: EngineService, resolveModel: (@Sendable (String) -> String?)? = nil,
                requestTimeoutSeconds: Double? = nil, sseKeepAliveSeconds: Double = 15, prefixCacheScope: PrefixCacheScope = .shared,
                unixTime: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }) {
        self.model = model
        self.service = service
        pipeline = InferencePipeline(model: model, backend: service, resolveModel: resolveModel,
                                     requestTimeoutSeconds: requestTimeoutSeconds, sseKeepAliveSeconds: sseKeepAliveSeconds,
                                     prefixCacheScope: prefixCacheScope, unixTime: unixTime)
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

    func chatCompletions(_ request: HTTPRequest) async -> HTTPResponse {
        await pipeline.serve(ChatCompletionsAdapter.self, request)
    }

    func completions(_ request: HTTPRequest) async -> HTTPResponse {
        await pipeline.serve(CompletionsAdapter.self, request)
    }

    func metricsResponse() -> HTTPResponse {
        HTTPResponse(contentType: PrometheusText.contentType,
                     text: service.metrics.render(scheduler: service.schedulerMetrics))
    }
}
