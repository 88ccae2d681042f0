import Synchronization

/// Admission for one gateway process: `AdmissionPlanner` over per-key state under one lock.
/// Also the local fallback of the `open` failure policy.
public final class InMemoryRateLimiter: RateLimiter {
    private let clock: any StoreClock
    private let states = Mutex<[String: KeyLimitState]>([:])

    public init(clock: any StoreClock = SystemStoreClock()) {
        self.clock = clock
    }

    public func admit(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        try request.validate()
        let now = clock.nowMicroseconds()
        return states.withLock { states in
            AdmissionPlanner.admit(request, state: &states[request.keyID, default: KeyLimitState()], now: now)
        }
    }

    /// Both steps under one lock.
    public func admitAndSettle(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        try request.validate()
        let now = clock.nowMicroseconds()
        return states.withLock { states in
            AdmissionPlanner.admitAndSettle(request, state: &states[request.keyID, default: KeyLimitState()], now: now)
        }
    }

    @discardableResult
    public func settle(_ reservation: Reservation, actualTokens: Int, releasingLease: Bool) async throws(StoreError) -> Bool {
        let now = clock.nowMicroseconds()
        return states.withLock { states in
            guard var state = states[reservation.keyID] else { return false }
            let settled = AdmissionPlanner.settle(reservation, actualTokens: actualTokens,
                                                  releasingLease: releasingLease, state: &state, now: now)
            states[reservation.keyID] = state
            return settled
        }
    }

    public func release(_ reservation: Reservation) async throws(StoreError) {
        states.withLock { states in
            guard states[reservation.keyID] != nil else { return }
            AdmissionPlanner.release(reservation, state: &states[reservation.keyID, default: KeyLimitState()])
        }
    }

    public func renewLease(_ reservation: Reservation) async throws(StoreError) {
        let now = clock.nowMicroseconds()
        states.withLock { states in
            guard states[reservation.keyID] != nil else { return }
            AdmissionPlanner.renew(reservation, state: &states[reservation.keyID, default: KeyLimitState()], now: now)
        }
    }
}
