import Foundation

/// Cache hits on Redis in one round trip: `RedisScripts.serve` looks the entry up and, when it
/// is there, admits and settles the request and counts its usage in the same atomic call.
public final class RedisCacheHitServer: CacheHitServer {
    private let pool: RedisConnectionPool
    private let schema: RedisKeySchema
    private let limitClock: (any StoreClock)?

    init(pool: RedisConnectionPool, schema: RedisKeySchema, limitClock: (any StoreClock)?) {
        self.pool = pool
        self.schema = schema
        self.limitClock = limitClock
    }

    public func serveCached(_ request: CachedServeRequest) async throws(StoreError) -> CachedServeOutcome {
        let passed = limitClock.map { ascii($0.nowMicroseconds()) } ?? ascii(0)
        let usage = request.usageKeyID.map {
            ServeCall.Usage(keyID: $0, date: request.date, promptTokens: request.promptTokens,
                            completionTokens: request.completionTokens)
        }
        let call = try ServeCall(schema: schema, admission: request.admission,
                                 lookup: (tenant: request.tenant, key: request.key), usage: usage,
                                 passedTime: passed, limitClock: limitClock)
        let reply = try await pool.evaluate(ScriptCall(script: RedisScripts.serve, keysAndArguments: call.keysAndArguments))
        switch try call.outcome(reply) {
        case .miss: return .miss
        case .served(let bytes, let decision):
            if case .allowed(let admission)? = decision { return .served(bytes, status: admission.status) }
            return .served(bytes, status: nil)
        case .rejected(let decision):
            guard case .rejected(let rejection) = decision else {
                throw StoreError(.unexpectedReply, "serve rejected an admitted request")
            }
            return .rejected(rejection)
        }
    }
}

/// The keys and arguments of one `RedisScripts.serve` call, and its reply decoded.
struct ServeCall: Sendable {
    struct Usage: Sendable {
        let keyID: String
        let date: Date
        let promptTokens: Int
        let completionTokens: Int
    }

    enum Outcome {
        case miss
        /// The entry (empty without a lookup) and the admission decision (nil: no limits).
        case served([UInt8], AdmissionDecision?)
        case rejected(AdmissionDecision)
    }

    /// `numkeys keys... args...` of the `serve` script, as RESP.
    let keysAndArguments: RedisCommand
    private let admission: AdmissionRequest?
    private let periodID: String?

    init(schema: RedisKeySchema, admission: AdmissionRequest?, lookup: (tenant: String, key: [UInt8])?, usage: Usage?,
         passedTime: [UInt8], limitClock: (any StoreClock)?) throws(StoreError) {
        try admission?.validate()
        self.admission = admission
        let limits = admission?.limits ?? .unlimited
        // Keys not used by this call still name their key's slot (Redis Cluster wants every key
        // declared); "" would do on a single node, the tagged names keep one slot per key id.
        let id = admission?.keyID ?? usage?.keyID ?? lookup?.tenant ?? "_"
        let periodID = limits.tokenBudget.map {
            BudgetCalendar.periodID($0.period, epochMicros: (limitClock ?? SystemStoreClock()).nowMicroseconds())
        }
        self.periodID = periodID
        let day = usage.map { BudgetCalendar.dayString(epochMicros: Int64($0.date.timeIntervalSince1970 * 1e6)) } ?? "none"
        let entry = lookup.map { schema.cacheEntry(tenant: $0.tenant, digest: CacheEntryKey.digest(tenant: $0.tenant, key: $0.key)) }
        var call = RedisCommand([])
        call.append(integer: 6)
        call.append(bytes: schema.requestMeter(id))
        call.append(bytes: schema.tokenMeter(id))
        call.append(bytes: schema.leases(id))
        call.append(bytes: schema.budget(id, periodID: periodID ?? "none"))
        call.append(bytes: entry ?? schema.cacheEntry(tenant: id, digest: []))
        call.append(bytes: schema.usage(usage?.keyID ?? id, day: day))
        call.append(integer: lookup == nil ? 0 : 1)
        call.append(integer: admission == nil ? 0 : 1)
        call.append(integer: limits.requestsPerMinute ?? 0)
        call.append(integer: limits.tokensPerMinute ?? 0)
        call.append(integer: admission?.reservedTokens ?? 0)
        call.append(integer: limits.maxConcurrentRequests ?? 0)
        call.append(integer: limits.tokenBudget?.tokens ?? -1)
        call.append(integer: limits.tokenBudget.map { BudgetCalendar.counterLifetimeSeconds($0.period) } ?? 0)
        call.append(bytes: passedTime)
        call.append(integer: usage == nil ? 0 : 1)
        call.append(integer: max(0, usage?.promptTokens ?? 0))
        call.append(integer: max(0, usage?.completionTokens ?? 0))
        call.append(integer: RedisUsageStore.retentionSeconds)
        keysAndArguments = call
    }

    func outcome(_ reply: RedisReply) throws(StoreError) -> Outcome {
        let values = try reply.arrayValue("serve")
        guard let first = values.first else { throw StoreError(.unexpectedReply, "serve returned an empty array") }
        let status = try first.integerValue("serve")
        if status == 0 { return .miss }
        guard values.count == 12, status == 1 || status == 2 else {
            throw StoreError(.unexpectedReply, "serve returned status \(status) with \(values.count) values")
        }
        let bytes = try values[1].optionalBytes("serve entry") ?? []
        var numbers: [Int64] = []
        numbers.reserveCapacity(10)
        for value in values[2...] { numbers.append(try value.integerValue("serve")) }
        guard let admission else { return .served(bytes, nil) }
        let decision = try RedisRateLimiter.decision(numbers, request: admission, periodID: periodID)
        return status == 1 ? .served(bytes, decision) : .rejected(decision)
    }
}
