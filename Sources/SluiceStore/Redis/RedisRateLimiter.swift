/// Admission on Redis: one `admit` script call per request decides every limit
/// atomically for all replicas; `settle` reconciles in one more call.
public final class RedisRateLimiter: RateLimiter {
    private let pool: RedisConnectionPool
    private let schema: RedisKeySchema
    /// nil: the scripts read Redis `TIME` (production: one clock for every replica).
    /// Set: this clock's time is passed in, for deterministic tests against Redis.
    private let limitClock: (any StoreClock)?

    init(pool: RedisConnectionPool, schema: RedisKeySchema, limitClock: (any StoreClock)?) {
        self.pool = pool
        self.schema = schema
        self.limitClock = limitClock
    }

    private var passedTime: [UInt8] { ascii(limitClock?.nowMicroseconds() ?? 0) }

    public func admit(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        let call = try admitCall(request)
        let reply = try await pool.evaluate(ScriptCall(script: RedisScripts.admit, keys: call.keys, arguments: call.arguments))
        return try Self.decision(reply, request: request, periodID: call.periodID)
    }

    /// `admit` and `settle` at the reserved size in one script call (`RedisScripts.serve` without the
    /// cache lookup and usage): one round trip, and a rejection consumes nothing.
    public func admitAndSettle(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        let call = try ServeCall(schema: schema, admission: request, lookup: nil, usage: nil, passedTime: passedTime,
                                 limitClock: limitClock)
        let reply = try await pool.evaluate(ScriptCall(script: RedisScripts.serve, keysAndArguments: call.keysAndArguments))
        switch try call.outcome(reply) {
        case .served(_, let decision?), .rejected(let decision): return decision
        case .served(_, nil), .miss: throw StoreError(.unexpectedReply, "serve answered without a decision")
        }
    }

    private struct AdmitCall: Sendable {
        let keys: [[UInt8]]
        let arguments: [[UInt8]]
        let periodID: String?
    }

    private func admitCall(_ request: AdmissionRequest) throws(StoreError) -> AdmitCall {
        try request.validate()
        let limits = request.limits
        let id = request.keyID
        // The budget period comes from this host's clock (the period id names the counter);
        // a few ms of skew at midnight UTC only picks which day's counter a request lands in.
        let periodID = limits.tokenBudget.map {
            BudgetCalendar.periodID($0.period, epochMicros: (limitClock ?? SystemStoreClock()).nowMicroseconds())
        }
        let keys = [schema.requestMeter(id), schema.tokenMeter(id), schema.leases(id),
                    schema.budget(id, periodID: periodID ?? "none"),
                    schema.reservation(id, requestID: request.requestID)]
        let arguments: [[UInt8]] = [
            Array(request.requestID.utf8),
            ascii(limits.requestsPerMinute ?? 0),
            ascii(limits.tokensPerMinute ?? 0),
            ascii(request.reservedTokens),
            ascii(limits.maxConcurrentRequests ?? 0),
            ascii(request.leaseDuration.microseconds),
            ascii(limits.tokenBudget?.tokens ?? -1),
            ascii(limits.tokenBudget.map { BudgetCalendar.counterLifetimeSeconds($0.period) } ?? 0),
            ascii(AdmissionPlanner.reservationLifetimeMicros),
            passedTime,
        ]
        return AdmitCall(keys: keys, arguments: arguments, periodID: periodID)
    }

    private static func decision(_ reply: RedisReply, request: AdmissionRequest,
                                 periodID: String?) throws(StoreError) -> AdmissionDecision {
        let values = try reply.arrayValue("admit").map { value throws(StoreError) in try value.integerValue("admit") }
        return try decision(values, request: request, periodID: periodID)
    }

    /// The 10 values of the `admission` Lua function as a decision.
    static func decision(_ values: [Int64], request: AdmissionRequest,
                         periodID: String?) throws(StoreError) -> AdmissionDecision {
        let limits = request.limits
        let id = request.keyID
        guard values.count == 10 else {
            throw StoreError(.unexpectedReply, "admit returned \(values.count) values, expected 10")
        }
        let status = RateLimitStatus(requests: Self.limitStatus(values[3], values[4], values[5]),
                                     tokens: Self.limitStatus(values[6], values[7], values[8]))
        if values[0] == 1 {
            let reservation = Reservation(keyID: id, requestID: request.requestID,
                                          reservedTokens: request.reservedTokens, tpmCost: Int(values[9]),
                                          limits: limits, budgetPeriodID: periodID,
                                          leaseDuration: request.leaseDuration)
            return .allowed(Admission(reservation: reservation, status: status))
        }
        let reason: RejectionReason
        switch values[1] {
        case 1: reason = .quotaExceeded
        case 2: reason = .rateLimited(retryAfter: .microseconds(values[2]))
        case 3: reason = .concurrency
        default: throw StoreError(.unexpectedReply, "admit returned reason \(values[1])")
        }
        return .rejected(AdmissionRejection(reason: reason, status: status))
    }

    @discardableResult
    public func settle(_ reservation: Reservation, actualTokens: Int, releasingLease: Bool) async throws(StoreError) -> Bool {
        let id = reservation.keyID
        let keys = [schema.tokenMeter(id), schema.budget(id, periodID: reservation.budgetPeriodID ?? "none"),
                    schema.reservation(id, requestID: reservation.requestID), schema.leases(id)]
        let arguments = [Array(reservation.requestID.utf8), ascii(reservation.limits.tokensPerMinute ?? 0),
                         ascii(max(0, actualTokens)), ascii(releasingLease ? 1 : 0), passedTime]
        let settled = try await pool.evaluate(ScriptCall(script: RedisScripts.settle, keys: keys, arguments: arguments)).integerValue("settle")
        return settled == 1
    }

    public func release(_ reservation: Reservation) async throws(StoreError) {
        let command = RedisCommand("ZREM").adding(bytes: schema.leases(reservation.keyID)).adding(reservation.requestID)
        try await pool.run { connection throws(StoreError) in try connection.command(command).expectOK("release") }
    }

    public func renewLease(_ reservation: Reservation) async throws(StoreError) {
        let keys = [schema.leases(reservation.keyID)]
        let arguments = [Array(reservation.requestID.utf8), ascii(reservation.leaseDuration.microseconds), passedTime]
        try await pool.evaluate(ScriptCall(script: RedisScripts.renewLease, keys: keys, arguments: arguments)).expectOK("renew lease")
    }

    private static func limitStatus(_ limit: Int64, _ remaining: Int64, _ resetMicros: Int64) -> LimitStatus? {
        guard limit > 0 else { return nil }
        return LimitStatus(limit: Int(limit), remaining: Int(remaining), resetAfter: .microseconds(resetMicros))
    }
}

/// Decimal digits of `value` (a Redis argument), written without a `String` in between.
func ascii(_ value: some BinaryInteger) -> [UInt8] {
    var digits: [UInt8] = []
    RedisCommand.appendDecimal(Int64(clamping: value), to: &digits)
    return digits
}
