import SluiceAPI
import SluiceHTTP
import SluiceStore
import Synchronization

/// Who is calling, as the auth middleware established it, and the limit state of this one
/// request. The middleware binds it to `AccessContext.current` while the route handler runs,
/// so handlers that parse a model can call `authorize(model:)` and `admit(...)`:
///
/// ```swift
/// let access = AccessContext.current            // nil when the gateway runs without AccessControl
/// try access?.authorize(model: chat.model)      // 404 model_not_found for a model the key may not use
/// let ticket = try await access?.admit(promptTokens: prompt.count, maxTokens: maxNew)
/// ... generate ...
/// await ticket?.settle(promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
/// ```
/// A ticket the handler forgets to settle is settled at its reserved size when the response
/// (or its stream) ends, so no lease or reservation ever leaks.
public struct AccessContext: Sendable {
    /// The verified key; nil for the admin key or an anonymous caller of an open server.
    public let key: APIKeyRecord?
    /// The caller presented the admin key.
    public let isAdmin: Bool
    let control: AccessControl
    let state: AccessRequestState

    @TaskLocal public static var current: AccessContext?

    /// The key id used as the cache tenant and the usage owner (`_admin` / `_anonymous` otherwise).
    public var tenant: String {
        if let key { return key.id }
        return isAdmin ? "_admin" : "_anonymous"
    }

    /// Throws 404 `model_not_found` (OpenAI's answer for a model the key cannot see) when the key's
    /// allowed models include neither `model` (as requested) nor `servedID` (the model an alias
    /// names): a key allowed a model may use it under any of its aliases.
    public func authorize(model: String, servedID: String? = nil) throws(APIError) {
        guard let key, !key.allows(model: model) else { return }
        if let servedID, key.allows(model: servedID) { return }
        throw APIError.modelNotFound(model)
    }

    /// Admits the request against every limit of its key in one atomic step. The model was
    /// authorized before (`authorize(model:)`, once per request).
    /// - Parameters:
    ///   - promptTokens: tokens of the prompt(s) as the model tokenises them, each prompt once.
    ///   - maxTokens: the most completion tokens the request may produce over all its choices.
    /// - Throws: 429 rate_limit_exceeded (with Retry-After), 429 insufficient_quota,
    ///   503 store_unavailable (Redis unreachable under `--redis-failure closed`).
    public func admit(promptTokens: Int, maxTokens: Int) async throws(APIError) -> AdmissionTicket {
        try await control.admit(self, promptTokens: promptTokens, maxTokens: maxTokens)
    }
}

/// Per-request mutable state shared by the middleware and the handler: the last limit status
/// (for the headers) and the tickets to settle if the handler did not.
final class AccessRequestState: Sendable {
    private struct Values {
        var status: RateLimitStatus?
        var tickets: [AdmissionTicket] = []
    }
    private let values = Mutex(Values())

    var status: RateLimitStatus? { values.withLock { $0.status } }

    func note(_ status: RateLimitStatus) { values.withLock { $0.status = status } }

    func add(_ ticket: AdmissionTicket) { values.withLock { $0.tickets.append(ticket) } }

    /// Settles, at their reserved size, the tickets the handler left open.
    func settleRemaining() async {
        let tickets = values.withLock { values in
            let tickets = values.tickets
            values.tickets = []
            return tickets
        }
        for ticket in tickets where !ticket.isSettled { await ticket.settleAsReserved() }
    }

    var hasOpenTickets: Bool { values.withLock { $0.tickets.contains { !$0.isSettled } } }
}

extension AccessContext {
    /// The gateway's cache TTL; nil when the cache is off (`--cache-ttl 0`).
    public var cacheTTL: Duration? {
        let seconds = control.configuration.cacheTTLSeconds
        return seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil
    }

    /// A cached answer for `canonicalKey`, served in one store step: looked up and, when present,
    /// admitted for one request and no tokens (the limits' headers noted), settled and counted in
    /// usage (one Redis round trip). nil on a miss, an unreadable entry or an unreachable store:
    /// nothing was consumed then and the request takes the normal path.
    /// - Throws: 429 (rate limit, concurrency, quota) when the key's limits refuse the hit; 503
    ///   store_unavailable is never thrown here (an unreachable store is a miss).
    public func serveCachedResponse(canonicalKey: [UInt8]) async throws(APIError) -> CachedResponse? {
        try await control.serveCached(self, canonicalKey: canonicalKey)
    }

    /// Stores an answer under this caller's tenant for the configured TTL (errors are ignored:
    /// a cache write never fails a request).
    public func storeResponse(_ response: CachedResponse, canonicalKey: [UInt8]) async {
        guard let ttl = cacheTTL else { return }
        try? await control.services.cache.put(tenant: tenant, key: canonicalKey, value: response.encoded(), ttl: ttl)
    }

    /// The policy for this request (`ResponseCachePolicy.decide` with the gateway's TTL).
    public func cachePolicy(headers: HTTPHeaders, temperature: Double, seed: Int64?) -> ResponseCachePolicy {
        ResponseCachePolicy.decide(headers: headers,
                                   deterministic: ResponseCachePolicy.isDeterministic(temperature: temperature, seed: seed),
                                   enabled: cacheTTL != nil)
    }
}
