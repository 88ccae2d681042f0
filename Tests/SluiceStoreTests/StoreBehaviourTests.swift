import Foundation
import SluiceTesting
import Testing
@testable import SluiceStore

/// The same behaviour, in memory and on a real redis-server.
@Suite struct StoreBehaviourTests {
    @Test(arguments: Backend.allCases)
    func createdKeyVerifiesAndWrongSecretDoesNot(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let keys = harness.services.keys
        let created = try await keys.createKey(APIKeySpec(name: "alice", allowedModels: ["smol"],
                                                          limits: RateLimits(requestsPerMinute: 5),
                                                          metadata: ["team": "a"]))
        let verified = try await keys.verify(presentedKey: created.plaintextKey)
        #expect(verified.record?.id == created.record.id)
        #expect(verified.record?.limits.requestsPerMinute == 5)
        #expect(verified.record?.allows(model: "smol") == true)
        #expect(verified.record?.allows(model: "other") == false)

        var wrong = Array(created.plaintextKey)
        wrong[wrong.count - 1] = wrong[wrong.count - 1] == "a" ? "b" : "a"
        #expect(try await keys.verify(presentedKey: String(wrong)) == .invalid(.wrongSecret))
        #expect(try await keys.verify(presentedKey: "sk-sluice-nope") == .invalid(.malformed))
        let unknown = APIKeyFormat.format(keyID: "ZZZZZZZZZZZZ", secret: String(repeating: "x", count: 43))
        #expect(try await keys.verify(presentedKey: unknown) == .invalid(.unknownKey))

        let listed = try await keys.listKeys()
        #expect(listed.map(\.id) == [created.record.id])
        #expect(listed.first?.metadata == ["team": "a"])
    }

    @Test(arguments: Backend.allCases)
    func revokedKeyStopsVerifying(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let keys = harness.services.keys
        let created = try await keys.createKey(APIKeySpec(name: "bob"))
        let revoked = try await keys.revokeKey(id: created.record.id)
        #expect(revoked.isRevoked)
        #expect(try await keys.verify(presentedKey: created.plaintextKey) == .invalid(.revoked))
        // Idempotent, and the record is kept.
        #expect(try await keys.revokeKey(id: created.record.id).revokedAt == revoked.revokedAt)
        #expect(try await keys.key(id: created.record.id)?.isRevoked == true)
        await #expect(throws: StoreError.self) { try await keys.rotateKey(id: created.record.id, gracePeriod: .zero) }
    }

    @Test(arguments: Backend.allCases)
    func rotationIssuesANewSecretAndHonoursTheGracePeriod(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let keys = harness.services.keys
        let original = try await keys.createKey(APIKeySpec(name: "carol"))
        let rotated = try await keys.rotateKey(id: original.record.id, gracePeriod: .seconds(60))
        #expect(rotated.plaintextKey != original.plaintextKey)
        #expect(try await keys.verify(presentedKey: rotated.plaintextKey).record != nil)
        #expect(try await keys.verify(presentedKey: original.plaintextKey).record != nil)
        // A second rotation without grace retires both earlier secrets.
        let again = try await keys.rotateKey(id: original.record.id, gracePeriod: .zero)
        #expect(try await keys.verify(presentedKey: again.plaintextKey).record != nil)
        #expect(try await keys.verify(presentedKey: rotated.plaintextKey) == .invalid(.wrongSecret))
        #expect(try await keys.verify(presentedKey: original.plaintextKey) == .invalid(.wrongSecret))
    }

    @Test(arguments: Backend.allCases)
    func expiredKeyStopsVerifyingAndHostileIDsFindNothing(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let keys = harness.services.keys
        let expired = try await keys.createKey(APIKeySpec(name: "old", expiresAt: Date().addingTimeInterval(-1)))
        #expect(try await keys.verify(presentedKey: expired.plaintextKey) == .invalid(.expired))
        for hostile in ["", "../../etc/passwd", "*", "a}b{c", String(repeating: "Z", count: 10_000), "ZZZZZZZZZZZZ"] {
            #expect(try await keys.key(id: hostile) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func updateChangesLimitsAndClearsThem(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let keys = harness.services.keys
        let created = try await keys.createKey(APIKeySpec(name: "dave", limits: RateLimits(requestsPerMinute: 5)))
        let updated = try await keys.updateKey(id: created.record.id,
                                               APIKeyUpdate(name: "dave2", requestsPerMinute: .some(nil),
                                                            tokensPerMinute: 1_000))
        #expect(updated.name == "dave2")
        #expect(updated.limits == RateLimits(tokensPerMinute: 1_000))
        #expect(updated.keyVersion == created.record.keyVersion + 1)
        #expect(try await keys.key(id: created.record.id) == updated)
        await #expect(throws: StoreError.self) {
            try await keys.updateKey(id: created.record.id, APIKeyUpdate(requestsPerMinute: 0))
        }
        await #expect(throws: StoreError.self) { try await keys.updateKey(id: "ZZZZZZZZZZZZ", APIKeyUpdate(name: "x")) }
    }

