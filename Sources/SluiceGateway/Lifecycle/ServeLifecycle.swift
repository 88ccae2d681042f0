import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Start and shutdown of `sluice serve`: the HTTP server, the engine, the key store (its Redis
/// pool) and the access-log writer run as one `ServiceGroup`.
///
/// The first SIGTERM or SIGINT shuts the group down gracefully: the server stops accepting and
/// drains in-flight requests for `--shutdown-grace` seconds, then the engine thread stops, then
/// the Redis connections close, then the log is flushed. A second signal cancels the group:
/// connections close at once and `run` reports the signal.
public struct ServeLifecycle: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Shut down by the first signal (or the server stopping by itself); exit 0.
        case graceful
        /// A second signal cut the grace period short.
        case forced(signal: Int32)
        /// A service failed; the reason was logged.
        case failed
    }

    public let gateway: Gateway
    public let engine: EngineService?
    public let access: AccessControl?
    public let logWriter: LogLineWriter
    public let logger: Logger

    public init(gateway: Gateway, engine: EngineService?, access: AccessControl?,
                logWriter: LogLineWriter = .standardOutput, logger: Logger = Logger(label: "sluice.lifecycle")) {
        self.gateway = gateway
        self.engine = engine
        self.access = access
        self.logWriter = logWriter
        self.logger = logger
    }

    /// Runs until shut down. `ready` is called once the signals are trapped (so a signal right
    /// after it, e.g. from a test that waits for the "listening" line, is a graceful shutdown).
    public func run(ready: @Sendable () -> Void) async -> Outcome {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        ready()
        let group = ServiceGroup(configuration: groupConfiguration())
        let forcedBy = Atomic<Int32>(0)
        let running = Task { try await group.run() }
        let watcher = Task {
            var caught = 0
            for await signal in signals {
                caught += 1
                if caught == 1 {
                    logger.notice("shutting down: draining in-flight requests",
                                  metadata: ["signal": "\(signal)", "grace_seconds": "\(gateway.configuration.shutdownGraceSeconds)"])
                    await group.triggerGracefulShutdown()
                } else {
                    logger.warning("second signal: stopping now", metadata: ["signal": "\(signal)"])
                    forcedBy.store(signal.rawValue, ordering: .relaxed)
                    running.cancel()
                    return
                }
            }
        }
        defer { watcher.cancel() }
        do {
            try await running.value
        } catch is CancellationError {
            // Cancelled by the second signal: reported below.
        } catch {
            logger.error("service failed", metadata: ["error": "\(error)"])
            return .failed
        }
        let signal = forcedBy.load(ordering: .relaxed)
        return signal == 0 ? .graceful : .forced(signal: signal)
    }

    func groupConfiguration() -> ServiceGroupConfiguration {
        // Stopped in reverse order: the server drains first, the log is flushed last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let logWriter = logWriter
        services.append(.init(service: StopOnShutdownService(description: "AccessLogWriter") { logWriter.flush() }))
        if let access {
            services.append(.init(service: StopOnShutdownService(description: "KeyStore") { access.shutdown() }))
        }
        if let engine {
            // Waits for the current step (milliseconds); unfinished jobs then fail with 503.
            services.append(.init(service: StopOnShutdownService(description: "EngineService") { engine.stop() }))
        }
        services.append(.init(service: HTTPServerService(gateway: gateway)))
        // Signals are handled in `run` (the group would ignore a second SIGTERM).
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        // A backstop past the grace period, should a stop hang: then the group is cancelled.
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64((gateway.configuration.shutdownGraceSeconds + 10) * 1000))
        return configuration
    }
}
