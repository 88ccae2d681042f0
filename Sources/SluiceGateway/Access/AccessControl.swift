import Foundation
import Logging
import SluiceAPI
import SluiceHTTP
import SluiceStore
import Synchronization

/// Authentication, admission and the response cache of one gateway, over a `StoreServices`
/// (in memory or Redis). `protect(path:_:)` wraps every `/v1/*` route except the admin ones
/// (they check the admin key themselves, see `AdminRoutes`).
public final class AccessControl: Sendable {
    public let services: StoreServices
    public let configuration: AccessConfiguration
    let adminKey: AdminKey?
    let logger: Logger
    let leaseDuration: Duration
    /// Verifies keys locally against the last record seen when the shared store is unreachable
    /// and the failure policy is `open`.
    let issuer: APIKeyIssuer
    private let lastKnown = Mutex<[String: APIKeyRecord]>([:])
    private let reservationIDs: RequestIDPolicy
    /// Called on shutdown (stops the Redis pool).
    let onShutdown: @Sendable () -> Void

    public init(configuration: AccessConfiguration, services: StoreServices, pepper: [UInt8], logger: Logger,
                onShutdown: @escaping @Sendable () -> Void = {}) throws(StoreError) {
        self.configuration = configuration
        self.services = services
        self.adminKey = configuration.adminKey.map(AdminKey.init)
        self.logger = logger
        self.leaseDuration = .milliseconds(Int64(configuration.leaseSeconds * 1000))
        self.issuer = APIKeyIssuer(hasher: try SecretHasher(pepper: pepper))
        self.reservationIDs = .counting()
        self.onShutdown = onShutdown
    }

    public func shutdown() { onShutdown() }

    // MARK: Authentication

