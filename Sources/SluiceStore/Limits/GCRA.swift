/// Generic Cell Rate Algorithm (the "virtual scheduling" form of the leaky-bucket
/// meter, ITU-T I.371; as in redis-cell's CL.THROTTLE) for `limit` units per `period`.
///
/// State is one number, the theoretical arrival time (TAT): the instant at which the
/// bucket is full again. Each unit costs `period / limit`. A request of `q` units is
/// admitted when, after adding its cost, the debt `newTAT − now` is at most one whole
/// period, so an idle key may spend its full limit at once (burst = limit) and then
/// proceeds at the steady rate.
///
/// The arithmetic is done in IEEE doubles in exactly the order the Lua script
/// (`RedisScripts.admit`) uses, so both stores give bit-identical answers.
public struct GCRA: Sendable, Hashable {
    public let limit: Int
    public let periodMicros: Int64

    public init(limit: Int, periodMicros: Int64 = 60_000_000) {
        self.limit = max(1, limit)
        self.periodMicros = periodMicros
    }

    public struct Outcome: Sendable, Hashable {
        public let allowed: Bool
        /// The TAT to store when allowed (unchanged input when denied).
        public let newTAT: Int64
        /// Wait before the same request would be admitted (0 when allowed).
        public let retryAfterMicros: Int64
        /// Units left after this request (allowed) or now (denied).
        public let remaining: Int
        /// Time until the bucket is full again.
        public let resetAfterMicros: Int64
    }

    /// Cost of `quantity` units in microseconds of the schedule: ceil(q · period / limit).
    public func cost(_ quantity: Int) -> Int64 {
        Int64((Double(quantity) * Double(periodMicros) / Double(limit)).rounded(.up))
    }

    /// Decides `quantity` units at `now`; consumes nothing itself (the caller stores `newTAT`).
    public func evaluate(tat: Int64?, quantity: Int, now: Int64) -> Outcome {
        let base = max(tat ?? now, now)
        let newTAT = base + cost(quantity)
        let debt = newTAT - now
        if debt > periodMicros {
            return Outcome(allowed: false, newTAT: base, retryAfterMicros: debt - periodMicros,
                           remaining: remaining(debt: base - now), resetAfterMicros: base - now)
        }
        return Outcome(allowed: true, newTAT: newTAT, retryAfterMicros: 0,
                       remaining: remaining(debt: debt), resetAfterMicros: debt)
    }

    /// Replaces a charge of `reserved` units by `actual` units (settle). A refund moves
    /// the TAT back (admission clamps it to `now`, so no credit beyond a full bucket
    /// accrues); an overrun is charged from `max(TAT, now)` like a new request.
    public func settle(tat: Int64?, reserved: Int, actual: Int, now: Int64) -> Int64? {
        let delta = cost(actual) - cost(reserved)
        guard let tat else { return delta > 0 ? now + delta : nil }
        return delta > 0 ? max(tat, now) + delta : tat + delta
    }

    public func status(tat: Int64?, now: Int64) -> LimitStatus {
        let debt = max(0, (tat ?? now) - now)
        return LimitStatus(limit: limit, remaining: remaining(debt: debt), resetAfter: .microseconds(debt))
    }

    func remaining(debt: Int64) -> Int {
        let units = (Double(periodMicros - debt) * Double(limit) / Double(periodMicros)).rounded(.down)
        return Int(min(Double(limit), max(0, units)))
    }
}
