import Foundation
import Logging
import SluiceHTTP
import SluiceTesting
import Testing
@testable import SluiceGateway

@Suite struct GatewayLiveTests {
    struct Running {
        let gateway: Gateway
        let port: Int
        let log: LogRecords
        var url: String { "http://127.0.0.1:\(port)" }
    }

    func startGateway(_ configure: (inout GatewayConfiguration) -> Void = { _ in }) throws -> Running {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.eventLoops = 2
        configuration.modelPath = try ModelFixture.requireDefaultModel()
        configure(&configuration)
        let records = LogRecords()
        let logger = records.logger(label: "sluice.access")
        let counter = Observed(0)
        let gateway = try Gateway(configuration: configuration, logger: logger,
                                  requestIDs: RequestIDPolicy { "gen-\(counter.update { $0 += 1; return $0 })" },
                                  created: 1_700_000_000)
        let port = try gateway.start()
        return Running(gateway: gateway, port: port, log: records)
    }

    func stop(_ running: Running) async {
        running.gateway.shutdown()
        await running.gateway.waitUntilStopped()
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func servesHealth() async throws {
        let running = try startGateway()
        let response = try await curl(["\(running.url)/health"])
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(try json(response.body)["status"] as? String == "ok")
        #expect(response.headers["x-request-id"] == "gen-1")
        await stop(running)
    }

    @Test func listsTheServedModel() async throws {
        let running = try startGateway { $0.modelName = "smol" }
        let object = try json(try await curl(["\(running.url)/v1/models"]).body)
        let data = try #require(object["data"] as? [[String: Any]])
        #expect(data.first?["id"] as? String == "smol")
        #expect(data.first?["created"] as? Int == 1_700_000_000)
        await stop(running)
    }

    @Test func answersUnknownPathWithNotFoundEnvelope() async throws {
        let running = try startGateway()
        let response = try await curl(["-H", "x-request-id: client-id-1", "\(running.url)/v1/nope"])
        #expect(response.status == 404)
        #expect(response.headers["x-request-id"] == "client-id-1")
        let error = try #require(try json(response.body)["error"] as? [String: Any])
        #expect(error["code"] as? String == "not_found")
        #expect(error["type"] as? String == "invalid_request_error")
        await stop(running)
    }

    @Test func answersWrongMethodWithAllowAndEnvelope() async throws {
        let running = try startGateway()
        let response = try await curl(["-X", "DELETE", "\(running.url)/v1/models"])
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET, HEAD")
        #expect((try json(response.body)["error"] as? [String: Any])?["code"] as? String == "method_not_allowed")
        await stop(running)
    }

    @Test func answersOversizedBodyWith413Envelope() async throws {
        let running = try startGateway { $0.maxBodyBytes = 100 }
        let response = try await curl(["--data-binary", String(repeating: "x", count: 500), "\(running.url)/v1/models"])
        #expect(response.status == 413)
        #expect((try json(response.body)["error"] as? [String: Any])?["code"] as? String == "request_too_large")
        #expect(response.headers["x-request-id"] != nil)
        await stop(running)
    }

    @Test func replacesInsaneRequestIDs() async throws {
        let running = try startGateway()
        let response = try await curl(["-H", "x-request-id: \(String(repeating: "z", count: 200))", "\(running.url)/health"])
        #expect(response.headers["x-request-id"] == "gen-1")
        await stop(running)
    }

    @Test func writesOneAccessLogLinePerRequest() async throws {
        let running = try startGateway()
        _ = try await curl(["\(running.url)/health"])
        _ = try await curl(["\(running.url)/missing"])
        let events = running.log.entries
        #expect(events.count == 2)
        #expect(events.map { $0.metadata["http.path"]?.description } == ["/health", "/missing"])
        #expect(events.map { $0.metadata["http.status"]?.description } == ["200", "404"])
        #expect(events.allSatisfy { $0.metadata["request.id"] != nil })
        await stop(running)
    }

    /// `serve` opens the model in `InferenceServer.start` before the gateway exists, so that is
    /// where an unreadable model must stop startup.
    @Test func refusesToStartWithoutAReadableModel() throws {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.modelPath = "/nonexistent.gguf"
        let error = #expect(throws: GatewayError.self) { _ = try InferenceServer.start(configuration: configuration) }
        #expect(error?.kind == .modelUnreadable)
    }
}

@Suite struct GatewayExtraRouteTests {
    @Test func extraRoutesGetRequestIDAndStreamThroughMiddleware() async throws {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.modelPath = try ModelFixture.requireDefaultModel()
        let route = GatewayRoute(.post, "/v1/echo/{word}", .async { request in
            .serverSentEvents { writer in
                try await writer.send(data: request.pathParameters["word"] ?? "")
                try await writer.send(data: request.headers["x-request-id"] ?? "none")
            }
        })
        let gateway = try Gateway(configuration: configuration, logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() },
                                  requestIDs: RequestIDPolicy { "fixed" }, created: 0, routes: [route])
        let port = try gateway.start()
        let response = try await curl(["-X", "POST", "http://127.0.0.1:\(port)/v1/echo/hi"])
        #expect(response.status == 200)
        #expect(response.headers["x-request-id"] == "fixed")
        #expect(response.body == "data: hi\n\ndata: fixed\n\n")
        gateway.shutdown()
        await gateway.waitUntilStopped()
    }
}
