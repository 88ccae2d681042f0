import SluiceStore
import Synchronization

/// A clock that only moves when told to. Every store, key cache and limiter takes a
/// `StoreClock`, so lease, TTL and key-cache expiry tests advance this instead of sleeping:
/// they run in no time and cannot flake on a loaded machine.
public final class ManualClock: StoreClock {
    private let now: Mutex<Int64>

    /// Starts at `microseconds` since the Unix epoch (default: 2027-01-15).
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
