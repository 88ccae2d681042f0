import Foundation
import Logging
import SluiceHTTP
import SluiceTesting
import Testing
@testable import SluiceGateway

@Suite struct CORSPolicyTests {
    let policy = CORSPolicy(origins: ["http://localhost:3000", "HTTPS://App.Example.com/"])

    func head(_ method: HTTPMethod = .options, origin: String?, requestHeaders: String? = nil) -> HTTPRequestHead {
        var headers: HTTPHeaders = [:]
        if let origin { headers.add("Origin", origin) }
        if let requestHeaders { headers.add("Access-Control-Request-Headers", requestHeaders) }
        headers.add("Access-Control-Request-Method", "POST")
        return HTTPRequestHead(method: method, target: "/v1/chat/completions", headers: headers)
    }

    @Test func allowsOnlyListedOrigins() {
        #expect(policy.allows(origin: "http://localhost:3000"))
        #expect(policy.allows(origin: "https://app.example.com"))
        #expect(!policy.allows(origin: "http://localhost:3001"))
        #expect(!policy.allows(origin: "null"))
        #expect(!CORSPolicy(origins: []).allows(origin: "http://localhost:3000"))
        #expect(CORSPolicy(origins: ["*"]).allows(origin: "http://anything.test"))
    }

    @Test func answersAPreflightFromAnAllowedOrigin() {
        let response = policy.preflight(head(origin: "http://localhost:3000", requestHeaders: "authorization, content-type, x-stainless-os"),
                                        methods: [.post])
        #expect(response.status == .noContent)
        #expect(response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000")
        #expect(response.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS")
        #expect(response.headers["Access-Control-Allow-Headers"] == "authorization, content-type, x-stainless-os")
        #expect(response.headers["Access-Control-Max-Age"] == "7200")
        #expect(response.headers["Vary"]?.contains("Origin") == true)
    }

    @Test func refusesOtherOriginsWithoutCORSHeaders() {
        let response = policy.preflight(head(origin: "http://evil.test"), methods: [.post])
        #expect(response.status == .forbidden)
        #expect(response.headers["Access-Control-Allow-Origin"] == nil)
        var actual = HTTPResponse(status: .ok)
        policy.decorate(&actual, requestHead: head(.post, origin: "http://evil.test"))
        #expect(actual.headers["Access-Control-Allow-Origin"] == nil)
        #expect(actual.headers["Vary"] == "Origin")
    }

    @Test func plainOptionsGetsAllow() {
        let response = policy.preflight(head(origin: nil), methods: [.get])
        #expect(response.status == .noContent)
        #expect(response.headers["Allow"] == "GET, OPTIONS")
    }

    @Test func doesNotReflectOddHeaderNames() {
        #expect(CORSPolicy.allowedHeaders(requested: "x-a\r\nSet-Cookie: y") == "Authorization, Content-Type")
        #expect(CORSPolicy.allowedHeaders(requested: nil) == "Authorization, Content-Type")
    }

    @Test func decoratesResponsesToAllowedOrigins() {
        var response = HTTPResponse(status: .ok)
        policy.decorate(&response, requestHead: head(.post, origin: "http://localhost:3000"))
        #expect(response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000")
        #expect(response.headers["Access-Control-Expose-Headers"]?.contains("x-ratelimit-remaining-requests") == true)
        #expect(response.headers["Access-Control-Expose-Headers"]?.contains("retry-after") == true)
        var off = HTTPResponse(status: .ok)
        CORSPolicy(origins: []).decorate(&off, requestHead: head(.post, origin: "http://localhost:3000"))
        #expect(off.headers.isEmpty)
    }

    @Test func startupRules() throws {
        func resolve(_ flags: [String: [String]]) throws -> GatewayConfiguration {
            try GatewayConfiguration.resolve(flagValues: flags.merging(["model": ["m.gguf"]]) { a, _ in a }, environment: [:]) { _ in Data() }
        }
        #expect(try resolve(["cors-origins": ["*"]]).corsOrigins == ["*"])
        #expect(throws: GatewayError.self) { try resolve(["cors-origins": ["*"], "admin-key": ["0123456789abcdef0"]]) }
        #expect(throws: GatewayError.self) { try resolve(["cors-origins": ["*"], "host": ["0.0.0.0"], "allow-open": ["true"]]) }
        #expect(throws: GatewayError.self) { try resolve(["cors-origins": ["localhost:3000"]]) }
        #expect(throws: GatewayError.self) { try resolve(["cors-origins": ["http://a.test/path"]]) }
        #expect(try resolve(["cors-origins": ["http://a.test,https://b.test:8443"]]).corsOrigins == ["http://a.test", "https://b.test:8443"])
    }
}

