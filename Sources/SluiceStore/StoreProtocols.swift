import Foundation

// The four store protocols the gateway calls. Every method is `async`: the
// in-memory store answers at once under a lock, the Redis store runs hiredis on
// its own threads, so no caller ever blocks an event loop or the cooperative pool.

/// API keys: admin operations and the hot-path verification of a presented key.
public protocol KeyStore: Sendable {
    /// Creates a key; the plaintext is in the result and nowhere else.
    func createKey(_ spec: APIKeySpec) async throws(StoreError) -> CreatedAPIKey
    /// Every key, revoked ones included, ordered by creation time.
    func listKeys() async throws(StoreError) -> [APIKeyRecord]
    /// The record for `id`, or nil.
    func key(id: String) async throws(StoreError) -> APIKeyRecord?
    func updateKey(id: String, _ update: APIKeyUpdate) async throws(StoreError) -> APIKeyRecord
    /// Marks the key revoked (the record is kept for audit and usage); idempotent.
    func revokeKey(id: String) async throws(StoreError) -> APIKeyRecord
    /// A new secret; the previous one keeps working for `gracePeriod`.
    func rotateKey(id: String, gracePeriod: Duration) async throws(StoreError) -> CreatedAPIKey
    /// Checks a presented key (`sk-sluice-…`, hostile input).
    func verify(presentedKey: String) async throws(StoreError) -> KeyVerification
}