    /// Reads `Authorization: Bearer <key>` and checks it. Open server (no admin key): a valid
    /// Sluice key still gets its own limits; anything else (no header, `sk-test`, `EMPTY`, as SDKs
    /// send by default) is an anonymous caller without limits.
    func authenticate(_ head: HTTPRequestHead) async throws(APIError) -> AccessContext {
        let presented = Self.bearerToken(head.headers["authorization"])
        if adminKey == nil {
            if let presented, APIKeyFormat.parse(presented) != nil,
               case .valid(let record)? = try? await services.keys.verify(presentedKey: presented) {
                return AccessContext(key: record, isAdmin: false, control: self, state: AccessRequestState())
            }
            return AccessContext(key: nil, isAdmin: true, control: self, state: AccessRequestState())
        }
        guard let presented else {
            throw APIError.unauthorized("You didn't provide an API key. You need to provide your API key in an "
                                            + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        }
        if let adminKey, adminKey.matches(presented) {
            return AccessContext(key: nil, isAdmin: true, control: self, state: AccessRequestState())
        }
        let verification: KeyVerification
        do {
            verification = try await services.keys.verify(presentedKey: presented)
        } catch where error.isStoreUnreachable && configuration.redisFailure == .open {
            verification = verifyLocally(presented)
        } catch {
            throw APIError(error, what: "API keys cannot be checked")
        }
        switch verification {
        case .valid(let record):
            remember(record)
            return AccessContext(key: record, isAdmin: false, control: self, state: AccessRequestState())
        case .invalid(let reason):
            throw APIError.unauthorized(Self.message(reason, presented: presented))
        }
    }

    /// The credentials of `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is
    /// case-insensitive, RFC 9110 §11.1), with optional whitespace (SP / HTAB, RFC 9110 §5.6.3)
    /// around it. Works on the UTF-8 bytes: this runs on every request, and Foundation's
    /// `trimmingCharacters` (a bridge through NSString) cost ~8 % of a cache hit's CPU.
    static func bearerToken(_ header: String?) -> String? {
        guard var header else { return nil }
        return header.withUTF8 { bytes -> String? in
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
            var start = 0
            var end = bytes.count
            while start < end, isSpace(bytes[start]) { start += 1 }
            let scheme: [UInt8] = [0x62, 0x65, 0x61, 0x72, 0x65, 0x72]  // "bearer"
            guard end - start > scheme.count, isSpace(bytes[start + scheme.count]) else { return nil }
            for (offset, expected) in scheme.enumerated() where bytes[start + offset] | 0x20 != expected { return nil }
            start += scheme.count
            while start < end, isSpace(bytes[start]) { start += 1 }
            while end > start, isSpace(bytes[end - 1]) { end -= 1 }
            guard start < end else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    static func message(_ reason: KeyRejection, presented: String) -> String {
        switch reason {
        case .revoked: return "The API key provided has been revoked."
        case .expired: return "The API key provided has expired."
        case .malformed, .unknownKey, .wrongSecret:
            // OpenAI shows a redacted key; only the public part (never the secret) is echoed.
            if let parsed = APIKeyFormat.parse(presented) {
                return "Incorrect API key provided: \(APIKeyFormat.prefix)\(parsed.keyID)-****."
            }
            return "Incorrect API key provided."
        }
    }

    private func remember(_ record: APIKeyRecord) {
        lastKnown.withLock { known in
            if known.count >= 100_000 && known[record.id] == nil { known.removeAll(keepingCapacity: true) }
            known[record.id] = record
        }
    }

    private func verifyLocally(_ presented: String) -> KeyVerification {
        guard let parsed = APIKeyFormat.parse(presented) else { return .invalid(.malformed) }
        let record = lastKnown.withLock { $0[parsed.keyID] }
        return issuer.verify(parsed, record: record, now: Date())
    }

    func isAdmin(_ head: HTTPRequestHead) -> Bool {
        guard let adminKey else { return true }
        guard let presented = Self.bearerToken(head.headers["authorization"]) else { return false }
        return adminKey.matches(presented)
    }

    // MARK: Admission

    func admit(_ context: AccessContext, promptTokens: Int, maxTokens: Int) async throws(APIError) -> AdmissionTicket {
        let reserved = max(0, promptTokens) + max(0, maxTokens)
        guard let key = context.key, key.limits != .unlimited else {
            let ticket = AdmissionTicket(status: RateLimitStatus(), promptTokens: promptTokens, reservedTokens: reserved,
                                         keyID: context.key?.id, reservation: nil, services: services, logger: logger)
            context.state.add(ticket)
            return ticket
        }
        let request = AdmissionRequest(keyID: key.id, limits: key.limits, requestID: reservationIDs.id(for: nil),
                                       reservedTokens: reserved, leaseDuration: leaseDuration)
        let decision: AdmissionDecision
        do {
            decision = try await services.limiter.admit(request)
        } catch {
            throw APIError(error, what: "rate limits cannot be checked")
        }
        switch decision {
        case .allowed(let admission):
            context.state.note(admission.status)
            let ticket = AdmissionTicket(status: admission.status, promptTokens: promptTokens, reservedTokens: reserved,
                                         keyID: key.id, reservation: admission.reservation, services: services,
                                         logger: logger)
            context.state.add(ticket)
            return ticket
        case .rejected(let rejection):
            context.state.note(rejection.status)
            throw APIError(rejection, reserved: reserved, limits: key.limits)
        }
    }

    /// See `AccessContext.serveCachedResponse(canonicalKey:)`. A hit costs one request and no tokens.
    func serveCached(_ context: AccessContext, canonicalKey: [UInt8]) async throws(APIError) -> CachedResponse? {
        let key = context.key
        // A served request holds no lease or reservation past the store call (admitted and settled
        // in one atomic step), so it needs no unique request id.
        let admission = key.flatMap { key in
            key.limits == .unlimited ? nil
                : AdmissionRequest(keyID: key.id, limits: key.limits, requestID: "served", reservedTokens: 0,
                                   leaseDuration: leaseDuration)
        }
        let request = CachedServeRequest(tenant: context.tenant, key: canonicalKey, admission: admission,
                                         usageKeyID: key?.id, date: Date(), promptTokens: 0, completionTokens: 0)
        let outcome: CachedServeOutcome
        do {
            outcome = try await services.hits.serveCached(request)
        } catch {
            // The cache fails open: the normal path runs (and its admission follows the failure policy).
            return nil
        }
        switch outcome {
        case .miss:
            return nil
        case .served(let bytes, let status):
            if let status { context.state.note(status) }
            // A corrupt or foreign entry: already counted, but answered by the normal path.
            return CachedResponse.decode(bytes)
        case .rejected(let rejection):
            context.state.note(rejection.status)
            throw APIError(rejection, reserved: 0, limits: key?.limits ?? .unlimited)
        }
    }

    // MARK: Middleware

    /// Wraps a `/v1/*` handler (not admin routes, not other paths) with authentication,
    /// `AccessContext.current`, the `x-ratelimit-*` headers and the settle safety net.
    public func protect(path: String, _ handler: HTTPHandler) -> HTTPHandler {
        guard path.hasPrefix("/v1/"), !path.hasPrefix("/v1/admin/") else { return handler }
        if adminKey == nil, case .sync(let body) = handler {
            // Open server: a sync route (`/v1/models`) admits nothing, so it keeps its inline fast
            // path (no Task hop) and runs as an anonymous caller.
            return .sync { request in
                AccessContext.$current.withValue(AccessContext(key: nil, isAdmin: true, control: self,
                                                               state: AccessRequestState())) { body(request) }
            }
        }
        return .async { request in
            let context: AccessContext
            do throws(APIError) {
                context = try await self.authenticate(request.head)
            } catch {
                return error.response()
            }
            var response = await AccessContext.$current.withValue(context) {
                switch handler {
                case .sync(let body): return body(request)
                case .async(let body): return await body(request)
                }
            }
            return Self.finish(&response, context: context)
        }
    }

    static func finish(_ response: inout HTTPResponse, context: AccessContext) -> HTTPResponse {
        if let status = context.state.status { RateLimitHeaders.apply(status, to: &response.headers) }
        let state = context.state
        switch response.body {
        case .bytes:
            if state.hasOpenTickets { Task { await state.settleRemaining() } }
        case .stream(let options, let producer):
            response.body = .stream(options) { writer in
                do {
                    try await producer(writer)
                } catch {
                    await state.settleRemaining()
                    throw error
                }
                await state.settleRemaining()
            }
        }
        return response
    }
}

/// The admin key, compared in constant time (CWE-208): the time depends only on the
/// presented length, never on where the bytes differ.
struct AdminKey: Sendable {
    let bytes: [UInt8]

    init(_ key: String) { bytes = Array(key.utf8) }

    func matches(_ presented: String) -> Bool {
        guard !bytes.isEmpty else { return false }
        let candidate = Array(presented.utf8)
        var difference = UInt8(truncatingIfNeeded: candidate.count ^ bytes.count)
        for index in candidate.indices {
            difference |= candidate[index] ^ bytes[index % bytes.count]
        }
        return difference == 0 && candidate.count == bytes.count
    }
}

extension AccessControl {
    /// The routes access control adds: the admin API.
    public func routes() -> [GatewayRoute] {
        AdminRoutes(control: self, now: { Date() }).all
    }
}
