import Foundation
import SluiceTesting
import Testing
@testable import SluiceStore

/// Redis frozen (SIGSTOP), killed and restarted: bounded waits, the failure policy, recovery.
@Suite struct RedisFailureTests {
    /// Command timeout 200 ms; the slack covers scheduling on a loaded 2-core machine
    /// (these tests run beside several concurrent builds).
    let bound = 0.2 + 0.4

    /// A cache hit is served in one script call; with Redis frozen it is a miss within the timeout
    /// (the request then takes the normal path, whose admission follows the failure policy).
    @Test func cacheHitIsAMissWithinTheTimeoutWhileRedisIsFrozen() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let services = try store.gatewayServices(pepper: testPepper)
        try await store.cache.put(tenant: "k", key: [1], value: [42], ttl: .seconds(60))
        let request = CachedServeRequest(tenant: "k", key: [1],
                                         admission: makeAdmission(keyID: "k", "served", limits: RateLimits(requestsPerMinute: 5)),
                                         usageKeyID: "k", date: Date(), promptTokens: 0, completionTokens: 0)
        guard case .served([42], let status?) = try await services.hits.serveCached(request) else {
            Issue.record("the entry must be served"); return
        }
        #expect(status.requests?.remaining == 4)
        redis.pause()
        let started = ContinuousClock.now
        #expect(try await services.hits.serveCached(request) == .miss)
        #expect(elapsedSeconds(since: started) <= bound)
        redis.resume()
        var served = false
        for _ in 0..<50 where !served {
            if case .served = try await services.hits.serveCached(request) { served = true }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(served)
        // The call that timed out was already sent: Redis runs it when it wakes, so it may count.
        let usage = try await store.usage.usage(keyID: "k", from: Date(), to: Date())
        #expect((2...3).contains(usage.first?.requests ?? 0))
    }

    @Test func frozenRedisAnswersWithinTheTimeoutAndFollowsThePolicy() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let closed = FailurePolicyRateLimiter(primary: store.limiter, policy: .closed)
        let events = EventLog()
        let open = FailurePolicyRateLimiter(primary: store.limiter, policy: .open, onEvent: { events.append($0) })
        let limits = RateLimits(requestsPerMinute: 100)
        #expect(try await closed.admit(makeAdmission(keyID: "k", "warm", limits: limits)).reservation != nil)

