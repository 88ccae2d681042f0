/// Limit state of one key, as the in-memory limiter keeps it (Redis keeps the same
/// values in separate keys; see `RedisKeySchema`).
public struct KeyLimitState: Sendable, Hashable {
    public var requestTAT: Int64?
    public var tokenTAT: Int64?
    /// requestID → lease expiry (µs).
    public var leases: [String: Int64] = [:]
    /// budget period id → tokens charged (reserved or settled).
    public var budgetUsed: [String: Int] = [:]
    /// requestID → what admission charged; removed by settle (makes settle idempotent).
    public var pendingReservations: [String: PendingReservation] = [:]

    public init() {}

    public struct PendingReservation: Sendable, Hashable {
        public var tpmCost: Int
        public var budgetCost: Int
        public var expiresAt: Int64
    }
}

/// Pure all-or-nothing admission over `KeyLimitState`: phase 1 evaluates every limit
/// without writing, phase 2 commits only when all passed. Mirrored line by line by the
/// `admit` Lua script. No I/O, time is a parameter.
public enum AdmissionPlanner {
    /// How long a reservation waits for its settle before it is dropped (charged as reserved).
    public static let reservationLifetimeMicros: Int64 = 3_600_000_000

    public static func admit(_ request: AdmissionRequest, state: inout KeyLimitState, now: Int64) -> AdmissionDecision {
        let limits = request.limits
        let requestMeter = limits.requestsPerMinute.map { GCRA(limit: $0) }
        let tokenMeter = limits.tokensPerMinute.map { GCRA(limit: $0) }
        let tpmCost = limits.tokensPerMinute.map { min(request.reservedTokens, $0) } ?? request.reservedTokens

        // Phase 1: read only.
        state.leases = state.leases.filter { $0.value > now }
        purgeExpiredReservations(&state, now: now)
        let requestOutcome = requestMeter?.evaluate(tat: state.requestTAT, quantity: 1, now: now)
        let tokenOutcome = tokenMeter?.evaluate(tat: state.tokenTAT, quantity: tpmCost, now: now)
        let periodID = limits.tokenBudget.map { BudgetCalendar.periodID($0.period, epochMicros: now) }

        var budgetOK = true
        if let budget = limits.tokenBudget, let periodID {
            budgetOK = (state.budgetUsed[periodID] ?? 0) + request.reservedTokens <= budget.tokens
        }
        let concurrencyOK = limits.maxConcurrentRequests.map { state.leases.count < $0 } ?? true
        let rateOK = (requestOutcome?.allowed ?? true) && (tokenOutcome?.allowed ?? true)

        if !(budgetOK && rateOK && concurrencyOK) {
            let status = RateLimitStatus(requests: requestMeter?.status(tat: state.requestTAT, now: now),
                                         tokens: tokenMeter?.status(tat: state.tokenTAT, now: now))
            let reason: RejectionReason
            if !budgetOK {
                reason = .quotaExceeded
            } else if !rateOK {
                let wait = max(requestOutcome?.retryAfterMicros ?? 0, tokenOutcome?.retryAfterMicros ?? 0)
                reason = .rateLimited(retryAfter: .microseconds(wait))
            } else {
                reason = .concurrency
            }
            return .rejected(AdmissionRejection(reason: reason, status: status))
        }

        // Phase 2: commit every limit.
        if let requestOutcome { state.requestTAT = requestOutcome.newTAT }
        if let tokenOutcome { state.tokenTAT = tokenOutcome.newTAT }
        if let periodID {
            state.budgetUsed = state.budgetUsed.filter { $0.key == periodID }
            state.budgetUsed[periodID, default: 0] += request.reservedTokens
        }
        let leaseMicros = request.leaseDuration.microseconds
        if limits.maxConcurrentRequests != nil {
            state.leases[request.requestID] = now + leaseMicros
        }
        state.pendingReservations[request.requestID] = .init(
            tpmCost: tpmCost, budgetCost: request.reservedTokens,
            expiresAt: now + max(leaseMicros, reservationLifetimeMicros))

        let status = RateLimitStatus(
            requests: requestOutcome.map { LimitStatus(limit: requestMeter?.limit ?? 0, remaining: $0.remaining,
                                                       resetAfter: .microseconds($0.resetAfterMicros)) },
            tokens: tokenOutcome.map { LimitStatus(limit: tokenMeter?.limit ?? 0, remaining: $0.remaining,
                                                   resetAfter: .microseconds($0.resetAfterMicros)) })
        let reservation = Reservation(keyID: request.keyID, requestID: request.requestID,
                                      reservedTokens: request.reservedTokens, tpmCost: tpmCost, limits: limits,
                                      budgetPeriodID: periodID, leaseDuration: request.leaseDuration)
        return .allowed(Admission(reservation: reservation, status: status))
    }

    /// `admit`, then, when allowed, `settle` at the reserved size with the lease released: a request
    /// served at once (a cache hit). Mirrored by `admission(..., served)` in `RedisScripts`.
    public static func admitAndSettle(_ request: AdmissionRequest, state: inout KeyLimitState, now: Int64) -> AdmissionDecision {
        let decision = admit(request, state: &state, now: now)
        if case .allowed(let admission) = decision {
            settle(admission.reservation, actualTokens: request.reservedTokens, releasingLease: true, state: &state, now: now)
        }
        return decision
    }

    /// Settles a reservation; false when it was already settled (or expired).
    @discardableResult
    public static func settle(_ reservation: Reservation, actualTokens: Int, releasingLease: Bool,
                              state: inout KeyLimitState, now: Int64) -> Bool {
        if releasingLease { state.leases[reservation.requestID] = nil }
        guard let pending = state.pendingReservations.removeValue(forKey: reservation.requestID) else {
            return false
        }
        let actual = max(0, actualTokens)
        if let tpm = reservation.limits.tokensPerMinute {
            state.tokenTAT = GCRA(limit: tpm).settle(tat: state.tokenTAT, reserved: pending.tpmCost,
                                                     actual: actual, now: now)
        }
        if let periodID = reservation.budgetPeriodID, let used = state.budgetUsed[periodID] {
            state.budgetUsed[periodID] = max(0, used + actual - pending.budgetCost)
        }
        return true
    }

    public static func release(_ reservation: Reservation, state: inout KeyLimitState) {
        state.leases[reservation.requestID] = nil
    }

    public static func renew(_ reservation: Reservation, state: inout KeyLimitState, now: Int64) {
        if state.leases[reservation.requestID] != nil {
            state.leases[reservation.requestID] = now + reservation.leaseDuration.microseconds
        }
    }

    static func purgeExpiredReservations(_ state: inout KeyLimitState, now: Int64) {
        if state.pendingReservations.contains(where: { $0.value.expiresAt <= now }) {
            state.pendingReservations = state.pendingReservations.filter { $0.value.expiresAt > now }
        }
    }
}
