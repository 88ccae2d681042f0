import ArgumentParser

/// The `sluice serve` options for keys, limits, the store and the cache. Each also comes from
/// `SLUICE_<NAME>` or the JSON config file (resolved by `GatewayConfiguration.resolve`).
struct KeysServeOptions: ParsableArguments {
    @Option(help: "Share keys, limits, usage and cache through Redis: redis://[:password@]host:port[/db]. Default: in memory.")
    var redis: String?
    @Option(help: "When Redis is unreachable: closed (503) or open (this replica's own limits). Default closed.")
    var redisFailure: String?
    @Option(help: "Milliseconds any Redis connect or command may take (default 250).")
    var redisTimeoutMs: Int?
    @Option(help: "Redis connections, each on its own thread (default 4).")
    var redisPoolSize: Int?
    @Option(help: "Admin key (at least 16 characters); also SLUICE_ADMIN_KEY. Without it the server runs open, loopback only.")
    var adminKey: String?
    @Option(help: "Pepper for key hashes (at least 16 bytes); required with --redis. In memory one is generated in --data-dir.")
    var keyPepper: String?
    @Option(help: "Directory of the in-memory store's key file and pepper.")
    var dataDir: String?
    @Option(help: "Response cache TTL in seconds; enables the response cache (default 0: off).")
    var cacheTTL: Double?
    @Option(help: "Seconds after which the concurrency slot of a crashed gateway frees itself (default 30).")
    var leaseSeconds: Double?
    @Option(help: "Serve without an admin key on a non-loopback address: true or false (default false).")
    var allowOpen: String?

    var givenFlags: [String: String] {
        var flags: [String: String] = [:]
        func put(_ name: String, _ value: (any CustomStringConvertible)?) {
            if let value { flags[name] = value.description }
        }
        put("redis", redis); put("redis-failure", redisFailure); put("redis-timeout-ms", redisTimeoutMs)
        put("redis-pool-size", redisPoolSize)
        put("admin-key", adminKey); put("key-pepper", keyPepper); put("data-dir", dataDir); put("cache-ttl", cacheTTL)
        put("lease-seconds", leaseSeconds); put("allow-open", allowOpen)
        return flags
    }
}