    @Test(arguments: Backend.allCases)
    func requestsPerMinuteIsEnforcedWithRetryAfter(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let limiter = harness.services.limiter
        let limits = RateLimits(requestsPerMinute: 3)
        var remaining: [Int] = []
        for index in 0..<3 {
            let decision = try await limiter.admit(makeAdmission(keyID: "k1", "r\(index)", limits: limits))
            #expect(decision.reservation != nil)
            remaining.append(decision.status.requests?.remaining ?? -1)
        }
        #expect(remaining == [2, 1, 0])
        let fourth = try await limiter.admit(makeAdmission(keyID: "k1", "r3", limits: limits))
        guard case .rateLimited(let retryAfter)? = fourth.rejectionReason else {
            Issue.record("expected rateLimited, got \(fourth)"); return
        }
        // One emission interval (20 s) minus the time the test took (generous for a loaded machine).
        #expect(retryAfter > .seconds(15) && retryAfter <= .seconds(20))
        #expect(fourth.status.requests?.limit == 3)
        // Another key is independent.
        #expect(try await limiter.admit(makeAdmission(keyID: "k2", "r0", limits: limits)).reservation != nil)
    }

    @Test(arguments: Backend.allCases)
    func tokenReservationIsSettledToTheActualCount(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let limiter = harness.services.limiter
        let limits = RateLimits(tokensPerMinute: 1_000, tokenBudget: TokenBudget(tokens: 10_000, period: .day))
        let first = try await limiter.admit(makeAdmission(keyID: "k", "a", tokens: 800, limits: limits))
        let reservation = try #require(first.reservation)
        #expect(first.status.tokens?.remaining == 200)
        let tooBig = try await limiter.admit(makeAdmission(keyID: "k", "b", tokens: 300, limits: limits))
        #expect(tooBig.isRateLimited)
        #expect(try await limiter.settle(reservation, actualTokens: 100))
        #expect(try await limiter.settle(reservation, actualTokens: 100) == false)  // idempotent
        let fits = try await limiter.admit(makeAdmission(keyID: "k", "c", tokens: 300, limits: limits))
        #expect(fits.reservation != nil)
        let left = try #require(fits.status.tokens?.remaining)
        // 1000 − 100 (a, settled) − 300 (c) = 600, plus what refilled meanwhile (one token per
        // 60 ms); 700 or more would mean a's actual 100 tokens were refunded too.
        #expect(left >= 600 && left < 700)
    }

