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

/// The four services of one store, in memory or on Redis.
public struct StoreServices: Sendable {
    public let keys: any KeyStore
    public let limiter: any RateLimiter
    public let usage: any UsageStore
    public let cache: any ResponseCache

    public init(keys: any KeyStore, limiter: any RateLimiter, usage: any UsageStore, cache: any ResponseCache) {
        self.keys = keys
        self.limiter = limiter
        self.usage = usage
        self.cache = cache
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
