#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in microseconds since the Unix epoch. Injected everywhere
/// the in-memory store, the key cache and the limiters need time, so tests can drive it with
/// `SluiceTesting.ManualClock`.
/// (The Redis store uses Redis `TIME` inside its scripts, so replicas share one clock.)
public protocol StoreClock: Sendable {
    func nowMicroseconds() -> Int64
}

public struct SystemStoreClock: StoreClock {
    public init() {}

    public func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

extension Duration {
    /// Whole microseconds (truncated), the unit every limit computation uses.
    public var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
