import SluiceHTTP

/// An in-process HTTP server on an ephemeral loopback port, for live tests.
public struct LiveServer {
    public let server: HTTPServer
    public let port: Int

    public static func start(_ router: HTTPRouter,
                             configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> LiveServer {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopCount: 2)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, router: router)
        let port = try server.start()
        return LiveServer(server: server, port: port)
    }

    public func stop() async {
        server.shutdown(gracePeriod: .seconds(1))
        await server.waitUntilStopped()
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
}
