import Testing
@testable import SluiceStore

@Suite struct GCRATests {
    @Test func idleKeyMayBurstItsWholeLimit() {
        let meter = GCRA(limit: 10)
        var tat: Int64? = nil
        let now: Int64 = 1_000_000_000
        for expectedRemaining in stride(from: 9, through: 0, by: -1) {
            let outcome = meter.evaluate(tat: tat, quantity: 1, now: now)
            #expect(outcome.allowed)
            #expect(outcome.remaining == expectedRemaining)
            tat = outcome.newTAT
        }
        let eleventh = meter.evaluate(tat: tat, quantity: 1, now: now)
        #expect(!eleventh.allowed)
        #expect(eleventh.retryAfterMicros == 6_000_000)  // one emission interval: 60 s / 10
        #expect(eleventh.newTAT == tat)                   // a denial changes nothing
    }

    @Test func steadyRateIsAdmittedAfterTheBurst() {
        let meter = GCRA(limit: 60)
        var tat: Int64? = nil
        var now: Int64 = 5_000_000
        for _ in 0..<60 {
            let outcome = meter.evaluate(tat: tat, quantity: 1, now: now)
            #expect(outcome.allowed)
            tat = outcome.newTAT
        }
        #expect(!meter.evaluate(tat: tat, quantity: 1, now: now).allowed)
        // One request per second is the steady rate.
        for _ in 0..<10 {
            now += 999_999
            #expect(!meter.evaluate(tat: tat, quantity: 1, now: now).allowed)
            now += 1
            let outcome = meter.evaluate(tat: tat, quantity: 1, now: now)
            #expect(outcome.allowed)
            tat = outcome.newTAT
        }
    }

    @Test func retryAfterIsExactlyTheWaitForAWeightedRequest() {
        let meter = GCRA(limit: 1_000)  // 60 ms per token
        let first = meter.evaluate(tat: nil, quantity: 900, now: 0)
        #expect(first.allowed && first.remaining == 100)
        let second = meter.evaluate(tat: first.newTAT, quantity: 300, now: 0)
        #expect(!second.allowed)
        #expect(second.retryAfterMicros == 200 * 60_000)
        #expect(second.remaining == 100)
        #expect(meter.evaluate(tat: first.newTAT, quantity: 300, now: second.retryAfterMicros - 1).allowed == false)
        #expect(meter.evaluate(tat: first.newTAT, quantity: 300, now: second.retryAfterMicros).allowed)
    }

    @Test func resetAfterIsTimeUntilTheBucketIsFull() {
        let meter = GCRA(limit: 100)
        let outcome = meter.evaluate(tat: nil, quantity: 50, now: 0)
        #expect(outcome.resetAfterMicros == 30_000_000)
        #expect(meter.status(tat: outcome.newTAT, now: 10_000_000).remaining == 66)
        #expect(meter.status(tat: outcome.newTAT, now: 40_000_000) == LimitStatus(limit: 100, remaining: 100, resetAfter: .zero))
    }

    @Test func settleRefundsUnusedTokensAndChargesOverruns() {
        let meter = GCRA(limit: 1_000)
        let reserved = meter.evaluate(tat: nil, quantity: 1_000, now: 0)
        #expect(!meter.evaluate(tat: reserved.newTAT, quantity: 1, now: 0).allowed)
        let refunded = meter.settle(tat: reserved.newTAT, reserved: 1_000, actual: 50, now: 0)
        #expect(meter.status(tat: refunded, now: 0).remaining == 950)
        let overrun = meter.settle(tat: refunded, reserved: 50, actual: 1_200, now: 0)
        #expect(!meter.evaluate(tat: overrun, quantity: 1, now: 0).allowed)
    }

    @Test func settleOnAFullBucketChargesFromNow() {
        let meter = GCRA(limit: 100)
        // TAT long in the past: the bucket is full; an overrun of 10 must cost 10 from now.
        let tat = meter.settle(tat: 1_000, reserved: 0, actual: 10, now: 100_000_000)
        #expect(meter.status(tat: tat, now: 100_000_000).remaining == 90)
    }

    @Test func budgetPeriodsAreUTCCalendarDaysAndMonths() {
        // 2026-11-30T23:59:59.999999Z and one microsecond later.
        let lastMicro: Int64 = 1_796_083_199_999_999
        #expect(BudgetCalendar.periodID(.day, epochMicros: lastMicro) == "d20261130")
        #expect(BudgetCalendar.periodID(.month, epochMicros: lastMicro) == "m202611")
        #expect(BudgetCalendar.periodID(.day, epochMicros: lastMicro + 1) == "d20261201")
        #expect(BudgetCalendar.periodID(.month, epochMicros: lastMicro + 1) == "m202612")
        #expect(BudgetCalendar.dayString(epochMicros: 0) == "1970-01-01")
        #expect(BudgetCalendar.dayString(epochMicros: 951_782_400_000_000) == "2000-02-29")
    }
}
