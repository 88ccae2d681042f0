import Foundation
import Logging
import Testing
@testable import SluiceGateway
import SluiceAPI
import SluiceHTTP
import SluiceStore

/// The middleware and admission over the in-memory store (no sockets).
@Suite struct AccessControlTests {
    static let adminKey = "admin-key-0123456789"
    let control: AccessControl

    init() throws {
        var configuration = AccessConfiguration()
        configuration.adminKey = Self.adminKey
        configuration.cacheTTLSeconds = 60
        let pepper = Array("pepper-pepper-pepper".utf8)
        control = try AccessControl(configuration: configuration,
                                    services: try InMemoryStore.open(pepper: pepper, dataDirectory: nil),
                                    pepper: pepper, logger: Logger(label: "test"))
    }

    func request(_ path: String, key: String?) -> HTTPRequest {
        var headers = HTTPHeaders()
        if let key { headers.add("Authorization", "Bearer \(key)") }
        return HTTPRequest(head: HTTPRequestHead(method: .post, target: path, headers: headers))
    }

    func run(_ handler: HTTPHandler, _ request: HTTPRequest) async -> HTTPResponse {
        switch handler {
        case .sync(let body): return body(request)
        case .async(let body): return await body(request)
        }
    }

    func body(_ response: HTTPResponse) -> String {
        if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    /// A protected handler that authorizes the model and admits like the inference pipeline, and
    /// reports what happened.
    func admittingRoute(settle: Bool) -> HTTPHandler {
        .async { _ in
            guard let access = AccessContext.current else { return HTTPResponse(status: .internalServerError) }
            do throws(APIError) {
                try access.authorize(model: "m")
                let ticket = try await access.admit(promptTokens: 5, maxTokens: 10)
                if settle {
                    await ticket.settle(promptTokens: 5, completionTokens: 2)
                    await ticket.settle(promptTokens: 5, completionTokens: 9)
                }
                return HTTPResponse(bytes: Array(access.tenant.utf8))
            } catch {
                return error.response()
            }
        }
    }

    func createKey(_ spec: APIKeySpec) async throws -> CreatedAPIKey {
        try await control.services.keys.createKey(spec)
    }

    @Test func leavesNonV1AndAdminRoutesToTheirOwnChecks() {
        let health = control.protect(path: "/health", .sync { _ in HTTPResponse() })
        guard case .sync = health else { Issue.record("health must stay a sync handler"); return }
        guard case .sync = control.protect(path: "/v1/admin/keys", .sync { _ in HTTPResponse() }) else {
            Issue.record("admin routes check the admin key themselves"); return
        }
    }

    @Test func openServerKeepsSyncRoutesSync() throws {
        let pepper = Array("pepper-pepper-pepper".utf8)
        let open = try AccessControl(configuration: AccessConfiguration(),
                                     services: try InMemoryStore.open(pepper: pepper, dataDirectory: nil),
                                     pepper: pepper, logger: Logger(label: "test"))
        guard case .sync(let body) = open.protect(path: "/v1/models", .sync { _ in
            HTTPResponse(bytes: Array((AccessContext.current?.tenant ?? "none").utf8))
        }) else {
            Issue.record("an open server must keep /v1/models inline"); return
        }
        #expect(self.body(body(request("/v1/models", key: nil))) == "_admin")
        guard case .async = control.protect(path: "/v1/models", .sync { _ in HTTPResponse() }) else {
            Issue.record("with an admin key every /v1 route needs the async key check"); return
        }
    }

    @Test func rejectsMissingAndUnknownKeysWith401() async throws {
        let handler = control.protect(path: "/v1/x", admittingRoute(settle: true))
        for key in [nil, "sk-wrong", "sk-sluice-AAAAAAAAAAAA-" + String(repeating: "a", count: 43)] {
            let response = await run(handler, request("/v1/x", key: key))
            #expect(response.status.code == 401)
            #expect(body(response).contains("invalid_api_key"))
        }
    }

    @Test func adminKeyAndValidKeysPass() async throws {
        let handler = control.protect(path: "/v1/x", admittingRoute(settle: true))
        #expect(body(await run(handler, request("/v1/x", key: Self.adminKey))) == "_admin")
        let created = try await createKey(APIKeySpec(name: "a"))
        #expect(body(await run(handler, request("/v1/x", key: created.plaintextKey))) == created.record.id)
    }

    @Test func modelOutsideTheKeysListIs404() async throws {
        let created = try await createKey(APIKeySpec(name: "a", allowedModels: ["other"]))
        let response = await run(control.protect(path: "/v1/x", admittingRoute(settle: true)),
                                 request("/v1/x", key: created.plaintextKey))
        #expect(response.status.code == 404)
        #expect(body(response).contains("model_not_found"))
    }

    @Test func overTheLimitIs429WithRetryAfterAndHeaders() async throws {
        let created = try await createKey(APIKeySpec(name: "a", limits: RateLimits(requestsPerMinute: 1, tokensPerMinute: 100)))
        let handler = control.protect(path: "/v1/x", admittingRoute(settle: true))
        let first = await run(handler, request("/v1/x", key: created.plaintextKey))
        #expect(first.status.code == 200)
        #expect(first.headers["x-ratelimit-remaining-requests"] == "0")
        #expect(first.headers["x-ratelimit-remaining-tokens"] == "85")
        let second = await run(handler, request("/v1/x", key: created.plaintextKey))
        #expect(second.status.code == 429)
        #expect(Int(second.headers["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(second.headers["x-ratelimit-limit-requests"] == "1")
        #expect(body(second).contains("rate_limit_exceeded"))
    }

    @Test func ticketSettlesOnceAndRecordsUsage() async throws {
        let created = try await createKey(APIKeySpec(name: "a", limits: RateLimits(tokensPerMinute: 1000)))
        _ = await run(control.protect(path: "/v1/x", admittingRoute(settle: true)), request("/v1/x", key: created.plaintextKey))
        let usage = try await control.services.usage.usage(keyID: created.record.id, from: Date(), to: Date())
        #expect(usage.map(\.requests) == [1])
        #expect(usage.map(\.completionTokens) == [2])
    }

    @Test func forgottenTicketIsSettledAsReservedAfterTheResponse() async throws {
        let created = try await createKey(APIKeySpec(name: "a", limits: RateLimits(maxConcurrentRequests: 1)))
        let handler = control.protect(path: "/v1/x", admittingRoute(settle: false))
        #expect(await run(handler, request("/v1/x", key: created.plaintextKey)).status.code == 200)
        var usage: [DailyUsage] = []
        for _ in 0..<200 where usage.isEmpty {
            usage = try await control.services.usage.usage(keyID: created.record.id, from: Date(), to: Date())
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(usage.map(\.promptTokens) == [5])
        #expect(usage.map(\.completionTokens) == [10])
        // The concurrency slot was released too.
        #expect(await run(handler, request("/v1/x", key: created.plaintextKey)).status.code == 200)
    }

    @Test func cacheEntriesAreScopedToTheTenant() async throws {
        let a = AccessContext(key: try await createKey(APIKeySpec(name: "a")).record, isAdmin: false, control: control,
                              state: AccessRequestState())
        let b = AccessContext(key: try await createKey(APIKeySpec(name: "b")).record, isAdmin: false, control: control,
                              state: AccessRequestState())
        let entry = CachedResponse(body: [1], chunks: [[2]], usageChunk: nil, promptTokens: 1, completionTokens: 1)
        await a.storeResponse(entry, canonicalKey: [9, 9])
        #expect(try await a.serveCachedResponse(canonicalKey: [9, 9]) == entry)
        #expect(try await b.serveCachedResponse(canonicalKey: [9, 9]) == nil)
        #expect(try await a.serveCachedResponse(canonicalKey: [9]) == nil)
    }
}
