import SluiceStore

/// Keys, limits and cache settings of `sluice serve` (flags `--redis`, `--admin-key`, ...;
/// each also `SLUICE_<NAME>` and a JSON-file key, see `GatewayConfiguration.accessSettings`).
public struct AccessConfiguration: Sendable, Hashable {
    /// `redis://[:password@]host:port[/db]`; nil runs the in-memory store.
    public var redis: RedisURL?
    public var redisFailure: StoreFailurePolicy = .closed
    /// Bounds every Redis command and connect (ms).
    public var redisTimeoutMilliseconds = 250
    /// Redis connections, each on its own thread (hiredis is blocking).
    public var redisPoolSize = 4
    /// Authorises the admin routes; nil runs the server open (loopback only unless `allowOpen`).
    public var adminKey: String?
    /// HMAC pepper of key secrets. Required with Redis (every replica must agree); in memory
    /// one is generated and kept in `<data-dir>/pepper` when not given.
    public var keyPepper: String?
    /// Where the in-memory store keeps `keys.json` (and the generated pepper).
    public var dataDirectory: String?
    /// Response cache TTL; 0 (the default) disables the cache. Off by default because a cache
    /// changes what repeated requests measure (benchmarks, batching tests) and should be a
    /// deliberate choice of the operator.
    public var cacheTTLSeconds = 0.0
    /// A concurrency lease frees itself this long after its holder stopped renewing it
    /// (a gateway killed with SIGKILL); live requests renew it every third of this.
    public var leaseSeconds = 30.0
    /// Serve without an admin key on a non-loopback address (everyone is admin).
    public var allowOpen = false

    public init() {}

    /// Admin key set: every `/v1/*` route needs a key.
    public var isOpen: Bool { adminKey == nil }
}

/// A parsed `redis://` URL.
public struct RedisURL: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int

    /// `redis://[[user]:password@]host[:port][/db]` (user names are ignored: Redis < 6 AUTH).
    public static func parse(_ text: String) throws(GatewayError) -> RedisURL {
        func invalid(_ why: String) -> GatewayError {
            GatewayError(.invalidConfiguration, "redis must be redis://[:password@]host:port[/db] (\(why))")
        }
        guard text.hasPrefix("redis://") else { throw invalid("scheme is not redis://") }
        var rest = Substring(text.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                password = String(userInfo[userInfo.index(after: colon)...])
            } else {
                password = String(userInfo)
            }
            if password?.isEmpty == true { password = nil }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !dbText.isEmpty {
                guard let db = Int(dbText), (0...15_000).contains(db) else { throw invalid("database \(dbText) is not a number") }
                database = db
            }
        }
        var host = String(rest)
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unclosed [") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65_535).contains(value) else { throw invalid("bad port") }
                port = value
            } else if !after.isEmpty {
                throw invalid("junk after ]")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(value) else {
                throw invalid("bad port")
            }
            port = value
        }
        guard !host.isEmpty else { throw invalid("no host") }
        return RedisURL(host: host, port: port, password: password, database: database)
    }
}

extension GatewayConfiguration {
    /// The access settings, part of `settings` (same flag/env/file resolution).
    static let accessSettings: [GatewaySetting] = [
        GatewaySetting("redis", "url",
                       "Share keys, limits, usage and cache through Redis: redis://[:password@]host:port[/db].",
                       default: .described("in memory"), secret: true, kind: .scalar { config, value throws(GatewayError) in
            config.access.redis = try RedisURL.parse(value)
        }),
        GatewaySetting("redis-failure", "closed|open", "When Redis is unreachable: closed (503) or open (this replica's own limits).",
                       default: .value("closed"), kind: .scalar { config, value throws(GatewayError) in
            guard let policy = StoreFailurePolicy(rawValue: value.lowercased()) else {
                throw GatewayError(.invalidConfiguration, "redis-failure must be closed or open, not \(value)")
            }
            config.access.redisFailure = policy
        }),
        .integer("redis-timeout-ms", 1...60_000, "Milliseconds any Redis connect or command may take.", default: .value("250")) {
            $0.access.redisTimeoutMilliseconds = $1
        },
        .integer("redis-pool-size", 1...256, "Redis connections, each on its own thread.", default: .value("4")) {
            $0.access.redisPoolSize = $1
        },
        GatewaySetting("admin-key", "key", "Admin key (at least 16 characters). Without it the server runs open, loopback only.",
                       secret: true, kind: .scalar { config, value throws(GatewayError) in
            guard value.utf8.count >= 16, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw GatewayError(.invalidConfiguration, "admin-key must be at least 16 printable ASCII characters without spaces")
            }
            config.access.adminKey = value
        }),
        GatewaySetting("key-pepper", "secret",
                       "Pepper for key hashes (at least 16 bytes); required with --redis. In memory one is generated in --data-dir.",
                       secret: true, kind: .scalar { config, value throws(GatewayError) in
            guard value.utf8.count >= 16 else {
                throw GatewayError(.invalidConfiguration, "key-pepper must be at least 16 bytes")
            }
            config.access.keyPepper = value
        }),
        .text("data-dir", "Directory of the in-memory store's key file and pepper.", valueName: "path") { $0.access.dataDirectory = $1 },
        GatewaySetting("cache-ttl", "seconds", "Response cache TTL in seconds; enables the response cache (0: off).",
                       default: .value("0"), kind: .scalar { config, value throws(GatewayError) in
            guard let seconds = Double(value), seconds >= 0, seconds <= 30 * 86_400 else {
                throw GatewayError(.invalidConfiguration, "cache-ttl must be seconds in [0, 2592000], not \(value)")
            }
            config.access.cacheTTLSeconds = seconds
        }),
        .seconds("lease-seconds", "Seconds after which the concurrency slot of a crashed gateway frees itself.",
                 default: .value("30")) { $0.access.leaseSeconds = $1 },
        .boolean("allow-open", "Serve without an admin key on a non-loopback address.", default: false) { $0.access.allowOpen = $1 },
    ]

    /// Start-up checks that span several settings.
    func validateAccess() throws(GatewayError) {
        if access.redis != nil && access.keyPepper == nil {
            throw GatewayError(.invalidConfiguration,
                               "--redis needs --key-pepper (or SLUICE_KEY_PEPPER): every replica must hash keys with the same pepper")
        }
        if access.isOpen && !access.allowOpen && !Self.isLoopback(host) {
            throw GatewayError(.invalidConfiguration,
                               "refusing to serve without an admin key on \(host): set --admin-key (or SLUICE_ADMIN_KEY), "
                                   + "listen on 127.0.0.1, or pass --allow-open true")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
