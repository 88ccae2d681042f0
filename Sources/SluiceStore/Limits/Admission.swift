/// One request asking to be admitted.
public struct AdmissionRequest: Sendable, Hashable {
    public var keyID: String
    public var limits: RateLimits
    /// Unique per request (the lease and reservation id).
    public var requestID: String
    /// Tokens reserved now: prompt tokens + max completion tokens.
    public var reservedTokens: Int
    /// A lease not released or renewed within this time frees itself (crashed gateway).
    public var leaseDuration: Duration

    public init(keyID: String, limits: RateLimits, requestID: String, reservedTokens: Int,
                leaseDuration: Duration = .seconds(600)) {
        self.keyID = keyID
        self.limits = limits
        self.requestID = requestID
        self.reservedTokens = reservedTokens
        self.leaseDuration = leaseDuration
    }

    func validate() throws(StoreError) {
        guard reservedTokens >= 0 else { throw StoreError(.invalidArgument, "reserved tokens must be ≥ 0") }
        guard leaseDuration > .zero else { throw StoreError(.invalidArgument, "lease duration must be positive") }
        guard !requestID.isEmpty, requestID.utf8.count <= 200 else {
            throw StoreError(.invalidArgument, "request id must be 1...200 bytes")
        }
        try limits.validate()
    }
}

public enum AdmissionDecision: Sendable, Hashable {
    case allowed(Admission)
    case rejected(AdmissionRejection)
}

/// What an admitted request holds until it settles.
public struct Admission: Sendable, Hashable {
    public let reservation: Reservation
    public let status: RateLimitStatus
}

public struct AdmissionRejection: Sendable, Hashable {
    public let reason: RejectionReason
    /// Current state of the limits (nothing was consumed), for the x-ratelimit-* headers.
    public let status: RateLimitStatus
}

public enum RejectionReason: Sendable, Hashable {
    /// rpm or tpm exhausted: HTTP 429 `rate_limit_exceeded` with `Retry-After`.
    case rateLimited(retryAfter: Duration)
    /// Token budget of the period spent: HTTP 429 `insufficient_quota`.
    case quotaExceeded
    /// Too many requests in flight for this key: HTTP 429.
    case concurrency
}

/// The values of OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers.
public struct RateLimitStatus: Sendable, Hashable {
    public var requests: LimitStatus?
    public var tokens: LimitStatus?

    public init(requests: LimitStatus? = nil, tokens: LimitStatus? = nil) {
        self.requests = requests
        self.tokens = tokens
    }
}

public struct LimitStatus: Sendable, Hashable {
    public var limit: Int
    public var remaining: Int
    /// Time until the limit is fully replenished.
    public var resetAfter: Duration

    public init(limit: Int, remaining: Int, resetAfter: Duration) {
        self.limit = limit
        self.remaining = remaining
        self.resetAfter = resetAfter
    }
}

/// Where an admission was recorded, so settle/release reach the same store.
public enum ReservationOrigin: Sendable, Hashable {
    case primary
    /// Admitted by the local fallback while the shared store was unreachable (`open` policy).
    case localFallback
}

/// A live admission: the token reservation and the concurrency lease.
public struct Reservation: Sendable, Hashable {
    public let keyID: String
    public let requestID: String
    /// Tokens reserved against the budget (the request's full reservation).
    public let reservedTokens: Int
    /// Tokens charged to the tpm limit: the reservation capped at the tpm limit, so a
    /// request larger than a whole minute's tokens can still run when the bucket is full.
    public let tpmCost: Int
    public let limits: RateLimits
    /// Budget counter charged (`d20261130` / `m202611`), so settle adjusts the same period.
    public let budgetPeriodID: String?
    public let leaseDuration: Duration
    public var origin: ReservationOrigin

    public init(keyID: String, requestID: String, reservedTokens: Int, tpmCost: Int, limits: RateLimits,
                budgetPeriodID: String?, leaseDuration: Duration, origin: ReservationOrigin = .primary) {
        self.keyID = keyID
        self.requestID = requestID
        self.reservedTokens = reservedTokens
        self.tpmCost = tpmCost
        self.limits = limits
        self.budgetPeriodID = budgetPeriodID
        self.leaseDuration = leaseDuration
        self.origin = origin
    }
}
