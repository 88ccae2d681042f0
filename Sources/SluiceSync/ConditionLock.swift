import Glibc

/// A mutex with one condition variable: the one type for a thread that must park until another
/// thread changes the state it guards (the engine thread, the log writer, the Redis pool's
/// threads). Plain mutual exclusion uses `Synchronization.Mutex` instead, which cannot wait.
/// pthread rather than Foundation's NSCondition: no Foundation on the engine's hot path.
public final class ConditionLock: @unchecked Sendable {
    // Heap-allocated: a pthread mutex or condition must not move, so neither can live inline.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }

    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Must be called with the lock held; returns with it held again (possibly spuriously: wait
    /// in a loop on the condition).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits at most `seconds` (lock held on entry and on return).
    public func wait(seconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanos = Int(now.tv_nsec) + Int(seconds * 1e9)
        var deadline = timespec(tv_sec: now.tv_sec + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    /// Wakes every waiting thread.
    public func signal() { pthread_cond_broadcast(condition) }

    /// Wakes one waiting thread: for pools of interchangeable waiters, where waking all of them
    /// for one job is a thundering herd.
    public func signalOne() { pthread_cond_signal(condition) }
}
