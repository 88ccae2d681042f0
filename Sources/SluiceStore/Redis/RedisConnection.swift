import CHiredis
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking hiredis context, used by exactly one pool thread.
///
/// hiredis 0.14.1 rules this class encodes:
///  - a context whose call returned NULL has `err` set and "cannot be reused": it is
///    freed and a new one is made (we never call `redisReconnect`, which in 0.14 also
///    drops the socket timeout, hiredis #593 / PR #986);
///  - `redisSetTimeout` is applied to every new context, and lowered for a command
///    when less than the command timeout is left before the caller's deadline;
///  - server errors (`NOSCRIPT`, `WRONGTYPE`) come back as error replies and leave the
///    context usable.
final class RedisConnection {
    private let configuration: RedisConfiguration
    private let health: RedisHealth
    private var failedAt: Int64 = 0
    private let scripts: [RedisScript]
    private var context: UnsafeMutablePointer<redisContext>?
    private var appliedTimeoutMicros: Int64 = 0
    private var retryNotBefore: Int64 = 0
    private var backoffMicros: Int64
    private let logger: Logger
    /// Whether the last attempt failed: failures are logged when a working connection breaks and
    /// reconnects when it works again, not once per retry while Redis stays down.
    private var failing = false
    /// Monotonic deadline of the job being run; set by the pool.
    var deadline: Int64 = .max

    init(configuration: RedisConfiguration, scripts: [RedisScript], health: RedisHealth,
         logger: Logger = Logger(label: "sluice.redis")) {
        self.configuration = configuration
        self.logger = logger
        self.health = health
        self.scripts = scripts
        self.backoffMicros = configuration.initialBackoff.microseconds
    }

    deinit { close() }

    func close() {
        if let context { redisFree(context) }
        context = nil
    }

    func command(_ command: RedisCommand) throws(StoreError) -> RedisReply {
        let context = try prepare()
        let started = MonotonicClock.nowMicros()
        guard command.count > 0 else { throw StoreError(.invalidArgument, "empty Redis command") }
        guard append(command, to: context) == REDIS_OK else { throw fail(context, started: started) }
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw fail(context, started: started) }
        defer { freeReplyObject(raw) }
        succeeded()
        return RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends all commands in one write and reads all replies (one round trip).
    func pipeline(_ commands: [RedisCommand]) throws(StoreError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        let context = try prepare()
        for command in commands {
            guard command.count > 0 else { throw StoreError(.invalidArgument, "empty Redis command") }
            guard append(command, to: context) == REDIS_OK else { throw fail(context, started: MonotonicClock.nowMicros()) }
        }
        let started = MonotonicClock.nowMicros()
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw fail(context, started: started) }
            replies.append(RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        succeeded()
        return replies
    }

