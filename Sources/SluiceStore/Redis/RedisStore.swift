import Logging

/// The shared store: every service on one Redis through one connection pool.
public final class RedisStore: Sendable {
    public let keys: RedisKeyStore
    public let limiter: RedisRateLimiter
    public let usage: RedisUsageStore
    public let cache: RedisResponseCache
    public let hits: RedisCacheHitServer
    public let configuration: RedisConfiguration
    private let pool: RedisConnectionPool

    /// Starts the pool threads; connections are made on first use (so a gateway can start
    /// while Redis is still coming up, and `ping()` tells when it is reachable).
    /// - Parameters:
    ///   - clock: time for key records (created, expiry checks).
    ///   - limitClock: nil (production) makes the limit scripts use Redis `TIME`, one clock for
    ///     all replicas; tests pass a `ManualClock` (SluiceTesting) to drive limits deterministically.
    ///   - logger: connection failures and reconnects of the pool's connections.
    public init(configuration: RedisConfiguration, pepper: [UInt8], clock: any StoreClock = SystemStoreClock(),
                limitClock: (any StoreClock)? = nil,
                random: any SecureRandomSource = OpenSSLRandomSource(),
                logger: Logger = Logger(label: "sluice.redis")) throws(StoreError) {
        guard (1...65_535).contains(configuration.port) else {
            throw StoreError(.invalidArgument, "Redis port \(configuration.port) is out of range")
        }
        guard configuration.commandTimeout > .zero, configuration.connectTimeout > .zero else {
            throw StoreError(.invalidArgument, "Redis timeouts must be positive")
        }
        let issuer = APIKeyIssuer(hasher: try SecretHasher(pepper: pepper), random: random)
        let schema = RedisKeySchema(prefix: configuration.keyPrefix)
        let pool = RedisConnectionPool(configuration: configuration, scripts: RedisScripts.all, logger: logger)
        self.configuration = configuration
        self.pool = pool
        keys = RedisKeyStore(pool: pool, schema: schema, issuer: issuer, clock: clock)
        limiter = RedisRateLimiter(pool: pool, schema: schema, limitClock: limitClock)
        usage = RedisUsageStore(pool: pool, schema: schema)
        cache = RedisResponseCache(pool: pool, schema: schema)
        hits = RedisCacheHitServer(pool: pool, schema: schema, limitClock: limitClock)
    }

    public var services: StoreServices {
        StoreServices(keys: keys, limiter: limiter, usage: usage, cache: cache, hits: hits)
    }

    /// The services as a gateway replica should use them: key records cached for at most
    /// `keyCacheTTL` (≤ 0.5 s, so revocations reach every replica within a second), admission
    /// under `failurePolicy`, and a response cache (and cache-hit step) whose failures are misses: a hit
    /// that cannot be served takes the normal path, whose admission then follows the failure policy.
    public func gatewayServices(pepper: [UInt8], failurePolicy: StoreFailurePolicy = .closed,
                                keyCacheTTL: Duration = CachedKeyStore.maximumTTL,
                                onEvent: @escaping @Sendable (StoreEvent) -> Void = { _ in },
                                onCacheError: @escaping @Sendable (StoreError) -> Void = { _ in })
        throws(StoreError) -> StoreServices {
        StoreServices(
            keys: CachedKeyStore(base: keys, hasher: try SecretHasher(pepper: pepper), ttl: keyCacheTTL),
            limiter: FailurePolicyRateLimiter(primary: limiter, policy: failurePolicy, onEvent: onEvent),
            usage: usage,
            cache: FailOpenResponseCache(base: cache, onError: onCacheError),
            hits: FailOpenCacheHitServer(base: hits, onError: onCacheError))
    }

    /// One PING round trip (readiness checks, benchmarks).
    public func ping() async throws(StoreError) {
        let reply = try await pool.run { connection throws(StoreError) in try connection.command(RedisCommand("PING")) }
        guard reply == .status("PONG") else { throw StoreError(.unexpectedReply, "PING answered \(reply.summary)") }
    }

    /// Sends one raw command (tests and operator tooling: `SCRIPT FLUSH`, `DEBUG SLEEP`).
    func command(_ arguments: [String]) async throws(StoreError) -> RedisReply {
        let command = RedisCommand(arguments.map { Array($0.utf8) })
        return try await pool.run { connection throws(StoreError) in try connection.command(command) }
    }

    /// Stops the pool threads; each closes its connection once its current command ends
    /// (within the command timeout). Does not block. Also happens when the store and all
    /// its services are released.
    public func shutdown() {
        pool.shutdown()
    }
}
