import Logging
import SluiceStore
import SluiceTesting
import Testing

/// Connection failures and reconnects reach the store's logger, once per transition.
@Suite("Redis connection logging")
struct RedisLoggingTests {
    @Test func aDownServerIsLoggedOnceAndTheReconnectToo() async throws {
        let records = LogRecords()
        // Its port, with nothing listening until `restart()`.
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        redis.kill()
        var configuration = StoreHarness.configuration(port: redis.port)
        configuration.poolSize = 1
        configuration.initialBackoff = .milliseconds(1)
        configuration.maxBackoff = .milliseconds(1)
        let store = try RedisStore(configuration: configuration, pepper: testPepper, logger: records.logger(label: "test.redis"))
        defer { store.shutdown() }
        for _ in 0..<3 {
            await #expect(throws: StoreError.self) { try await store.ping() }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(records.messages(.warning) == ["Redis connection failed; reconnecting with backoff"])
        #expect(records.messages(.debug).count >= 1)  // the retries, below the default level

        try await redis.restart()
        try await store.ping()
        #expect(records.messages(.notice) == ["reconnected to Redis"])
    }
}
