import Foundation
import SluiceTesting
import Testing
@testable import SluiceStore

/// Several gateways (store instances) on one Redis, and Redis-specific recovery.
@Suite struct RedisSharedStoreTests {
    @Test func twoGatewaysSharingRedisEnforceOneLimitNotTwo() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let gatewayA = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        let gatewayB = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { gatewayA.shutdown(); gatewayB.shutdown() }
        let limits = RateLimits(requestsPerMinute: 10, tokensPerMinute: 100_000, maxConcurrentRequests: 4)
        // A burst of 5× the request limit, split across the two gateways, all in flight at once.
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                let limiter = index.isMultiple(of: 2) ? gatewayA.limiter : gatewayB.limiter
                group.addTask {
                    try await limiter.admit(makeAdmission(keyID: "shared", "r\(index)", tokens: 10, limits: limits))
                        .reservation != nil
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 4)  // concurrency 4 binds first; nothing was released

        #expect(try await burst(gatewayA, gatewayB, keyID: "rpm", limits: RateLimits(requestsPerMinute: 10)) == 10)
        #expect(try await burst(gatewayA, gatewayB, keyID: "tpm", tokens: 10,
                                limits: RateLimits(tokensPerMinute: 100)) == 10)
        // Budget 95 with 10-token estimates: never more than the budget is reserved.
        #expect(try await burst(gatewayA, gatewayB, keyID: "budget", tokens: 10,
                                limits: RateLimits(tokenBudget: TokenBudget(tokens: 95, period: .day))) == 9)
    }

    /// 50 simultaneous admissions alternating between two gateways; returns how many were admitted.
    func burst(_ a: RedisStore, _ b: RedisStore, keyID: String, tokens: Int = 0, limits: RateLimits) async throws -> Int {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<50 {
                let limiter = index.isMultiple(of: 2) ? a.limiter : b.limiter
                group.addTask {
                    try await limiter.admit(makeAdmission(keyID: keyID, "r\(index)", tokens: tokens, limits: limits))
                        .reservation != nil
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    @Test func revocationThroughOneGatewayIsHonouredByTheOtherWithinASecond() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let storeA = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        let storeB = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { storeA.shutdown(); storeB.shutdown() }
        let hasher = try SecretHasher(pepper: testPepper)
        // Key-cache time is a manual clock: the TTL is checked exactly, not by racing real time.
        let clock = ManualClock()
        let gatewayA = CachedKeyStore(base: storeA.keys, hasher: hasher, clock: clock)
        let gatewayB = CachedKeyStore(base: storeB.keys, hasher: hasher, clock: clock)
        let created = try await gatewayA.createKey(APIKeySpec(name: "shared"))
        #expect(try await gatewayB.verify(presentedKey: created.plaintextKey).record != nil)  // B's cache is warm
        _ = try await gatewayA.revokeKey(id: created.record.id)
        #expect(try await gatewayA.verify(presentedKey: created.plaintextKey) == .invalid(.revoked))
        // B may trust its cached record for the TTL and not a microsecond longer; the TTL is at
        // most half a second, well within the promised second.
        #expect(CachedKeyStore.maximumTTL <= .milliseconds(500))
        clock.advance(by: CachedKeyStore.maximumTTL - .microseconds(1))
        #expect(try await gatewayB.verify(presentedKey: created.plaintextKey).record != nil)
        clock.advance(by: .microseconds(1))
        #expect(try await gatewayB.verify(presentedKey: created.plaintextKey) == .invalid(.revoked))
    }

    @Test func scriptFlushDoesNotBreakOrResetLimits() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let limits = RateLimits(requestsPerMinute: 3, tokensPerMinute: 1_000)
        for index in 0..<2 {
            #expect(try await store.limiter.admit(makeAdmission(keyID: "k", "r\(index)", tokens: 10, limits: limits))
                .reservation != nil)
        }
        #expect(try await store.command(["SCRIPT", "FLUSH"]) == .status("OK"))
        let third = try await store.limiter.admit(makeAdmission(keyID: "k", "r2", tokens: 10, limits: limits))
        #expect(third.reservation != nil)
        #expect(try await store.limiter.admit(makeAdmission(keyID: "k", "r3", limits: limits)).isRateLimited)
        // EVAL put the script back: EVALSHA works again without a reconnect.
        let sha = RedisScripts.admit.sha1
        #expect(try await store.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(1)]))
        #expect(try await store.limiter.settle(try #require(third.reservation), actualTokens: 5))
    }

    @Test func concurrentAdminUpdatesFromTwoGatewaysAreBothKept() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let storeA = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        let storeB = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { storeA.shutdown(); storeB.shutdown() }
        let created = try await storeA.keys.createKey(APIKeySpec(name: "k"))
        let id = created.record.id
        // 20 updates of different fields race through two replicas (compare-and-set on the version).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<10 {
                group.addTask { _ = try await storeA.keys.updateKey(id: id, APIKeyUpdate(metadata: ["a": "\(index)"])) }
                group.addTask { _ = try await storeB.keys.updateKey(id: id, APIKeyUpdate(requestsPerMinute: index + 1)) }
            }
            try await group.waitForAll()
        }
        let final = try #require(try await storeB.keys.key(id: id))
        #expect(final.keyVersion == created.record.keyVersion + 20)  // no update was lost
    }

    @Test func everyLimitKeyCarriesAnExpiry() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let limits = RateLimits(requestsPerMinute: 5, tokensPerMinute: 1_000, maxConcurrentRequests: 2,
                                tokenBudget: TokenBudget(tokens: 5_000, period: .month))
        let settled = try #require(try await store.limiter.admit(makeAdmission(keyID: "k", "a", tokens: 50,
                                                                               limits: limits)).reservation)
        _ = try await store.limiter.admit(makeAdmission(keyID: "k", "b", tokens: 50, limits: limits))  // left in flight
        try await store.limiter.settle(settled, actualTokens: 20)
        try await store.usage.record(keyID: "k", at: Date(), requests: 1, promptTokens: 1, completionTokens: 1)
        try await store.cache.put(tenant: "k", key: [1], value: [1], ttl: .seconds(60))
        guard case .array(let names) = try await store.command(["KEYS", "sluice1:*"]) else {
            Issue.record("KEYS did not answer an array"); return
        }
        let keys = names.compactMap { reply -> String? in
            if case .bulk(let name) = reply { return String(decoding: name, as: UTF8.self) }
            return nil
        }
        let month = BudgetCalendar.periodID(.month, epochMicros: SystemStoreClock().nowMicroseconds())
        let day = BudgetCalendar.dayString(epochMicros: SystemStoreClock().nowMicroseconds())
        let limitKeys: Set<String> = ["sluice1:rl:{k}:req", "sluice1:rl:{k}:tok", "sluice1:conc:{k}",
                                      "sluice1:budget:{k}:\(month)", "sluice1:resv:{k}:b", "sluice1:usage:{k}:\(day)"]
        // a's reservation was deleted by settle; b's is still held; plus one cache entry.
        #expect(Set(keys).subtracting(limitKeys).count == 1)
        #expect(limitKeys.isSubset(of: Set(keys)))
        for key in keys {
            let ttl = try await store.command(["PTTL", key])
            // A key without expiry (-1) would outlive a crashed gateway forever.
            #expect(ttl != .integer(-1), "\(key) has no expiry")
        }
    }

    @Test func corruptKeyRecordInRedisIsAnErrorNotACrash() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let created = try await store.keys.createKey(APIKeySpec(name: "x"))
        _ = try await store.command(["HSET", "sluice1:key:{\(created.record.id)}", "record", "{\"id\":42"])
        let error = await #expect(throws: StoreError.self) {
            try await store.keys.verify(presentedKey: created.plaintextKey)
        }
        #expect(error?.kind == .corruptData)
        _ = try await store.command(["SET", "sluice1:rl:{k}:req", "not-a-number"])
        let limiterError = await #expect(throws: StoreError.self) {
            try await store.limiter.admit(makeAdmission(keyID: "k", "a", limits: RateLimits(requestsPerMinute: 1)))
        }
        #expect(limiterError?.kind == .unexpectedReply)
    }

    @Test func keyStoreEntriesAreHashesWithoutSecrets() async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper)
        defer { store.shutdown() }
        let created = try await store.keys.createKey(APIKeySpec(name: "x"))
        let secret = try #require(APIKeyFormat.parse(created.plaintextKey)).secret
        let reply = try await store.command(["HGETALL", "sluice1:key:{\(created.record.id)}"])
        guard case .array(let fields) = reply else { Issue.record("not a hash: \(reply)"); return }
        #expect(fields.count == 4)  // record, version
        for case .bulk(let bytes) in fields {
            #expect(!String(decoding: bytes, as: UTF8.self).contains(secret))
        }
    }
}
