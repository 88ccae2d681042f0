/// How to reach Redis and how long anyone may wait for it.
public struct RedisConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// Bounds `connect()` (hiredis `redisConnectWithTimeout`).
    public var connectTimeout: Duration
    /// Bounds every command, queueing included: no caller waits longer than this
    /// (hiredis `redisSetTimeout`: SO_RCVTIMEO/SO_SNDTIMEO, applied on every new connection).
    public var commandTimeout: Duration
    /// Connections, each on its own thread (hiredis contexts are not thread-safe).
    public var poolSize: Int
    /// Prefix of every key (`sluice1` by default; tests use a unique one per test).
    public var keyPrefix: String
    /// After a failure a connection waits this long before reconnecting, doubling up to `maxBackoff`;
    /// meanwhile its callers fail at once instead of waiting on a dead server.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// Sent with AUTH on every new connection when set (`requirepass`).
    public var password: String?
    /// Selected on every new connection when not 0.
    public var database: Int

    public init(host: String = "127.0.0.1", port: Int = 6379, connectTimeout: Duration = .milliseconds(200),
                commandTimeout: Duration = .milliseconds(250), poolSize: Int = 4, keyPrefix: String = "sluice1",
                initialBackoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(1),
                password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
        self.keyPrefix = keyPrefix
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.password = password
        self.database = database
    }
}
