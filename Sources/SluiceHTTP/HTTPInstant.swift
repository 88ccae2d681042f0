import CSluiceSystem

/// A point on the monotonic clock, in nanoseconds. The connection state
/// machine takes instants as arguments instead of reading a clock, so tests
/// drive time by hand.
public struct HTTPInstant: Sendable, Hashable, Comparable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The current monotonic time (CLOCK_MONOTONIC).
    public static func now() -> HTTPInstant { HTTPInstant(nanoseconds: csys_monotonic_ns()) }

    public static func < (lhs: HTTPInstant, rhs: HTTPInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: HTTPInstant, rhs: Duration) -> HTTPInstant {
        HTTPInstant(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    /// Time from `earlier` to `self` (zero if `earlier` is later).
    public func nanoseconds(since earlier: HTTPInstant) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to 0...UInt64.max.
    var nanosecondsClamped: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return product &+ UInt64(attoseconds / 1_000_000_000)
    }
}