    @Test(arguments: Backend.allCases)
    func rejectedRequestConsumesNothingOnAnyLimit(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let limiter = harness.services.limiter
        let limits = RateLimits(requestsPerMinute: 2, tokensPerMinute: 1_000, maxConcurrentRequests: 1,
                                tokenBudget: TokenBudget(tokens: 250, period: .day))
        let a = try #require(try await limiter.admit(makeAdmission(keyID: "k", "a", tokens: 100, limits: limits))
            .reservation)
        let b = try await limiter.admit(makeAdmission(keyID: "k", "b", tokens: 100, limits: limits))
        #expect(b.rejectionReason == .concurrency)
        try await limiter.settle(a, actualTokens: 100)
        // rpm 2 = a + c and budget 250 = 100 + 150 hold only if b consumed nothing.
        let c = try await limiter.admit(makeAdmission(keyID: "k", "c", tokens: 150, limits: limits))
        #expect(c.reservation != nil)
        #expect(c.status.requests?.remaining == 0)
        let d = try await limiter.admit(makeAdmission(keyID: "k", "d", tokens: 1, limits: limits))
        #expect(d.rejectionReason == .quotaExceeded)
    }

    @Test(arguments: Backend.allCases)
    func admitAndSettleChargesTheKnownCostFreesTheLeaseAndRejectsForFree(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let limiter = harness.services.limiter
        let limits = RateLimits(requestsPerMinute: 3, tokensPerMinute: 1_000, maxConcurrentRequests: 1,
                                tokenBudget: TokenBudget(tokens: 250, period: .day))
        let a = try await limiter.admitAndSettle(makeAdmission(keyID: "k", "a", tokens: 100, limits: limits))
        #expect(a.reservation != nil)
        // a's lease is already released: b gets the only slot.
        let b = try #require(try await limiter.admit(makeAdmission(keyID: "k", "b", tokens: 100, limits: limits))
            .reservation)
        let c = try await limiter.admitAndSettle(makeAdmission(keyID: "k", "c", tokens: 10, limits: limits))
        #expect(c.rejectionReason == .concurrency)
        try await limiter.settle(b, actualTokens: 100)
        // rpm 3 = a + b + d and budget 250 = 100 + 100 + 50 hold only if c consumed nothing.
        let d = try await limiter.admitAndSettle(makeAdmission(keyID: "k", "d", tokens: 50, limits: limits))
        #expect(d.reservation != nil)
        #expect(d.status.requests?.remaining == 0)
        // a and d were charged their full cost: the budget is spent.
        let e = try await limiter.admit(makeAdmission(keyID: "k", "e", tokens: 1, limits: limits))
        #expect(e.rejectionReason == .quotaExceeded)
    }

    @Test(arguments: Backend.allCases)
    func expiredLeaseFreesTheSlotOfAKilledGateway(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let limiter = harness.services.limiter
        let limits = RateLimits(maxConcurrentRequests: 1)
        // "a" is never released: its gateway died.
        let a = try await limiter.admit(makeAdmission(keyID: "k", "a", limits: limits, lease: .milliseconds(1_500)))
        #expect(a.reservation != nil)
        #expect(try await limiter.admit(makeAdmission(keyID: "k", "b", limits: limits)).rejectionReason == .concurrency)
        harness.clock.advance(by: .milliseconds(1_499))
        #expect(try await limiter.admit(makeAdmission(keyID: "k", "b2", limits: limits)).rejectionReason == .concurrency)
        harness.clock.advance(by: .milliseconds(2))
        let c = try await limiter.admit(makeAdmission(keyID: "k", "c", limits: limits))
        #expect(c.reservation != nil)
        // Released explicitly, the slot frees at once.
        try await limiter.release(try #require(c.reservation))
        #expect(try await limiter.admit(makeAdmission(keyID: "k", "d", limits: limits)).reservation != nil)
    }

    @Test(arguments: Backend.allCases)
    func renewedLeaseKeepsTheSlot(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let limiter = harness.services.limiter
        let limits = RateLimits(maxConcurrentRequests: 1)
        let a = try #require(try await limiter.admit(makeAdmission(keyID: "k", "a", limits: limits,
                                                                   lease: .milliseconds(1_500))).reservation)
        harness.clock.advance(by: .milliseconds(1_000))
        try await limiter.renewLease(a)
        harness.clock.advance(by: .milliseconds(1_000))
        #expect(try await limiter.admit(makeAdmission(keyID: "k", "b", limits: limits)).rejectionReason == .concurrency)
        // The renewal pushed the lease out by its full duration, no further.
        harness.clock.advance(by: .milliseconds(501))
        #expect(try await limiter.admit(makeAdmission(keyID: "k", "c", limits: limits)).reservation != nil)
    }

    @Test(arguments: Backend.allCases)
    func cacheIsScopedByTenantAndExpires(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let cache = harness.services.cache
        let request = Array(#"{"model":"smol","messages":[{"role":"user","content":"hi"}],"temperature":0}"#.utf8)
        let response: [UInt8] = Array("data: {\"x\":1}\n\n".utf8) + [0, 255, 13, 10]  // binary-safe
        try await cache.put(tenant: "tenantA", key: request, value: response, ttl: .milliseconds(1_500))
        #expect(try await cache.get(tenant: "tenantA", key: request) == response)
        #expect(try await cache.get(tenant: "tenantB", key: request) == nil)
        // Framing: ("tenantA", "x…") never meets ("tenant", "Ax…").
        #expect(try await cache.get(tenant: "tenant", key: Array("A".utf8) + request) == nil)
        #expect(try await cache.get(tenant: "tenantA", key: request + [32]) == nil)
        try await harness.letCacheEntriesExpire(after: .milliseconds(1_500))
        #expect(try await cache.get(tenant: "tenantA", key: request) == nil)
    }

    @Test(arguments: Backend.allCases)
    func usageIsCountedPerKeyAndDay(_ backend: Backend) async throws {
        let harness = try await StoreHarness(backend)
        defer { harness.close() }
        let usage = harness.services.usage
        let day1 = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30 (UTC)
        let day2 = day1.addingTimeInterval(86_400)
        try await usage.record(keyID: "k", at: day1, requests: 1, promptTokens: 10, completionTokens: 5)
        try await usage.record(keyID: "k", at: day1, requests: 1, promptTokens: 20, completionTokens: 7)
        try await usage.record(keyID: "k", at: day2, requests: 1, promptTokens: 1, completionTokens: 1)
        try await usage.record(keyID: "other", at: day1, requests: 9, promptTokens: 9, completionTokens: 9)
        let report = try await usage.usage(keyID: "k", from: day1.addingTimeInterval(-86_400 * 3), to: day2)
        // The range is capped (400 days), so a hostile range cannot make one call read years.
        let huge = try await usage.usage(keyID: "k", from: Date(timeIntervalSince1970: 0), to: day2)
        #expect(huge.isEmpty)
        #expect(report == [
            DailyUsage(day: "2026-11-30", requests: 2, promptTokens: 30, completionTokens: 12),
            DailyUsage(day: "2026-12-01", requests: 1, promptTokens: 1, completionTokens: 1),
        ])
    }
}
