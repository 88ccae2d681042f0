import Foundation
import SluiceTesting
import Logging
import SluiceAPI
import SluiceHTTP
import Testing
@testable import SluiceGateway

@Suite struct GatewayFormattingTests {
    func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func encodesOpenAIErrorEnvelope() throws {
        let response = APIError(HTTPError(.notFound, "no route for GET /x\"y")).response()
        #expect(response.status.code == 404)
        guard case .bytes(let body) = response.body else { Issue.record("streamed error"); return }
        let error = try #require(try jsonObject(String(decoding: body, as: UTF8.self))["error"] as? [String: Any])
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["code"] as? String == "not_found")
        #expect(error["param"] is NSNull)
        #expect((error["message"] as? String)?.contains("/x\"y") == true)
    }

    @Test func mapsEveryServerErrorToACode() {
        let codes: [HTTPError.Kind: String] = [
            .malformedRequest: "bad_request", .contentTooLarge: "request_too_large", .headerSectionTooLarge: "request_header_fields_too_large",
            .tooManyHeaders: "request_header_fields_too_large", .methodNotAllowed: "method_not_allowed", .notFound: "not_found",
            .serviceUnavailable: "service_unavailable", .requestTimeout: "request_timeout",
        ]
        for (kind, code) in codes {
            let error = APIError(HTTPError(kind, "r"))
            #expect(error.code == code)
            #expect(error.status == HTTPError(kind, "r").status.code)
        }
        #expect(APIError(HTTPError(.serviceUnavailable, "r")).type == "server_error")
        #expect(APIError(HTTPError(.serviceUnavailable, "r")).retryAfterSeconds == 1)
    }

    @Test func escapesJSONStrings() {
        #expect(JSONText.quoted("a\"b\\c\nd\u{1}é") == #""a\"b\\c\nd\u0001é""#)
    }

    @Test func listsModelsInOpenAIFormat() throws {
        let object = try jsonObject(BasicRoutes.modelsJSON([ServedModel(id: "smol", created: 42)]))
        #expect(object["object"] as? String == "list")
        let data = try #require(object["data"] as? [[String: Any]])
        #expect(data.count == 1)
        #expect(data[0]["id"] as? String == "smol")
        #expect(data[0]["object"] as? String == "model")
        #expect(data[0]["created"] as? Int == 42)
        #expect(data[0]["owned_by"] as? String == "sluice")
    }

    @Test func echoesSaneRequestIDsOnly() {
        let policy = RequestIDPolicy { "generated" }
        func head(_ id: String?) -> HTTPRequestHead {
            HTTPRequestHead(method: .get, target: "/", headers: id.map { ["x-request-id": $0] } ?? [:])
        }
        #expect(policy.id(for: head("abc-123_XYZ")) == "abc-123_XYZ")
        #expect(policy.id(for: head(String(repeating: "a", count: 128))) == String(repeating: "a", count: 128))
        #expect(policy.id(for: head(String(repeating: "a", count: 129))) == "generated")
        #expect(policy.id(for: head("has space")) == "generated")
        #expect(policy.id(for: head("")) == "generated")
        #expect(policy.id(for: head("caf\u{e9}")) == "generated")
        #expect(policy.id(for: head(nil)) == "generated")
        #expect(policy.id(for: nil) == "generated")
    }

    @Test func countingIDsAreUnique() {
        let policy = RequestIDPolicy.counting(prefix: "p")
        let ids = (0..<100).map { _ in policy.id(for: nil) }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.hasPrefix("req_p") && RequestIDPolicy.isSane($0) })
    }

    @Test func formatsJSONLogLines() throws {
        let line = SluiceLogHandler.format(.json, time: 1.5, level: .info, label: "sluice.access", message: "request",
                                           metadata: ["http.status": .stringConvertible(200), "request.id": .string("r\"1")])
        let object = try jsonObject(line)
        #expect(object["msg"] as? String == "request")
        #expect(object["level"] as? String == "info")
        #expect(object["http.status"] as? Int == 200)
        #expect(object["request.id"] as? String == "r\"1")
        #expect(object["ts"] as? Double == 1.5)
    }

    @Test func formatsTextLogLines() {
        let line = SluiceLogHandler.format(.text, time: 2, level: .warning, label: "l", message: "m", metadata: ["b": "2", "a": "1"])
        #expect(line == "2.000 warning l: m a=1 b=2")
    }
}

@Suite struct GatewayInProcessTests {
    func makeGateway() throws -> Gateway {
        var configuration = GatewayConfiguration()
        configuration.modelPath = try SluiceTesting.ModelFixture.requireDefaultModel()
        configuration.accessLog = false
        return try Gateway(configuration: configuration, logger: Logger(label: "t"), requestIDs: RequestIDPolicy { "id-1" }, created: 5)
    }

    func text(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    @Test func answersRoutesWithoutASocket() async throws {
        let gateway = try makeGateway()
        let health = await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .get, target: "/health")))
        #expect(text(health) == #"{"status":"ok"}"#)
        #expect(health.headers["x-request-id"] == "id-1")
        let missing = await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .get, target: "/v2/nothing")))
        #expect(missing.status == .notFound)
        #expect(text(missing).contains(#""code":"not_found""#))
        let wrong = await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .put, target: "/health")))
        #expect(wrong.status == .methodNotAllowed)
        #expect(wrong.headers["Allow"] == "GET, HEAD")
    }
}
