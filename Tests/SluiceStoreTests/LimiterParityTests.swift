import SluiceTesting
import Testing
@testable import SluiceStore

/// The Lua script and the Swift planner must make identical decisions: the same random
/// sequence of admissions, settles, releases and clock jumps is replayed against the
/// in-memory limiter and the Redis limiter (fed the same clock), and every answer compared.
@Suite struct LimiterParityTests {
    /// A small deterministic generator (SplitMix64), so a failure replays exactly.
    struct SplitMix64 {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func luaScriptAndSwiftPlannerDecideIdentically(seed: UInt64) async throws {
        let redis = try await RedisServerLauncher.start()
        defer { redis.stop() }
        let clock = ManualStoreClock(microseconds: 1_796_083_100_000_000)  // 90 s before a UTC midnight
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
        var random = SplitMix64(state: seed)
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
}
