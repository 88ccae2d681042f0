import Foundation

/// A fixed set of threads, each owning one `RedisConnection`, fed from one queue.
/// The threads stop when `shutdown()` is called or when the last user of the pool
/// (the store and its services) goes away.
final class RedisConnectionPool: Sendable {
    let core: RedisPoolCore

    init(configuration: RedisConfiguration, scripts: [RedisScript]) {
        core = RedisPoolCore(configuration: configuration, scripts: scripts)
    }

    deinit { core.shutdown() }

    var configuration: RedisConfiguration { core.configuration }

    func run<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        try await core.run(body)
    }

    func shutdown() { core.shutdown() }
}

/// The queue and threads behind `RedisConnectionPool` (the threads hold this, not the pool,
/// so dropping the pool can stop them).
///
/// hiredis is blocking, so it never runs on Swift's cooperative pool or an event loop:
/// `run` suspends the caller and a pool thread does the I/O. Every job carries a
/// deadline (`now + commandTimeout`): a job that waited in the queue past it fails at
/// once with `.timeout`, and a job with less time left gets a lowered socket timeout,
/// so no caller ever waits longer than the command timeout, even with Redis frozen.
final class RedisPoolCore: @unchecked Sendable {
    // @unchecked: `queue`, `head` and `isShutDown` are only touched under `condition`.
    private struct Job {
        let deadline: Int64
        let work: @Sendable (RedisConnection) -> Void
        let abandon: @Sendable (StoreError) -> Void
    }

    let configuration: RedisConfiguration
    private let scripts: [RedisScript]
    private let health = RedisHealth()
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    private var isShutDown = false
    private var runningThreads = 0
    private var startedThreads = 0

    init(configuration: RedisConfiguration, scripts: [RedisScript]) {
        self.configuration = configuration
        self.scripts = scripts
        let size = max(1, configuration.poolSize)
        runningThreads = size
        for index in 0..<size {
            let thread = Thread { [self] in self.workerLoop() }
            thread.name = "sluice-redis-\(index)"
            thread.stackSize = 512 << 10
            thread.start()
        }
        // Wait until every thread is up, so the first requests do not pay for thread start-up
        // (on a loaded machine that alone can exceed the command timeout).
        condition.lock()
        while startedThreads < size { condition.wait() }
        condition.unlock()
    }

    /// Runs `body` on a pool thread with that thread's connection.
    func run<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        let deadline = MonotonicClock.nowMicros() + configuration.commandTimeout.microseconds
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            let job = Job(
                deadline: deadline,
                work: { connection in
                    do throws(StoreError) {
                        continuation.resume(returning: .success(try body(connection)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                },
                abandon: { continuation.resume(returning: .failure($0)) })
            enqueue(job)
        }
        return try result.get()
    }

    /// Stops the threads after their current job (each frees its connection as it exits);
    /// queued jobs fail with `.unavailable`, later calls too. Returns at once: never blocks
    /// the caller (a cooperative thread) on a thread stuck in a command. Idempotent.
    func shutdown() {
        condition.lock()
        isShutDown = true
        let pending = queue[head...]
        queue = []
        head = 0
        condition.broadcast()
        condition.unlock()
        for job in pending { job.abandon(StoreError(.unavailable, "the Redis store was shut down")) }
    }

    /// Threads still running (tests check that dropping the pool stops them).
    var liveThreads: Int {
        condition.lock()
        defer { condition.unlock() }
        return runningThreads
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if isShutDown {
            condition.unlock()
            job.abandon(StoreError(.unavailable, "the Redis store was shut down"))
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    private func workerLoop() {
        let connection = RedisConnection(configuration: configuration, scripts: scripts, health: health)
        condition.lock()
        startedThreads += 1
        condition.broadcast()
        condition.unlock()
        while let job = nextJob() {
            connection.deadline = job.deadline
            job.work(connection)
        }
        connection.close()
        condition.lock()
        runningThreads -= 1
        condition.unlock()
    }

    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head >= queue.count && !isShutDown { condition.wait() }
        if isShutDown { return nil }
        let job = queue[head]
        head += 1
        if head > 256 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return job
    }
}