/// Admission control: all limits of one request decided atomically.
public protocol RateLimiter: Sendable {
    /// Admits or rejects one request against every limit it carries. A rejection
    /// consumes nothing on any limit.
    func admit(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision
    /// Replaces the reserved token count with the real one (tpm and budget move by
    /// actual − reserved) and, when `releasingLease`, frees the concurrency slot.
    /// Idempotent: a second settle of the same reservation does nothing and returns false.
    @discardableResult
    func settle(_ reservation: Reservation, actualTokens: Int, releasingLease: Bool) async throws(StoreError) -> Bool
    /// Frees the concurrency slot only; the reservation stays charged at its reserved
    /// size (the policy for unknown cost). Idempotent.
    func release(_ reservation: Reservation) async throws(StoreError)
    /// Pushes the lease expiry out by the lease duration, for long streams.
    func renewLease(_ reservation: Reservation) async throws(StoreError)
    /// `admit`, then, when allowed, `settle` at `reservedTokens` with the lease released: for a
    /// request whose real cost is known up front and that is served at once (a cache hit).
    /// A rejection consumes nothing. The default runs the two calls; Redis pipelines them.
    func admitAndSettle(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision
}

extension RateLimiter {
    @discardableResult
    public func settle(_ reservation: Reservation, actualTokens: Int) async throws(StoreError) -> Bool {
        try await settle(reservation, actualTokens: actualTokens, releasingLease: true)
    }

    /// The two-call default of `admitAndSettle`.
    public func admitAndSettle(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        let decision = try await admit(request)
        if case .allowed(let admission) = decision {
            try await settle(admission.reservation, actualTokens: request.reservedTokens, releasingLease: true)
        }
        return decision
    }
}

/// Requests and tokens per key and UTC day.
public protocol UsageStore: Sendable {
    func record(keyID: String, at date: Date, requests: Int, promptTokens: Int,
                completionTokens: Int) async throws(StoreError)
    /// One entry per day in `[from, to]` (UTC days, inclusive) that has usage, oldest first.
    /// At most 400 days are read.
    func usage(keyID: String, from: Date, to: Date) async throws(StoreError) -> [DailyUsage]
}

public struct DailyUsage: Sendable, Hashable, Codable {
    /// UTC day, `yyyy-MM-dd`.
    public var day: String
    public var requests: Int
    public var promptTokens: Int
    public var completionTokens: Int

    public init(day: String, requests: Int, promptTokens: Int, completionTokens: Int) {
        self.day = day
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// Exact-match response cache, scoped by tenant. `key` is the canonical request
/// bytes; stores hash it, so its length never reaches Redis key names.
public protocol ResponseCache: Sendable {
    func get(tenant: String, key: [UInt8]) async throws(StoreError) -> [UInt8]?
    func put(tenant: String, key: [UInt8], value: [UInt8], ttl: Duration) async throws(StoreError)
}

/// A cache hit served in one store step: the entry is looked up and, when it is there, the
/// request is admitted at its known cost, settled and its usage recorded, atomically. On Redis
/// this is one script call, so a hit costs one round trip instead of three (cache GET, admit and
/// settle, usage). A miss consumes nothing; a rejected hit consumes nothing and records nothing.
public protocol CacheHitServer: Sendable {
    func serveCached(_ request: CachedServeRequest) async throws(StoreError) -> CachedServeOutcome
}

public struct CachedServeRequest: Sendable, Hashable {
    /// Cache scope (the key id; `_admin` / `_anonymous` otherwise).
    public var tenant: String
    /// Canonical request bytes (`ResponseCache` key).
    public var key: [UInt8]
    /// The admission at the hit's cost (`reservedTokens` = prompt + completion charged);
    /// nil when the caller has no limits.
    public var admission: AdmissionRequest?
    /// Whose usage grows by one request and these tokens; nil records nothing (admin, anonymous).
    public var usageKeyID: String?
    public var date: Date
    public var promptTokens: Int
    public var completionTokens: Int

    public init(tenant: String, key: [UInt8], admission: AdmissionRequest?, usageKeyID: String?, date: Date,
                promptTokens: Int, completionTokens: Int) {
        self.tenant = tenant
        self.key = key
        self.admission = admission
        self.usageKeyID = usageKeyID
        self.date = date
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

public enum CachedServeOutcome: Sendable, Hashable {
    /// No entry: nothing was consumed; the request takes the normal path.
    case miss
    /// The entry, admitted and settled; `status` is nil when the caller has no limits.
    case served([UInt8], status: RateLimitStatus?)
    /// An entry exists but the limits refuse the request; nothing was consumed.
    case rejected(AdmissionRejection)
}

/// The serving step as separate calls, for stores in one process (each call is a lock, not a
/// round trip): cache get, `admitAndSettle`, usage record.
public struct ComposedCacheHitServer: CacheHitServer {
    let limiter: any RateLimiter
    let usage: any UsageStore
    let cache: any ResponseCache

    public init(limiter: any RateLimiter, usage: any UsageStore, cache: any ResponseCache) {
        self.limiter = limiter
        self.usage = usage
        self.cache = cache
    }

    public func serveCached(_ request: CachedServeRequest) async throws(StoreError) -> CachedServeOutcome {
        guard let bytes = try await cache.get(tenant: request.tenant, key: request.key) else { return .miss }
        var status: RateLimitStatus?
        if let admission = request.admission {
            switch try await limiter.admitAndSettle(admission) {
            case .allowed(let admitted): status = admitted.status
            case .rejected(let rejection): return .rejected(rejection)
            }
        }
        if let keyID = request.usageKeyID {
            // After the admission a failure must not turn the hit into a miss (it would be admitted
            // again); the in-process usage store does not fail anyway.
            try? await usage.record(keyID: keyID, at: request.date, requests: 1, promptTokens: request.promptTokens,
                                    completionTokens: request.completionTokens)
        }
        return .served(bytes, status: status)
    }
}

/// The services of one store, in memory or on Redis.
public struct StoreServices: Sendable {
    public let keys: any KeyStore
    public let limiter: any RateLimiter
    public let usage: any UsageStore
    public let cache: any ResponseCache
    /// Cache hits in one step; by default composed of `limiter`, `usage` and `cache`.
    public let hits: any CacheHitServer

    public init(keys: any KeyStore, limiter: any RateLimiter, usage: any UsageStore, cache: any ResponseCache,
                hits: (any CacheHitServer)? = nil) {
        self.keys = keys
        self.limiter = limiter
        self.usage = usage
        self.cache = cache
        self.hits = hits ?? ComposedCacheHitServer(limiter: limiter, usage: usage, cache: cache)
    }
}

/// A cache entry's Redis/in-memory identity: SHA-256 over the length-prefixed tenant
/// and the canonical request, so no tenant can ever address another tenant's entry
/// (the framing rules out `("a", "bc")` colliding with `("ab", "c")`).
enum CacheEntryKey {
    static func digest(tenant: String, key: [UInt8]) -> [UInt8] {
        let tenantBytes = Array(tenant.utf8)
        var input: [UInt8] = []
        input.reserveCapacity(8 + tenantBytes.count + key.count)
        var length = UInt64(tenantBytes.count).bigEndian
        withUnsafeBytes(of: &length) { input.append(contentsOf: $0) }
        input.append(contentsOf: tenantBytes)
        input.append(contentsOf: key)
        return Digest.sha256(input)
    }
}
