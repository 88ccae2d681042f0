import CSluiceSystem
import Foundation
import Logging
import Synchronization

/// The HTTP/1.1 server: `eventLoopCount` epoll loops, each on its own thread
/// with its own SO_REUSEPORT listener (the kernel spreads connections over
/// them), all sharing one router and one connection limit.
///
/// Lifecycle: `start()` binds and returns the port; `shutdown(gracePeriod:)`
/// stops accepting, lets in-flight exchanges finish until the deadline, then
/// closes the rest; `waitUntilStopped()` returns when every loop has exited.
public final class HTTPServer: Sendable {
    struct State {
        var loops: [EventLoop] = []
        var port: Int?
        var running = 0
        var started = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let configuration: HTTPServerConfiguration
    let router: HTTPRouter
    let errorResponder: HTTPErrorResponder
    /// Failures no client sees: accept and epoll errors (label `sluice.http` by default).
    let logger: Logger
    let state = Mutex(State())

    public init(configuration: HTTPServerConfiguration, router: HTTPRouter,
                errorResponder: @escaping HTTPErrorResponder = HTTPServerConfiguration.plainTextErrorResponder,
                logger: Logger = Logger(label: "sluice.http")) {
        self.configuration = configuration
        self.router = router
        self.errorResponder = errorResponder
        self.logger = logger
    }

    /// The bound port (the real one when configured with 0), once started.
    public var port: Int? { state.withLock { $0.port } }

    /// Binds, listens and starts the loop threads. Returns the bound port.
    @discardableResult
    public func start() throws(HTTPError) -> Int {
        try configuration.validate()
        csys_ignore_sigpipe()
        _ = csys_raise_fd_limit()
        let alreadyStarted = state.withLock { state -> Bool in
            defer { state.started = true }
            return state.started
        }
        if alreadyStarted { throw HTTPError(.invalidConfiguration, "server already started") }

        let context = ServerContext(configuration: configuration, router: router, errorResponder: errorResponder,
                                    counter: ConnectionCounter(limit: configuration.maxConnections), logger: logger)
        var listeners: [Int32] = []
        var port = configuration.port
        do throws(HTTPError) {
            // SO_REUSEPORT would let us silently share a port with another
            // server (same user) already on it: probe with a plain bind first.
            if port != 0 {
                let probe = csys_tcp_listen(configuration.host, Int32(port), 0, -1)
                guard probe >= 0 else { throw Self.listenError(probe, configuration.host, port) }
                close(probe)
            }
            for _ in 0..<configuration.eventLoopCount {
                let fd = csys_tcp_listen(configuration.host, Int32(port), 1, Int32(configuration.backlog))
                guard fd >= 0 else { throw Self.listenError(fd, configuration.host, port) }
                listeners.append(fd)
                // Later loops bind the port the first one got, so `port: 0` works with several loops.
                if port == 0 { port = Int(csys_local_port(fd)) }
            }
            var loops: [EventLoop] = []
            for fd in listeners { loops.append(try EventLoop(context: context, listenerFD: fd)) }
            state.withLock { state in
                state.loops = loops
                state.port = port
                state.running = loops.count
            }
            for (index, loop) in loops.enumerated() {
                let thread = Thread { [self] in
                    loop.run()
                    self.loopExited()
                }
                thread.name = "sluice-http-\(index)"
                thread.start()
            }
        } catch {
            for fd in listeners { close(fd) }
            throw error
        }
        return port
    }

    static func listenError(_ negativeErrno: Int32, _ host: String, _ port: Int) -> HTTPError {
        let reason = negativeErrno == -EINVAL ? "cannot resolve host \(host)" : String(cString: strerror(-negativeErrno))
        return HTTPError(.system, "cannot listen on \(host):\(port): \(reason)")
    }

    /// Stops accepting now; connections mid-exchange may finish until
    /// `gracePeriod` has passed, then everything is closed (and handlers cancelled).
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        let deadline = HTTPInstant.now() + gracePeriod
        for loop in state.withLock({ $0.loops }) { loop.submit(.shutdown(deadline: deadline)) }
    }

    /// Returns once every loop has exited (immediately if never started).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stoppedAlready = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if stoppedAlready { continuation.resume() }
        }
    }

    /// Starts, then runs until shut down; cancelling the calling task shuts down gracefully.
    public func run(gracePeriod: Duration = .seconds(10)) async throws(HTTPError) {
        try start()
        await withTaskCancellationHandler {
            await waitUntilStopped()
        } onCancel: {
            shutdown(gracePeriod: gracePeriod)
        }
    }

    func loopExited() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