        redis.pause()
        // More callers than pool connections: queued callers must not wait for a second timeout.
        let outcomes = await withTaskGroup(of: (Double, StoreError?).self) { group in
            for index in 0..<8 {
                group.addTask {
                    let started = ContinuousClock.now
                    do throws(StoreError) {
                        _ = try await closed.admit(makeAdmission(keyID: "k", "c\(index)", limits: limits))
                        return (elapsedSeconds(since: started), nil)
                    } catch {
                        return (elapsedSeconds(since: started), error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (seconds, error) in outcomes {
            #expect(seconds <= bound)
            #expect(error?.isStoreUnreachable == true)
        }
        let started = ContinuousClock.now
        let fallback = try await open.admit(makeAdmission(keyID: "k", "o1", limits: limits))
        #expect(elapsedSeconds(since: started) <= bound)
        #expect(fallback.reservation?.origin == .localFallback)
        #expect(events.events.count == 1)

        redis.resume()
        var recovered = false
        let resumedAt = ContinuousClock.now
        while elapsedSeconds(since: resumedAt) < 5 && !recovered {
            recovered = (try? await closed.admit(makeAdmission(keyID: "k", "again", limits: limits)))?.reservation != nil
            if !recovered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(recovered)
        _ = try await open.admit(makeAdmission(keyID: "k", "o2", limits: limits))
        #expect(events.events.last == .sharedStoreRecovered)

        // hiredis #593: after the reconnects above the command timeout must still hold.
        let sleepStarted = ContinuousClock.now
        await #expect(throws: StoreError.self) { try await store.command(["DEBUG", "SLEEP", "1"]) }
        #expect(elapsedSeconds(since: sleepStarted) <= bound)
    }

    @Test func restartedRedisIsReconnectedWithoutRecreatingTheStore() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        try await store.ping()
        redis.kill()
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) { try await store.ping() }
        #expect(elapsedSeconds(since: started) <= bound)

        try await redis.restart()
        var recovered = false
        let restartedAt = ContinuousClock.now
        while elapsedSeconds(since: restartedAt) < 5 && !recovered {
            recovered = (try? await store.ping()) != nil
            if !recovered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(recovered)
        // The fresh server has an empty script cache: the NOSCRIPT path must carry admission.
        let limits = RateLimits(requestsPerMinute: 1)
        #expect(try await store.limiter.admit(makeAdmission(keyID: "k", "a", limits: limits)).reservation != nil)
        #expect(try await store.limiter.admit(makeAdmission(keyID: "k", "b", limits: limits)).isRateLimited)
    }

    @Test func gatewayServicesFailOpenForTheCacheAndClosedForAdmission() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let cacheErrors = EventLogOf<StoreError>()
        let services = try store.gatewayServices(pepper: testPepper, onCacheError: { cacheErrors.append($0) })
        try await services.cache.put(tenant: "t", key: [1], value: [2], ttl: .seconds(30))
        #expect(try await services.cache.get(tenant: "t", key: [1]) == [2])
        redis.kill()
        #expect(try await services.cache.get(tenant: "t", key: [1]) == nil)  // a miss, not an error
        try await services.cache.put(tenant: "t", key: [1], value: [3], ttl: .seconds(30))
        #expect(cacheErrors.events.count == 2)
        let error = await #expect(throws: StoreError.self) {
            try await services.limiter.admit(makeAdmission(keyID: "k", "a", limits: RateLimits(requestsPerMinute: 1)))
        }
        #expect(error?.isStoreUnreachable == true)
        #expect(error?.message.contains("failure policy closed") == true)
    }

    @Test func droppingTheLastReferenceStopsThePoolThreads() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        var pool: RedisConnectionPool? = RedisConnectionPool(
            configuration: StoreHarness.configuration(port: redis.port), scripts: RedisScripts.all)
        let core = try #require(pool?.core)
        #expect(core.liveThreads == 3)
        let reply = try await pool?.run { connection throws(StoreError) in try connection.command(RedisCommand("PING")) }
        #expect(reply == .status("PONG"))
        pool = nil
        let droppedAt = ContinuousClock.now
        while core.liveThreads > 0 && elapsedSeconds(since: droppedAt) < 5 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(core.liveThreads == 0)
        let afterwards = await #expect(throws: StoreError.self) {
            try await core.run { connection throws(StoreError) in try connection.command(RedisCommand("PING")) }
        }
        #expect(afterwards?.kind == .unavailable)
    }

    @Test func passwordProtectedRedisNeedsTheRightPassword() async throws {
        let redis = try await RedisServerLauncher.start(extraArguments: ["--requirepass", "s3cret"])
        defer { redis.stop() }
        var configuration = StoreHarness.configuration(port: redis.port)
        configuration.password = "s3cret"
        let good = try RedisStore(configuration: configuration, pepper: testPepper)
        defer { good.shutdown() }
        try await good.ping()
        configuration.password = "wrong"
        let bad = try RedisStore(configuration: configuration, pepper: testPepper)
        defer { bad.shutdown() }
        let error = await #expect(throws: StoreError.self) { try await bad.ping() }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("s3cret") == false)
    }

    @Test func unreachableRedisAtStartFailsFast() async throws {
        let port = try RedisServerLauncher.freeLoopbackPort()
        let store = try RedisStore(configuration: StoreHarness.configuration(port: port), pepper: testPepper)
        defer { store.shutdown() }
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) { try await store.keys.listKeys() }
        #expect(elapsedSeconds(since: started) <= bound)
    }
}
