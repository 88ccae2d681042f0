/// Cached responses as strings with a TTL (`SET … PX`); the key is a fixed-length hash,
/// however large the request (a 1 MB prompt must not become a 1 MB key).
public final class RedisResponseCache: ResponseCache {
    private let pool: RedisConnectionPool
    private let schema: RedisKeySchema

    init(pool: RedisConnectionPool, schema: RedisKeySchema) {
        self.pool = pool
        self.schema = schema
    }

    public func get(tenant: String, key: [UInt8]) async throws(StoreError) -> [UInt8]? {
        let command = RedisCommand("GET").adding(bytes: schema.cacheEntry(tenant: tenant, digest: CacheEntryKey.digest(tenant: tenant, key: key)))
        return try await pool.run { connection throws(StoreError) in
            try connection.command(command).optionalBytes("cache get")
        }
    }

    public func put(tenant: String, key: [UInt8], value: [UInt8], ttl: Duration) async throws(StoreError) {
        let milliseconds = ttl.microseconds / 1000
        guard milliseconds > 0 else { return }
        let command = RedisCommand("SET").adding(bytes: schema.cacheEntry(tenant: tenant, digest: CacheEntryKey.digest(tenant: tenant, key: key)))
            .adding(bytes: value).adding("PX").adding(milliseconds)
        try await pool.run { connection throws(StoreError) in try connection.command(command).expectOK("cache put") }
    }
}
