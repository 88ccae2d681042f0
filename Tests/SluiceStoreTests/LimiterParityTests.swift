import Foundation
import SluiceTesting
import Testing
@testable import SluiceStore

/// The Lua script and the Swift planner must make identical decisions: the same random
/// sequence of admissions, settles, releases and clock jumps is replayed against the
/// in-memory limiter and the Redis limiter (fed the same clock), and every answer compared.
@Suite struct LimiterParityTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func luaScriptAndSwiftPlannerDecideIdentically(seed: UInt64) async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let clock = ManualClock(microseconds: 1_796_083_100_000_000)  // 90 s before a UTC midnight
        let memory = InMemoryRateLimiter(clock: clock)
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper,
                                   limitClock: clock)
        defer { store.shutdown() }
        let limits = [
            RateLimits(requestsPerMinute: 20, tokensPerMinute: 2_000, maxConcurrentRequests: 3,
                       tokenBudget: TokenBudget(tokens: 20_000, period: .day)),
            RateLimits(requestsPerMinute: 7, tokensPerMinute: 333),
            RateLimits(maxConcurrentRequests: 2, tokenBudget: TokenBudget(tokens: 1_500, period: .month)),
            RateLimits(maxConcurrentRequests: 1),
        ]
        var random = SplitMix64(seed: seed)
        var outstanding: [Reservation] = []
        var seen: Set<String> = []
        for step in 0..<300 {
            clock.advance(by: .microseconds(Int64(random.next(2_500_000))))
            switch random.next(10) {
            case 0..<6:
                let keyIndex = random.next(limits.count)
                let request = makeAdmission(keyID: "key\(keyIndex)", "s\(step)", tokens: random.next(600),
                                            limits: limits[keyIndex], lease: .seconds(Int64(1 + random.next(8))))
                // Every fifth admission is served at once (a cache hit): admit and settle in one
                // call, pipelined on Redis, the two calls in memory.
                let served = step % 5 == 0
                let expected: AdmissionDecision
                let actual: AdmissionDecision
                if served {
                    expected = try await memory.admitAndSettle(request)
                    actual = try await store.limiter.admitAndSettle(request)
                } else {
                    expected = try await memory.admit(request)
                    actual = try await store.limiter.admit(request)
                }
                #expect(actual == expected, "step \(step)")
                if served, expected.reservation != nil { seen.insert("served") }
                if !served, let reservation = expected.reservation { outstanding.append(reservation) }
                switch expected.rejectionReason {
                case nil: seen.insert("allowed")
                case .rateLimited?: seen.insert("rateLimited")
                case .quotaExceeded?: seen.insert("quotaExceeded")
                case .concurrency?: seen.insert("concurrency")
                }
            case 6..<9 where !outstanding.isEmpty:
                let reservation = outstanding.remove(at: random.next(outstanding.count))
                let tokens = random.next(900)
                let releasing = random.next(4) != 0
                let expected = try await memory.settle(reservation, actualTokens: tokens, releasingLease: releasing)
                let actual = try await store.limiter.settle(reservation, actualTokens: tokens, releasingLease: releasing)
                #expect(actual == expected, "step \(step)")
                seen.insert(expected ? "settled" : "settledTwice")
            default:
                if let reservation = outstanding.randomElement() {
                    try await memory.release(reservation)
                    try await store.limiter.release(reservation)
                }
            }
        }
        // The sequence must have exercised every outcome, or the comparison proves little.
        #expect(seen.isSuperset(of: ["allowed", "rateLimited", "quotaExceeded", "concurrency", "settled", "served"]))
    }

    /// The one-step cache hit (`RedisScripts.serve`) against the composed in-memory steps (cache get,
    /// `AdmissionPlanner.admitAndSettle`, usage): same outcomes (miss, served with the same headers,
    /// rejected) and the same usage, with ordinary admissions interleaved so every limit binds.
    @Test(arguments: [UInt64(7), 8])
    func cacheHitScriptAndComposedStepsAgree(seed: UInt64) async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let clock = ManualClock(microseconds: 1_796_083_100_000_000)
        let memoryLimiter = InMemoryRateLimiter(clock: clock)
        let memoryUsage = InMemoryUsageStore()
        let memoryCache = InMemoryResponseCache(clock: clock)
        let memory = ComposedCacheHitServer(limiter: memoryLimiter, usage: memoryUsage, cache: memoryCache)
        let store = try RedisStore(configuration: StoreHarness.configuration(port: redis.port), pepper: testPepper,
                                   limitClock: clock)
        defer { store.shutdown() }
        let limits = [
            RateLimits(requestsPerMinute: 6, tokensPerMinute: 900, maxConcurrentRequests: 2,
                       tokenBudget: TokenBudget(tokens: 4_000, period: .day)),
            RateLimits(maxConcurrentRequests: 1),
            RateLimits(tokenBudget: TokenBudget(tokens: 700, period: .month)),
            .unlimited,
        ]
        let day = Date(timeIntervalSince1970: 1_796_083_100)
        var random = SplitMix64(seed: seed)
        var outstanding: [Reservation] = []
        var seen: Set<String> = []
        for step in 0..<300 {
            clock.advance(by: .microseconds(Int64(random.next(1_500_000))))
            let keyIndex = random.next(limits.count)
            let keyID = "key\(keyIndex)"
            switch random.next(10) {
            case 0..<2:
                let value = Array("entry \(step)".utf8)
                let cacheKey = [UInt8(random.next(4))]
                try await memoryCache.put(tenant: keyID, key: cacheKey, value: value, ttl: .seconds(3600))
                try await store.cache.put(tenant: keyID, key: cacheKey, value: value, ttl: .seconds(3600))
            case 2..<4:
                let request = makeAdmission(keyID: keyID, "a\(step)", tokens: random.next(500), limits: limits[keyIndex],
                                            lease: .seconds(Int64(1 + random.next(6))))
                let expected = try await memoryLimiter.admit(request)
                #expect(try await store.limiter.admit(request) == expected, "step \(step)")
                if let reservation = expected.reservation { outstanding.append(reservation) }
            case 4 where !outstanding.isEmpty:
                let reservation = outstanding.remove(at: random.next(outstanding.count))
                let tokens = random.next(500)
                let expected = try await memoryLimiter.settle(reservation, actualTokens: tokens)
                #expect(try await store.limiter.settle(reservation, actualTokens: tokens) == expected, "step \(step)")
            default:
                let tokens = random.next(3) == 0 ? random.next(200) : 0
                let admission = limits[keyIndex] == .unlimited ? nil
                    : makeAdmission(keyID: keyID, "h\(step)", tokens: tokens, limits: limits[keyIndex])
                let request = CachedServeRequest(tenant: keyID, key: [UInt8(random.next(4))], admission: admission,
                                                 usageKeyID: keyID, date: day, promptTokens: tokens / 2,
                                                 completionTokens: tokens - tokens / 2)
                let expected = try await memory.serveCached(request)
                #expect(try await store.hits.serveCached(request) == expected, "step \(step)")
                switch expected {
                case .miss: seen.insert("miss")
                case .served(_, let status): seen.insert(status == nil ? "servedUnlimited" : "served")
                case .rejected(let rejection):
                    switch rejection.reason {
                    case .rateLimited: seen.insert("rateLimited")
                    case .quotaExceeded: seen.insert("quotaExceeded")
                    case .concurrency: seen.insert("concurrency")
                    }
                }
            }
        }
        for index in limits.indices {
            let expected = try await memoryUsage.usage(keyID: "key\(index)", from: day, to: day)
            #expect(try await store.usage.usage(keyID: "key\(index)", from: day, to: day) == expected)
        }
        #expect(seen.isSuperset(of: ["miss", "served", "servedUnlimited", "rateLimited", "quotaExceeded", "concurrency"]),
                "only \(seen.sorted())")
    }
}

private extension SplitMix64 {
    /// A value in 0..<bound (a small deterministic generator, so a failure replays exactly).
    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
