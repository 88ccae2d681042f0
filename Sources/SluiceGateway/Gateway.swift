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
    ///   - metrics: where request counts and latencies go (the registry `/metrics` renders).
    public init(configuration: GatewayConfiguration, logger: Logger, requestIDs: RequestIDPolicy = .counting(),
                created: Int, routes: [GatewayRoute] = [], access: AccessControl? = nil,
                metrics: GatewayMetrics = GatewayMetrics()) throws(GatewayError) {
        self.configuration = configuration
        models = [ServedModel(id: configuration.servedModelID, created: created)]
        let middleware = RequestMiddleware(requestIDs: requestIDs, accessLogger: configuration.accessLog ? logger : nil,
                                           now: { HTTPInstant.now() }, metrics: metrics.http)
        let protect = { (path: String, handler: HTTPHandler) in access?.protect(path: path, handler) ?? handler }
        let accessRoutes = access?.routes() ?? []
        self.router = Self.makeRouter(models: models, catalog: configuration.modelCatalog, cors: configuration.corsPolicy,
                                      routes: routes + accessRoutes, middleware: middleware, protect: protect)
        self.middleware = middleware
        server = HTTPServer(configuration: configuration.httpConfiguration, router: self.router,
                            errorResponder: { error, head in middleware.errorResponse(error, head) })
    }

    /// `/health`, the model list and `routes`, each wrapped in protection (by its `/v1` path, so
    /// both forms of an OpenAI route are guarded alike), CORS and the middleware; OpenAI routes are
    /// also registered without `/v1`, and get an `OPTIONS` preflight route when CORS is on.
    static func makeRouter(models: [ServedModel], catalog: ModelCatalog, cors: CORSPolicy, routes: [GatewayRoute],
                           middleware: RequestMiddleware, protect: (String, HTTPHandler) -> HTTPHandler = { $1 }) -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.get, "/health", middleware.wrap(BasicRoutes.health(), route: "/health"))
        let modelRoutes = [
            GatewayRoute(.get, "/v1/models", BasicRoutes.models(models, catalog: catalog)),
            GatewayRoute(.get, "/v1/models/{model}", BasicRoutes.model(models, catalog: catalog)),
        ]
        var preflightMethods: [String: [HTTPMethod]] = [:]
        var preflightOrder: [String] = []
        for route in modelRoutes + routes {
            let paths = openAIPaths(route.path)
            let isOpenAI = paths.count > 1
            // CORS only on the OpenAI routes: admin and test routes stay same-origin.
            let protected = protect(route.path, route.handler)
            // Both path forms share the `/v1` pattern as their metrics label.
            let handler = middleware.wrap(isOpenAI ? cors.wrap(protected) : protected, route: route.path)
            for path in paths { router.add(route.method, path, handler) }
            guard cors.isEnabled, isOpenAI else { continue }
            for path in paths {
                if preflightMethods[path] == nil { preflightOrder.append(path) }
                preflightMethods[path, default: []].append(route.method)
            }
        }
        for path in preflightOrder {
            let methods = preflightMethods[path] ?? []
            // Not protected: a browser sends preflights without credentials.
            router.add(.options, path, middleware.wrap(.sync { request in cors.preflight(request.head, methods: methods) }, route: path))
        }
        return router
    }

    /// An OpenAI route answers at `/v1/x` and at `/x` (clients configured with a base URL lacking
    /// `/v1`); admin and test routes keep their one path.
    static func openAIPaths(_ path: String) -> [String] {
        guard path.hasPrefix("/v1/"), !path.hasPrefix("/v1/admin/"), !path.hasPrefix("/v1/_test/") else { return [path] }
        return [path, String(path.dropFirst(3))]
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
