import Testing
@testable import SluiceStore

@Suite struct AdmissionPlannerTests {
    let start: Int64 = 1_796_000_000_000_000

    func makeRequest(_ id: String, tokens: Int = 100, limits: RateLimits,
                     lease: Duration = .seconds(60)) -> AdmissionRequest {
        AdmissionRequest(keyID: "key", limits: limits, requestID: id, reservedTokens: tokens, leaseDuration: lease)
    }

    func reservation(_ decision: AdmissionDecision) -> Reservation? {
        if case .allowed(let admission) = decision { return admission.reservation }
        return nil
    }

    func reason(_ decision: AdmissionDecision) -> RejectionReason? {
        if case .rejected(let rejection) = decision { return rejection.reason }
        return nil
    }

    @Test func rejectionByConcurrencyConsumesNoRequestsTokensOrBudget() {
        let limits = RateLimits(requestsPerMinute: 2, tokensPerMinute: 1_000, maxConcurrentRequests: 1,
                                tokenBudget: TokenBudget(tokens: 250, period: .day))
        var state = KeyLimitState()
        let a = AdmissionPlanner.admit(makeRequest("a", tokens: 100, limits: limits), state: &state, now: start)
        let before = state
        let b = AdmissionPlanner.admit(makeRequest("b", tokens: 100, limits: limits), state: &state, now: start)
        #expect(reason(b) == .concurrency)
        #expect(state == before)
        guard let held = reservation(a) else { Issue.record("a was rejected"); return }
        #expect(AdmissionPlanner.settle(held, actualTokens: 100, releasingLease: true, state: &state, now: start))
        // rpm 2 = a + c; budget 250 = 100 (a) + 150 (c): both hold only if b consumed nothing.
        let c = AdmissionPlanner.admit(makeRequest("c", tokens: 150, limits: limits), state: &state, now: start)
        #expect(reservation(c) != nil)
    }

    @Test func rejectionByBudgetLeavesRateLimitsUntouched() {
        let limits = RateLimits(requestsPerMinute: 10, tokensPerMinute: 10_000,
                                tokenBudget: TokenBudget(tokens: 500, period: .month))
        var state = KeyLimitState()
        _ = AdmissionPlanner.admit(makeRequest("a", tokens: 400, limits: limits), state: &state, now: start)
        let before = state
        let b = AdmissionPlanner.admit(makeRequest("b", tokens: 200, limits: limits), state: &state, now: start)
        #expect(reason(b) == .quotaExceeded)
        #expect(state == before)
        if case .rejected(let rejection) = b {
            #expect(rejection.status.requests?.remaining == 9)
            #expect(rejection.status.tokens?.remaining == 9_600)
        }
    }

    @Test func rateLimitRejectionReportsTheLongestWait() {
        let limits = RateLimits(requestsPerMinute: 1, tokensPerMinute: 600)  // 60 s per request, 100 ms per token
        var state = KeyLimitState()
        _ = AdmissionPlanner.admit(makeRequest("a", tokens: 600, limits: limits), state: &state, now: start)
        let b = AdmissionPlanner.admit(makeRequest("b", tokens: 100, limits: limits), state: &state, now: start)
        #expect(reason(b) == .rateLimited(retryAfter: .seconds(60)))
    }

    @Test func expiredLeaseFreesTheSlotWithoutRelease() {
        let limits = RateLimits(maxConcurrentRequests: 1)
        var state = KeyLimitState()
        let a = AdmissionPlanner.admit(makeRequest("a", limits: limits, lease: .seconds(5)), state: &state, now: start)
        #expect(reservation(a) != nil)
        let b = AdmissionPlanner.admit(makeRequest("b", limits: limits), state: &state, now: start + 4_999_999)
        #expect(reason(b) == .concurrency)
        let c = AdmissionPlanner.admit(makeRequest("c", limits: limits), state: &state, now: start + 5_000_000)
        #expect(reservation(c) != nil)
    }

    @Test func renewedLeaseOutlivesItsFirstExpiry() {
        let limits = RateLimits(maxConcurrentRequests: 1)
        var state = KeyLimitState()
        guard let held = reservation(AdmissionPlanner.admit(makeRequest("a", limits: limits, lease: .seconds(5)),
                                                            state: &state, now: start)) else {
            Issue.record("a was rejected"); return
        }
        AdmissionPlanner.renew(held, state: &state, now: start + 4_000_000)
        let b = AdmissionPlanner.admit(makeRequest("b", limits: limits), state: &state, now: start + 6_000_000)
        #expect(reason(b) == .concurrency)
    }

    @Test func settleIsIdempotent() {
        let limits = RateLimits(tokensPerMinute: 1_000)
        var state = KeyLimitState()
        guard let held = reservation(AdmissionPlanner.admit(makeRequest("a", tokens: 900, limits: limits),
                                                            state: &state, now: start)) else {
            Issue.record("a was rejected"); return
        }
        #expect(AdmissionPlanner.settle(held, actualTokens: 100, releasingLease: true, state: &state, now: start))
        let afterFirst = state
        #expect(!AdmissionPlanner.settle(held, actualTokens: 100, releasingLease: true, state: &state, now: start))
        #expect(state == afterFirst)
        #expect(GCRA(limit: 1_000).status(tat: state.tokenTAT, now: start).remaining == 900)
    }

    @Test func reservationLargerThanTheTokenLimitRunsOnAFullBucket() {
        let limits = RateLimits(tokensPerMinute: 1_000)
        var state = KeyLimitState()
        let big = AdmissionPlanner.admit(makeRequest("a", tokens: 5_000, limits: limits), state: &state, now: start)
        #expect(reservation(big)?.tpmCost == 1_000)
        let next = AdmissionPlanner.admit(makeRequest("b", tokens: 1, limits: limits), state: &state, now: start)
        #expect(reason(next) != nil)
    }

    @Test func budgetResetsWithTheNextPeriod() {
        let limits = RateLimits(tokenBudget: TokenBudget(tokens: 100, period: .day))
        var state = KeyLimitState()
        _ = AdmissionPlanner.admit(makeRequest("a", tokens: 100, limits: limits), state: &state, now: start)
        #expect(reason(AdmissionPlanner.admit(makeRequest("b", tokens: 1, limits: limits), state: &state, now: start))
                == .quotaExceeded)
        let tomorrow = start + 86_400_000_000
        #expect(reservation(AdmissionPlanner.admit(makeRequest("c", tokens: 100, limits: limits),
                                                   state: &state, now: tomorrow)) != nil)
    }
}
