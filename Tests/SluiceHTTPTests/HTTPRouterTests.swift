import Testing
@testable import SluiceHTTP

@Suite struct HTTPRouterTests {
    func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.get, "/health", .sync { _ in HTTPResponse(bytes: Array("health".utf8)) })
        router.add(.get, "/v1/models/{model}", .sync { request in HTTPResponse(bytes: Array((request.pathParameters["model"] ?? "").utf8)) })
        router.add(.delete, "/v1/models/{model}", .sync { _ in HTTPResponse(bytes: Array("deleted".utf8)) })
        router.add(.post, "/v1/chat/completions", .async { _ in HTTPResponse(bytes: Array("chat".utf8)) })
        return router
    }

    func body(_ resolution: HTTPRouter.Resolution, _ request: HTTPRequest = HTTPRequest(head: HTTPRequestHead(method: .get, target: "/"))) -> String? {
        guard case .found(let handler, let parameters) = resolution, case .sync(let run) = handler else { return nil }
        var request = request
        request.pathParameters = parameters
        guard case .bytes(let bytes) = run(request).body else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func findsStaticRoute() {
        #expect(body(makeRouter().resolve(.get, path: "/health")) == "health")
    }

    @Test func extractsPathParameters() {
        #expect(body(makeRouter().resolve(.get, path: "/v1/models/smol-2")) == "smol-2")
    }

    @Test func reportsNotFound() {
        guard case .notFound = makeRouter().resolve(.get, path: "/nope") else { Issue.record("expected notFound"); return }
        guard case .notFound = makeRouter().resolve(.get, path: "/v1/models/a/b") else { Issue.record("expected notFound"); return }
        guard case .notFound = makeRouter().resolve(.get, path: "/v1/models/") else { Issue.record("expected notFound"); return }
    }

    @Test func reportsMethodNotAllowedWithAllow() {
        guard case .methodNotAllowed(let allow) = makeRouter().resolve(.post, path: "/health") else { Issue.record("expected 405"); return }
        #expect(allow == [.get, .head])
        guard case .methodNotAllowed(let allow2) = makeRouter().resolve(.put, path: "/v1/models/x") else { Issue.record("expected 405"); return }
        #expect(allow2 == [.get, .delete, .head])
    }

    @Test func headFallsBackToGet() {
        #expect(body(makeRouter().resolve(.head, path: "/health")) == "health")
    }

    @Test func findsAsyncRoute() {
        guard case .found(.async, _) = makeRouter().resolve(.post, path: "/v1/chat/completions") else { Issue.record("expected async route"); return }
    }
}