/// The OpenAI surface through the real router: unprefixed paths, models.retrieve, preflights.
@Suite struct GatewaySurfaceTests {
    func makeGateway(cors: [String] = ["http://localhost:3000"]) throws -> Gateway {
        var configuration = GatewayConfiguration()
        configuration.modelPath = try SluiceTesting.ModelFixture.requireDefaultModel()
        configuration.modelName = "smol"
        configuration.modelAliases = ["gpt-4o-mini": "smol"]
        configuration.corsOrigins = cors
        configuration.accessLog = false
        let admin = GatewayRoute(.get, "/v1/admin/probe", .sync { _ in HTTPResponse(status: .ok) })
        return try Gateway(configuration: configuration, logger: Logger(label: "t"), requestIDs: RequestIDPolicy { "id-1" },
                           created: 5, routes: [admin])
    }

    func text(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    func get(_ gateway: Gateway, _ target: String, origin: String? = nil) async -> HTTPResponse {
        var headers: HTTPHeaders = [:]
        if let origin { headers.add("Origin", origin) }
        return await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .get, target: target, headers: headers)))
    }

    @Test func listsAndRetrievesModelsWithAndWithoutPrefix() async throws {
        let gateway = try makeGateway()
        for prefix in ["/v1", ""] {
            let list = await get(gateway, prefix + "/models")
            #expect(list.status == .ok)
            #expect(text(list).contains(#""id":"gpt-4o-mini","object":"model","created":5,"owned_by":"sluice","sluice_alias_of":"smol""#))
            let model = await get(gateway, prefix + "/models/smol")
            #expect(text(model) == #"{"id":"smol","object":"model","created":5,"owned_by":"sluice"}"#)
            let alias = await get(gateway, prefix + "/models/gpt-4o-mini")
            #expect(text(alias).contains(#""sluice_alias_of":"smol""#))
            let missing = await get(gateway, prefix + "/models/gpt-5")
            #expect(missing.status == .notFound)
            #expect(text(missing).contains(#""code":"model_not_found""#))
            #expect(text(missing).contains(#""param":"model""#))
        }
    }

    @Test func preflightsAndDecoratesOpenAIRoutesOnly() async throws {
        let gateway = try makeGateway()
        for path in ["/v1/models", "/models", "/v1/models/smol", "/models/smol"] {
            var headers: HTTPHeaders = ["Origin": "http://localhost:3000"]
            headers.add("Access-Control-Request-Method", "GET")
            let preflight = await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .options, target: path, headers: headers)))
            #expect(preflight.status == .noContent, "\(path)")
            #expect(preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000")
            #expect(preflight.headers["x-request-id"] == "id-1")
        }
        let actual = await get(gateway, "/models", origin: "http://localhost:3000")
        #expect(actual.headers["Access-Control-Allow-Origin"] == "http://localhost:3000")
        let health = await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .options, target: "/health")))
        #expect(health.status == .methodNotAllowed)
        let admin = await get(gateway, "/v1/admin/probe", origin: "http://localhost:3000")
        #expect(admin.status == .ok)
        #expect(admin.headers["Access-Control-Allow-Origin"] == nil)
        #expect(await get(gateway, "/admin/probe").status == .notFound)
    }

    @Test func withoutCORSOptionsIsNotRouted() async throws {
        let gateway = try makeGateway(cors: [])
        let preflight = await gateway.respond(to: HTTPRequest(head: HTTPRequestHead(method: .options, target: "/v1/models",
                                                                                   headers: ["Origin": "http://localhost:3000"])))
        #expect(preflight.status == .methodNotAllowed)
        let actual = await get(gateway, "/v1/models", origin: "http://localhost:3000")
        #expect(actual.headers["Access-Control-Allow-Origin"] == nil)
    }

    @Test func pathsWithoutPrefixAreOnlyForOpenAIRoutes() {
        #expect(Gateway.openAIPaths("/v1/chat/completions") == ["/v1/chat/completions", "/chat/completions"])
        #expect(Gateway.openAIPaths("/v1/admin/keys") == ["/v1/admin/keys"])
        #expect(Gateway.openAIPaths("/v1/_test/hold") == ["/v1/_test/hold"])
        #expect(Gateway.openAIPaths("/tokenize") == ["/tokenize"])
    }
}