    /// Queues the command's RESP bytes in hiredis's output buffer (sent by the next read).
    private func append(_ command: RedisCommand, to context: UnsafeMutablePointer<redisContext>) -> Int32 {
        command.resp.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return REDIS_ERR }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                redisAppendFormattedCommand(context, $0, buffer.count)
            }
        }
    }

    /// EVALSHA, and on NOSCRIPT (script cache flushed, Redis restarted, replica promoted)
    /// EVAL with the source, which also puts it back in the cache.
    func evaluate(_ script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]]) throws(StoreError) -> RedisReply {
        try evaluateAll([ScriptCall(script: script, keys: keys, arguments: arguments)])[0]
    }

    /// Several script calls in one pipeline (one write, replies read in order); a call answered
    /// NOSCRIPT did not run and is sent again with its source.
    func evaluateAll(_ calls: [ScriptCall]) throws(StoreError) -> [RedisReply] {
        var replies = try pipeline(calls.map { $0.script.evalSHA($0.keysAndArguments) })
        for index in replies.indices where replies[index].isNoScript {
            let call = calls[index]
            replies[index] = try command(call.script.eval(call.keysAndArguments))
        }
        return replies
    }

    // MARK: Connection management

    /// A usable context with the socket timeout fitted to the current deadline.
    private func prepare() throws(StoreError) -> UnsafeMutablePointer<redisContext> {
        let now = MonotonicClock.nowMicros()
        let remaining = deadline - now
        guard remaining > 0 else {
            throw StoreError(.timeout, "Redis command timed out waiting for a connection")
        }
        if let existing = context, Self.peerHasClosed(existing.pointee.fd) {
            // An idle connection whose server went away (restart, failover, idle kill): replace
            // it before sending, so the first request after a Redis restart does not fail.
            redisFree(existing)
            context = nil
            appliedTimeoutMicros = 0
            logger.info("Redis closed an idle connection; reconnecting")
        }
        let context = try connectIfNeeded(now: now, remaining: remaining)
        let wanted = min(configuration.commandTimeout.microseconds, remaining)
        // Re-applied only when it moved by more than a millisecond: a job that queued briefly
        // would otherwise cost a setsockopt pair on every call for a sub-millisecond change.
        if abs(wanted - appliedTimeoutMicros) > 1_000 {
            guard redisSetTimeout(context, Self.timeval(micros: wanted)) == REDIS_OK else {
                throw fail(context, started: now)
            }
            appliedTimeoutMicros = wanted
        }
        return context
    }

    private func connectIfNeeded(now: Int64, remaining: Int64) throws(StoreError) -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        // Back off after a failure, unless another connection of the pool has reached Redis
        // since: then the server is back and waiting out the backoff would fail requests for nothing.
        guard now >= retryNotBefore || health.lastSuccess > failedAt else {
            throw StoreError(.unavailable, "Redis at \(configuration.host):\(configuration.port) is unreachable "
                                + "(reconnecting in \((retryNotBefore - now) / 1000) ms)")
        }
        let timeout = min(configuration.connectTimeout.microseconds, remaining)
        guard let fresh = redisConnectWithTimeout(configuration.host, Int32(configuration.port),
                                                  Self.timeval(micros: timeout)) else {
            backOff()
            throw logged(StoreError(.unavailable, "cannot allocate a Redis context"))
        }
        if fresh.pointee.err != 0 {
            let message = Self.errorString(fresh)
            redisFree(fresh)
            backOff()
            throw logged(StoreError(.unavailable, "cannot connect to Redis at \(configuration.host):\(configuration.port): \(message)"))
        }
        // The command timeout, set on every new connection (never via redisReconnect, see above).
        let commandTimeout = min(configuration.commandTimeout.microseconds, remaining)
        guard redisSetTimeout(fresh, Self.timeval(micros: commandTimeout)) == REDIS_OK else {
            redisFree(fresh)
            backOff()
            throw logged(StoreError(.unavailable, "cannot set the Redis socket timeout"))
        }
        _ = redisEnableKeepAlive(fresh)
        appliedTimeoutMicros = commandTimeout
        context = fresh
        try startSession(fresh)
        if failing {
            failing = false
            logger.notice("reconnected to Redis", metadata: ["redis.address": "\(configuration.host):\(configuration.port)"])
        }
        return fresh
    }

    /// AUTH and SELECT when configured, and SCRIPT LOAD of every script: one pipelined round
    /// trip per new connection. A refused AUTH/SELECT discards the connection; a failed
    /// SCRIPT LOAD does not matter (EVALSHA falls back to EVAL).
    private func startSession(_ context: UnsafeMutablePointer<redisContext>) throws(StoreError) {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            commands.append(RedisCommand("AUTH").adding(password))
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT").adding(configuration.database))
        }
        let sessionCommands = commands.count
        commands += scripts.map { RedisCommand("SCRIPT").adding("LOAD").adding($0.source) }
        guard !commands.isEmpty else { return }
        let replies = try pipeline(commands)
        for reply in replies.prefix(sessionCommands) {
            if case .error(let message) = reply {
                redisFree(context)
                if self.context == context { self.context = nil }
                appliedTimeoutMicros = 0
                backOff()
                throw logged(StoreError(.unavailable, "Redis refused the session set-up: \(message.prefix(120))"))
            }
        }
    }

    /// Discards a failed context (hiredis: it cannot be reused) and starts the backoff.
    private func fail(_ failed: UnsafeMutablePointer<redisContext>, started: Int64) -> StoreError {
        let message = Self.errorString(failed)
        let code = failed.pointee.err
        let elapsed = MonotonicClock.nowMicros() - started
        redisFree(failed)
        if context == failed { context = nil }
        appliedTimeoutMicros = 0
        backOff()
        let timedOut = code == REDIS_ERR_IO
            && (message.contains("temporarily unavailable") || elapsed >= appliedTimeoutMicrosFloor)
        if timedOut {
            return logged(StoreError(.timeout, "Redis did not answer within \(configuration.commandTimeout) (\(message))"))
        }
        return logged(StoreError(.unavailable, "Redis connection failed: \(message)"))
    }

    /// Logs a connection failure: a warning when the connection was working, debug while it
    /// keeps failing (the callers get the error either way).
    private func logged(_ error: StoreError) -> StoreError {
        let metadata: Logger.Metadata = ["redis.address": "\(configuration.host):\(configuration.port)", "error": "\(error.message)"]
        if failing {
            logger.debug("Redis connection still failing", metadata: metadata)
        } else {
            failing = true
            logger.warning("Redis connection failed; reconnecting with backoff", metadata: metadata)
        }
        return error
    }

    private var appliedTimeoutMicrosFloor: Int64 { configuration.commandTimeout.microseconds * 9 / 10 }

    private func backOff() {
        failedAt = MonotonicClock.nowMicros()
        retryNotBefore = failedAt + backoffMicros
        backoffMicros = min(backoffMicros * 2, configuration.maxBackoff.microseconds)
    }

    private func succeeded() {
        backoffMicros = configuration.initialBackoff.microseconds
        health.noteSuccess()
    }

    /// RESP2 never sends unsolicited data outside Pub/Sub, so an idle socket that polls
    /// readable (EOF) or hung up belongs to a server that closed it. One poll(2), no wait.
    private static func peerHasClosed(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        return ready != 0  // readable, HUP, ERR, or poll itself failed
    }

    private static func timeval(micros: Int64) -> timeval {
        let clamped = max(1_000, micros)
        return Glibc.timeval(tv_sec: Int(clamped / 1_000_000), tv_usec: Int(clamped % 1_000_000))
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Shared by the connections of one pool: when any of them last got a reply.
final class RedisHealth: Sendable {
    private let lastSuccessMicros = Atomic<Int64>(0)

    var lastSuccess: Int64 { lastSuccessMicros.load(ordering: .relaxed) }

    func noteSuccess() { lastSuccessMicros.store(MonotonicClock.nowMicros(), ordering: .relaxed) }
}

enum MonotonicClock {
    static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

/// A Lua script and the SHA-1 Redis names it by (computed here, so EVALSHA works
/// before any SCRIPT LOAD answer was seen).
struct RedisScript: Sendable, Hashable {
    let name: String
    let source: String
    let sha1: String

    init(name: String, source: String) {
        self.name = name
        self.source = source
        self.sha1 = Digest.sha1Hex(source)
    }

    /// `EVALSHA sha numkeys keys... args...` (the caller handles NOSCRIPT).
    func evalSHA(_ keysAndArguments: RedisCommand) -> RedisCommand {
        var command = RedisCommand("EVALSHA")
        command.append(sha1)
        command.append(contentsOf: keysAndArguments)
        return command
    }

    /// `EVAL source numkeys keys... args...` (after NOSCRIPT; also caches the script again).
    func eval(_ keysAndArguments: RedisCommand) -> RedisCommand {
        var command = RedisCommand("EVAL")
        command.append(source)
        command.append(contentsOf: keysAndArguments)
        return command
    }
}

/// One script invocation, as queued for a pool thread: `numkeys keys... args...` as RESP.
struct ScriptCall: Sendable {
    let script: RedisScript
    let keysAndArguments: RedisCommand

    init(script: RedisScript, keysAndArguments: RedisCommand) {
        self.script = script
        self.keysAndArguments = keysAndArguments
    }

    init(script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]]) {
        var tail = RedisCommand([])
        tail.append(integer: keys.count)
        for key in keys { tail.append(bytes: key) }
        for argument in arguments { tail.append(bytes: argument) }
        self.init(script: script, keysAndArguments: tail)
    }
}

extension RedisReply {
    /// The script is not in Redis's script cache (flushed, restarted, failed over).
    var isNoScript: Bool {
        if case .error(let message) = self { return message.hasPrefix("NOSCRIPT") }
        return false
    }
}
