import Logging
import SluiceHTTP

/// A route added to the gateway's basic ones.
public struct GatewayRoute: Sendable {
    public var method: HTTPMethod
    /// A path pattern; `{name}` segments become `HTTPRequest.pathParameters`.
    public var path: String
    public var handler: HTTPHandler

    public init(_ method: HTTPMethod, _ path: String, _ handler: HTTPHandler) {
        self.method = method
        self.path = path
        self.handler = handler
    }
}

/// The composed server: configuration → router with
/// middleware → HTTP server. `start()` returns the bound port.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let models: [ServedModel]
    let server: HTTPServer
    let router: HTTPRouter
    let middleware: RequestMiddleware

    /// The model itself is opened by `InferenceServer.start`, which owns it; the gateway only
    /// needs its served id from the configuration.
    /// - Parameters:
    ///   - logger: where the access log goes (label `sluice.access`).
    ///   - requestIDs: injected for deterministic tests.
    ///   - created: `created` of the served model (Unix seconds).
    ///   - routes: more routes (chat completions, admin, ...), wrapped in the same middleware.
    ///   - access: API keys, limits and the admin API (Access/); nil serves without any.
    public init(configuration: GatewayConfiguration, logger: Logger, requestIDs: RequestIDPolicy = .counting(),
                created: Int, routes: [GatewayRoute] = [], access: AccessControl? = nil) throws(GatewayError) {
        self.configuration = configuration
        models = [ServedModel(id: configuration.servedModelID, created: created)]
        let middleware = RequestMiddleware(requestIDs: requestIDs, accessLogger: configuration.accessLog ? logger : nil,
                                           now: { HTTPInstant.now() })
        let protect = { (path: String, handler: HTTPHandler) in access?.protect(path: path, handler) ?? handler }
        var router = Self.makeRouter(models: models, middleware: middleware, protect: protect)
        let accessRoutes = access?.routes() ?? []
        for route in routes + accessRoutes {
            router.add(route.method, route.path, middleware.wrap(protect(route.path, route.handler)))
        }
        self.router = router
        self.middleware = middleware
        server = HTTPServer(configuration: configuration.httpConfiguration, router: router,
                            errorResponder: { error, head in middleware.errorResponse(error, head) })
    }

    static func makeRouter(models: [ServedModel], middleware: RequestMiddleware,
                           protect: (String, HTTPHandler) -> HTTPHandler = { $1 }) -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.get, "/health", middleware.wrap(BasicRoutes.health()))
        router.add(.get, "/v1/models", middleware.wrap(protect("/v1/models", BasicRoutes.models(models))))
        return router
    }

    /// Answers `request` in process (no socket), through the same router,
    /// middleware and error envelope as the server: for route tests.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let middleware = self.middleware
        return await router.respond(to: request) { error, head in middleware.errorResponse(error, head) }
    }

    /// Binds and starts serving. Returns the port.
    @discardableResult
    public func start() throws(GatewayError) -> Int {
        do {
            return try server.start()
        } catch {
            throw GatewayError(.serverFailed, error.reason)
        }
    }

    /// Graceful shutdown (see `HTTPServer.shutdown`), with the configured grace period.
    public func shutdown() {
        server.shutdown(gracePeriod: .seconds(configuration.shutdownGraceSeconds))
    }

    public func waitUntilStopped() async {
        await server.waitUntilStopped()
    }
}
