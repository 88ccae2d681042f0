import Synchronization

/// What admission does when the shared store is down or frozen.
public enum StoreFailurePolicy: String, Sendable, Hashable, CaseIterable {
    /// Admission throws `.unavailable`; the gateway answers 503 with a clear message (default).
    case closed
    /// Admission falls back to this replica's in-memory limits (each replica then enforces
    /// the limits alone, so N replicas admit up to N× the limit); logged once per interval.
    case open
}

/// Things the gateway should log; the store takes no logger, so it reports these instead.
public enum StoreEvent: Sendable, Hashable {
    /// The shared store failed and the policy applied. `suppressed` counts failures since the last report.
    case sharedStoreUnreachable(policy: StoreFailurePolicy, reason: String, suppressed: Int)
    /// A call to the shared store succeeded again after failures.
    case sharedStoreRecovered
}

/// Applies a `StoreFailurePolicy` around a shared `RateLimiter`.
public final class FailurePolicyRateLimiter: RateLimiter {
    private struct ReportState {
        var lastReport: Int64?
        var suppressed = 0
        var degraded = false
    }

    public let policy: StoreFailurePolicy
    private let primary: any RateLimiter
    private let fallback: InMemoryRateLimiter
    private let reportIntervalMicros: Int64
    private let clock: any StoreClock
    private let onEvent: @Sendable (StoreEvent) -> Void
    private let report = Mutex(ReportState())

    public init(primary: any RateLimiter, policy: StoreFailurePolicy, fallback: InMemoryRateLimiter? = nil,
                reportInterval: Duration = .seconds(10), clock: any StoreClock = SystemStoreClock(),
                onEvent: @escaping @Sendable (StoreEvent) -> Void = { _ in }) {
        self.primary = primary
        self.policy = policy
        self.fallback = fallback ?? InMemoryRateLimiter(clock: clock)
        self.reportIntervalMicros = reportInterval.microseconds
        self.clock = clock
        self.onEvent = onEvent
    }

    public func admit(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        try await decide({ () async throws(StoreError) -> AdmissionDecision in try await primary.admit(request) }) {
            () async throws(StoreError) -> AdmissionDecision in
            let decision = try await fallback.admit(request)
            guard case .allowed(let admission) = decision else { return decision }
            var reservation = admission.reservation
            reservation.origin = .localFallback
            return .allowed(Admission(reservation: reservation, status: admission.status))
        }
    }

    /// Like `admit`: on an unreachable store, closed fails and open admits and settles locally.
    public func admitAndSettle(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        try await decide({ () async throws(StoreError) -> AdmissionDecision in try await primary.admitAndSettle(request) }) {
            () async throws(StoreError) -> AdmissionDecision in try await fallback.admitAndSettle(request)
        }
    }

    /// One admission on the shared store; when it is unreachable, `closed` fails with a clear
    /// message and `open` decides with this replica's own limiter instead.
    private func decide(_ shared: () async throws(StoreError) -> AdmissionDecision,
                        orLocally local: () async throws(StoreError) -> AdmissionDecision)
        async throws(StoreError) -> AdmissionDecision {
        do {
            let decision = try await shared()
            noteSuccess()
            return decision
        } catch where error.isStoreUnreachable {
            noteFailure(error)
            guard policy == .open else {
                throw StoreError(error.kind, "rate limits cannot be checked: the shared store is unreachable "
                                    + "(failure policy closed): \(error.message)")
            }
            return try await local()
        }
    }

    @discardableResult
    public func settle(_ reservation: Reservation, actualTokens: Int, releasingLease: Bool) async throws(StoreError) -> Bool {
        if reservation.origin == .localFallback {
            return try await fallback.settle(reservation, actualTokens: actualTokens, releasingLease: releasingLease)
        }
        do {
            let settled = try await primary.settle(reservation, actualTokens: actualTokens, releasingLease: releasingLease)
            noteSuccess()
            return settled
        } catch where error.isStoreUnreachable && policy == .open {
            // The reservation stays charged as reserved and its lease expires by itself.
            noteFailure(error)
            return false
        }
    }

    public func release(_ reservation: Reservation) async throws(StoreError) {
        if reservation.origin == .localFallback { return try await fallback.release(reservation) }
        do {
            try await primary.release(reservation)
            noteSuccess()
        } catch where error.isStoreUnreachable && policy == .open {
            noteFailure(error)
        }
    }

    public func renewLease(_ reservation: Reservation) async throws(StoreError) {
        if reservation.origin == .localFallback { return try await fallback.renewLease(reservation) }
        do {
            try await primary.renewLease(reservation)
            noteSuccess()
        } catch where error.isStoreUnreachable && policy == .open {
            noteFailure(error)
        }
    }

    private func noteFailure(_ error: StoreError) {
        let now = clock.nowMicroseconds()
        let event: StoreEvent? = report.withLock { state in
            state.degraded = true
            if let last = state.lastReport, now - last < reportIntervalMicros {
                state.suppressed += 1
                return nil
            }
            let suppressed = state.suppressed
            state.lastReport = now
            state.suppressed = 0
            return .sharedStoreUnreachable(policy: policy, reason: error.message, suppressed: suppressed)
        }
        if let event { onEvent(event) }
    }

    private func noteSuccess() {
        let recovered = report.withLock { state in
            guard state.degraded else { return false }
            state = ReportState()
            return true
        }
        if recovered { onEvent(.sharedStoreRecovered) }
    }
}

/// The cache fails open: an unreachable store is a miss on read and a skipped write,
/// never a failed request.
public final class FailOpenResponseCache: ResponseCache {
    private let base: any ResponseCache
    private let onError: @Sendable (StoreError) -> Void

    public init(base: any ResponseCache, onError: @escaping @Sendable (StoreError) -> Void = { _ in }) {
        self.base = base
        self.onError = onError
    }

    public func get(tenant: String, key: [UInt8]) async throws(StoreError) -> [UInt8]? {
        do {
            return try await base.get(tenant: tenant, key: key)
        } catch {
            onError(error)
            return nil
        }
    }

    public func put(tenant: String, key: [UInt8], value: [UInt8], ttl: Duration) async throws(StoreError) {
        do {
            try await base.put(tenant: tenant, key: key, value: value, ttl: ttl)
        } catch {
            onError(error)
        }
    }
}

/// Cache hits fail open like the cache: an unreachable store is a miss, and the request takes
/// the normal path (whose admission follows the failure policy).
public final class FailOpenCacheHitServer: CacheHitServer {
    private let base: any CacheHitServer
    private let onError: @Sendable (StoreError) -> Void

    public init(base: any CacheHitServer, onError: @escaping @Sendable (StoreError) -> Void = { _ in }) {
        self.base = base
        self.onError = onError
    }

    public func serveCached(_ request: CachedServeRequest) async throws(StoreError) -> CachedServeOutcome {
        do {
            return try await base.serveCached(request)
        } catch {
            onError(error)
            return .miss
        }
    }
}
