import ServiceLifecycle

/// A part of `sluice serve` that runs by itself (the engine thread, the Redis pool threads, the
/// access-log writer thread) and only needs stopping: the service waits until the group shuts
/// down, gracefully or not, then stops it. The group stops services in reverse order, so each of
/// these stops only after everything listed after it (the HTTP server last in the list, first
/// to stop) has returned: no request is left using what is stopped.
struct StopOnShutdownService: Service, CustomStringConvertible {
    let description: String
    /// Called once; must not wait long (it runs on a cooperative thread).
    let stop: @Sendable () -> Void

    func run() async {
        // Throws only when the group is cancelled, which means stop now all the same.
        try? await gracefulShutdown()
        stop()
    }
}
