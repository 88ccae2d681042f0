import Foundation
import Synchronization

/// A gateway-local cache of key records in front of a shared `KeyStore` (Redis).
///
/// Every replica that caches auth data has had "revoked key still works elsewhere" bugs
/// (LiteLLM #9820, #2149); the fix kept here is a short TTL, capped at half a second, so a
/// revocation through any replica is honoured by every replica within one second, with
/// room to spare for a fetch in flight and a loaded machine (an entry's age counts from
/// before its fetch started, so it never outlives the TTL past a concurrent revocation).
/// The cost is one Redis read per key and replica every half second, off the hit path
/// otherwise. Unknown ids are cached too (with the same TTL), so random ids cannot hammer
/// Redis. The secret is checked locally against the cached HMAC on every call.
public final class CachedKeyStore: KeyStore {
    public static let maximumTTL: Duration = .milliseconds(500)

    private struct Entry {
        let record: APIKeyRecord?
        let fetchedAt: Int64
    }

    private let base: any KeyStore
    private let issuer: APIKeyIssuer
    private let clock: any StoreClock
    private let ttlMicros: Int64
    private let maxEntries: Int
    private let entries = Mutex<[String: Entry]>([:])

    /// - Parameter ttl: how long a record is trusted; values above `maximumTTL` are capped.
    public init(base: any KeyStore, hasher: SecretHasher, ttl: Duration = CachedKeyStore.maximumTTL, maxEntries: Int = 100_000,
                clock: any StoreClock = SystemStoreClock()) {
        self.base = base
        self.issuer = APIKeyIssuer(hasher: hasher)
        self.clock = clock
        self.ttlMicros = min(ttl, Self.maximumTTL).microseconds
        self.maxEntries = max(1, maxEntries)
    }

    public func verify(presentedKey: String) async throws(StoreError) -> KeyVerification {
        guard let parsed = APIKeyFormat.parse(presentedKey) else { return .invalid(.malformed) }
        let record = try await cachedRecord(id: parsed.keyID)
        let now = clock.nowMicroseconds()
        return issuer.verify(parsed, record: record, now: Date(timeIntervalSince1970: Double(now) / 1e6))
    }

    public func key(id: String) async throws(StoreError) -> APIKeyRecord? {
        try await cachedRecord(id: id)
    }

    // Admin operations go straight to the shared store and refresh this replica's entry.

    public func createKey(_ spec: APIKeySpec) async throws(StoreError) -> CreatedAPIKey {
        let created = try await base.createKey(spec)
        remember(created.record.id, created.record)
        return created
    }

    public func listKeys() async throws(StoreError) -> [APIKeyRecord] { try await base.listKeys() }

    public func updateKey(id: String, _ update: APIKeyUpdate) async throws(StoreError) -> APIKeyRecord {
        let record = try await base.updateKey(id: id, update)
        remember(id, record)
        return record
    }

    public func revokeKey(id: String) async throws(StoreError) -> APIKeyRecord {
        let record = try await base.revokeKey(id: id)
        remember(id, record)
        return record
    }

    public func rotateKey(id: String, gracePeriod: Duration) async throws(StoreError) -> CreatedAPIKey {
        let created = try await base.rotateKey(id: id, gracePeriod: gracePeriod)
        remember(id, created.record)
        return created
    }

    private func cachedRecord(id: String) async throws(StoreError) -> APIKeyRecord? {
        let now = clock.nowMicroseconds()
        if let entry = entries.withLock({ $0[id] }), now - entry.fetchedAt < ttlMicros {
            return entry.record
        }
        let record = try await base.key(id: id)
        remember(id, record, at: now)
        return record
    }

    private func remember(_ id: String, _ record: APIKeyRecord?, at time: Int64? = nil) {
        let fetchedAt = time ?? clock.nowMicroseconds()
        entries.withLock { entries in
            if entries.count >= maxEntries && entries[id] == nil {
                // Dropping everything is crude but bounded and rare; entries live ≤ 0.5 s anyway.
                entries.removeAll(keepingCapacity: true)
            }
            entries[id] = Entry(record: record, fetchedAt: fetchedAt)
        }
    }
}
