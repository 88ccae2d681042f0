/// The embedded store for a single gateway: every service in memory, keys persisted
/// to `dataDirectory`.
public enum InMemoryStore {
    public static func open(pepper: [UInt8], dataDirectory: String?, clock: any StoreClock = SystemStoreClock(),
                            random: any SecureRandomSource = OpenSSLRandomSource(),
                            cacheMaxEntries: Int = 10_000, cacheMaxBytes: Int = 256 << 20) throws(StoreError)
        -> StoreServices {
        let issuer = APIKeyIssuer(hasher: try SecretHasher(pepper: pepper), random: random)
        return StoreServices(
            keys: try InMemoryKeyStore(issuer: issuer, dataDirectory: dataDirectory, clock: clock),
            limiter: InMemoryRateLimiter(clock: clock),
            usage: InMemoryUsageStore(),
            cache: InMemoryResponseCache(maxEntries: cacheMaxEntries, maxBytes: cacheMaxBytes, clock: clock))
    }
}
