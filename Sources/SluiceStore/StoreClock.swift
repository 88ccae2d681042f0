import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in microseconds since the Unix epoch. Injected everywhere
/// the in-memory store needs time, so tests can drive it with `ManualStoreClock`.
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

/// A clock that only moves when told to: for deterministic tests.
public final class ManualStoreClock: StoreClock {
    private let now: Mutex<Int64>

    public init(microseconds: Int64 = 1_800_000_000_000_000) {
        now = Mutex(microseconds)
    }

    public func nowMicroseconds() -> Int64 { now.withLock { $0 } }

    public func advance(by duration: Duration) {
        now.withLock { $0 += duration.microseconds }
    }

    public func set(microseconds: Int64) {
        now.withLock { $0 = microseconds }
    }
}

extension Duration {
    /// Whole microseconds (truncated), the unit every limit computation uses.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
