import Foundation
import SluiceAPI
import SluiceHTTP
import SluiceStore

/// The admin API under `/v1/admin/keys` (admin key required). Every answer is JSON; errors use
/// OpenAI's envelope. Secrets appear only in the create and rotate answers.
struct AdminRoutes: Sendable {
    let control: AccessControl
    let now: @Sendable () -> Date

    var all: [GatewayRoute] {
        [
            route(.post, "/v1/admin/keys") { (request: HTTPRequest) async throws(APIError) -> HTTPResponse in try await create(request) },
            route(.get, "/v1/admin/keys") { (_: HTTPRequest) async throws(APIError) -> HTTPResponse in try await list() },
            route(.get, "/v1/admin/keys/{id}") { (request: HTTPRequest) async throws(APIError) -> HTTPResponse in try await show(request) },
            route(.patch, "/v1/admin/keys/{id}") { (request: HTTPRequest) async throws(APIError) -> HTTPResponse in try await update(request) },
            route(.delete, "/v1/admin/keys/{id}") { (request: HTTPRequest) async throws(APIError) -> HTTPResponse in try await revoke(request) },
            route(.post, "/v1/admin/keys/{id}/rotate") { (request: HTTPRequest) async throws(APIError) -> HTTPResponse in try await rotate(request) },
            route(.get, "/v1/admin/keys/{id}/usage") { (request: HTTPRequest) async throws(APIError) -> HTTPResponse in try await usage(request) },
        ]
    }

    /// Admin check first, then the handler; thrown `APIError`s become envelopes.
    func route(_ method: HTTPMethod, _ path: String,
               _ body: @escaping @Sendable (HTTPRequest) async throws(APIError) -> HTTPResponse) -> GatewayRoute {
        GatewayRoute(method, path, .async { request in
            do throws(APIError) {
                try await checkAdmin(request.head)
                return try await body(request)
            } catch {
                return error.response()
            }
        })
    }

    /// 401 without the admin key; 403 when the caller holds a valid inference key instead.
    func checkAdmin(_ head: HTTPRequestHead) async throws(APIError) {
        if control.isAdmin(head) { return }
        guard let presented = AccessControl.bearerToken(head.headers["authorization"]) else {
            throw APIError.unauthorized("The admin API needs the admin key: Authorization: Bearer ADMIN_KEY.")
        }
        if case .valid? = try? await control.services.keys.verify(presentedKey: presented) {
            throw APIError(status: 403, message: "This API key cannot use the admin API; use the admin key.",
                           type: "invalid_request_error", code: "insufficient_permissions")
        }
        throw APIError.unauthorized("Incorrect admin key provided.")
    }

    func create(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let spec = try AdminRequests.create(request.body, now: now())
        let created = try await store { () async throws(StoreError) in try await control.services.keys.createKey(spec) }
        return Self.json(AdminJSON.key(created.record, plaintextKey: created.plaintextKey), status: .created)
    }

    func list() async throws(APIError) -> HTTPResponse {
        let records = try await store { () async throws(StoreError) in try await control.services.keys.listKeys() }
        return Self.json(AdminJSON.list(records))
    }

    func show(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let id = try Self.keyID(request)
        let record = try await store { () async throws(StoreError) in try await control.services.keys.key(id: id) }
        guard let record else { throw Self.notFound(id) }
        return Self.json(AdminJSON.key(record))
    }

    func update(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let id = try Self.keyID(request)
        let update = try AdminRequests.update(request.body, now: now())
        let record = try await store { () async throws(StoreError) in try await control.services.keys.updateKey(id: id, update) }
        return Self.json(AdminJSON.key(record))
    }

    func revoke(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let id = try Self.keyID(request)
        let record = try await store { () async throws(StoreError) in try await control.services.keys.revokeKey(id: id) }
        return Self.json(AdminJSON.key(record))
    }

    func rotate(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let id = try Self.keyID(request)
        let grace = try AdminRequests.rotate(request.body)
        let created = try await store { () async throws(StoreError) in
            try await control.services.keys.rotateKey(id: id, gracePeriod: grace)
        }
        return Self.json(AdminJSON.key(created.record, plaintextKey: created.plaintextKey))
    }

    /// `?start=YYYY-MM-DD&end=YYYY-MM-DD` (UTC, inclusive); default the last 30 days.
    func usage(_ request: HTTPRequest) async throws(APIError) -> HTTPResponse {
        let id = try Self.keyID(request)
        let query = Self.queryItems(request.head.query)
        let end = try query["end"].map { value throws(APIError) in try AdminRequests.day(value, param: "end") } ?? now()
        let start = try query["start"].map { value throws(APIError) in try AdminRequests.day(value, param: "start") }
            ?? end.addingTimeInterval(-29 * 86_400)
        guard start <= end else { throw APIError.invalidRequest("Invalid 'start': must not be after 'end'.", param: "start") }
        guard end.timeIntervalSince(start) <= 366 * 86_400 else {
            throw APIError.invalidRequest("Invalid 'start': at most 366 days per request.", param: "start")
        }
        let record = try await store { () async throws(StoreError) in try await control.services.keys.key(id: id) }
        guard record != nil else { throw Self.notFound(id) }
        let days = try await store { () async throws(StoreError) in
            try await control.services.usage.usage(keyID: id, from: start, to: end)
        }
        return Self.json(AdminJSON.usage(keyID: id, days))
    }

    // MARK: Helpers

    static func keyID(_ request: HTTPRequest) throws(APIError) -> String {
        let id = request.pathParameters["id"] ?? ""
        guard APIKeyFormat.isValidKeyID(id) else { throw notFound(id) }
        return id
    }

    static func notFound(_ id: String) -> APIError {
        let shown = APIKeyFormat.isValidKeyID(id) ? id : "(invalid id)"
        return APIError(status: 404, message: "No API key with id \(shown).", type: "invalid_request_error",
                        param: "id", code: "key_not_found")
    }

    func store<T>(_ operation: () async throws(StoreError) -> T) async throws(APIError) -> T {
        do {
            return try await operation()
        } catch {
            switch error.kind {
            case .notFound, .invalidArgument, .conflict: break
            default: control.logger.error("admin store operation failed", metadata: ["error": .string(error.message)])
            }
            throw APIError(error, what: "the key store cannot be changed")
        }
    }

    static func queryItems(_ query: Substring?) -> [String: Substring] {
        var items: [String: Substring] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { items[String(parts[0])] = parts[1] }
        }
        return items
    }

    static func json(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], bytes: Array(text.utf8))
    }
}
