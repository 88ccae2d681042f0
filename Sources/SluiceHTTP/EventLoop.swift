import CSluiceSystem
import Logging
import Glibc
import Synchronization

/// Shared, immutable parts of a running server that every loop reads.
struct ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let router: HTTPRouter
    let errorResponder: HTTPErrorResponder
    let counter: ConnectionCounter
    let logger: Logger
}

/// One epoll event loop on its own thread. It owns its listener and its
/// connections; other threads talk to it only through `submit` (a locked
/// queue plus an eventfd wake-up).
final class EventLoop: ResponseSink, @unchecked Sendable {
    static let wakeToken: UInt64 = .max
    static let listenerToken: UInt64 = .max - 1

    let context: ServerContext
    let epollFD: Int32
    let wakeFD: Int32
    var listenerFD: Int32

    /// Commands from other threads: the only state they touch.
    struct Inbox {
        var commands: [LoopCommand] = []
        var signalled = false
        /// Set when the loop has exited: late commands (from handlers still
        /// finishing) are dropped instead of signalling a closed eventfd.
        var closed = false
    }
    let inbox = Mutex(Inbox())

    // Loop-thread state.
    var connections: [Connection?] = []
    var openConnections = 0
    var nextSerial: UInt32 = 1
    let readBuffer: UnsafeMutableRawBufferPointer
    var dateCache = HTTPDateCache()
    var shutdownDeadline: HTTPInstant?
    var acceptPaused = false
    var lastTick = HTTPInstant(nanoseconds: 0)
    let tickNanoseconds: UInt64
    var now = HTTPInstant.now()

    init(context: ServerContext, listenerFD: Int32) throws(HTTPError) {
        self.context = context
        self.listenerFD = listenerFD
        epollFD = csys_epoll_create()
        wakeFD = csys_eventfd()
        guard epollFD >= 0, wakeFD >= 0 else { throw HTTPError(.system, "epoll/eventfd creation failed (errno \(errno))") }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        tickNanoseconds = max(1_000_000, context.configuration.tickInterval.nanosecondsClamped)
        guard csys_epoll_add(epollFD, wakeFD, csys_epollin(), Self.wakeToken) == 0,
              csys_epoll_add(epollFD, listenerFD, csys_epollin(), Self.listenerToken) == 0
        else { throw HTTPError(.system, "epoll_ctl failed (errno \(errno))") }
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Cross-thread entry

    func submit(_ command: LoopCommand) {
        let needsWake = inbox.withLock { inbox -> Bool in
            guard !inbox.closed else { return false }
            inbox.commands.append(command)
            defer { inbox.signalled = true }
            return !inbox.signalled
        }
        if needsWake { _ = csys_eventfd_signal(wakeFD) }
    }

    // MARK: The loop

    /// Runs until shutdown has closed every connection.
    func run() {
        let capacity = 256
        let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer {
            tokens.deallocate()
            events.deallocate()
            if listenerFD >= 0 { close(listenerFD) }
            inbox.withLock { inbox in
                inbox.closed = true
                inbox.commands.removeAll()
            }
            close(wakeFD)
            close(epollFD)
        }
        let tickMilliseconds = Int32(clamping: tickNanoseconds / 1_000_000)
        while true {
            let count = csys_epoll_wait(epollFD, tokens, events, Int32(capacity), openConnections > 0 || shutdownDeadline != nil ? tickMilliseconds : 1000)
            if count < 0 { epollWaitFailed(errno: errno) }
            now = .now()
            if count > 0 {
                for i in 0..<Int(count) {
                    handleEvent(token: tokens[i], events: events[i])
                }
            }
            if now.nanoseconds(since: lastTick) >= tickNanoseconds {
                lastTick = now
                tick()
            }
            if shutdownDeadline != nil && openConnections == 0 { return }
        }
    }

    func handleEvent(token: UInt64, events: UInt32) {
        switch token {
        case Self.wakeToken:
            _ = csys_eventfd_drain(wakeFD)
            drainInbox()
        case Self.listenerToken:
            acceptConnections()
        default:
            let fd = Int32(truncatingIfNeeded: token & 0xFFFF_FFFF)
            let serial = UInt32(truncatingIfNeeded: token >> 32)
            guard let connection = connection(ConnectionID(fd: fd, serial: serial)) else { return }
            if events & (csys_epollerr() | csys_epollhup()) != 0 {
                closeConnection(connection)
                return
            }
            if events & (csys_epollin() | csys_epollrdhup()) != 0 {
                if !connection.readPaused {
                    readable(connection)
                } else if events & csys_epollrdhup() != 0 {
                    // Paused (pipelined backlog): the EOF is read after resuming.
                    connection.peerHalfClosedMasked = true
                    updateInterest(connection)
                }
            }
            if events & csys_epollout() != 0, isOpen(connection) {
                flush(connection)
            }
        }
    }

    func drainInbox() {
        let commands = inbox.withLock { inbox -> [LoopCommand] in
            inbox.signalled = false
            defer { inbox.commands.removeAll(keepingCapacity: true) }
            return inbox.commands
        }
        for command in commands { perform(command) }
    }

    func connection(_ id: ConnectionID) -> Connection? {
        let index = Int(id.fd)
        guard index >= 0, index < connections.count, let connection = connections[index], connection.id.serial == id.serial else {
            return nil
        }
        return connection
    }

    func isOpen(_ connection: Connection) -> Bool {
        let index = Int(connection.id.fd)
        return index < connections.count && connections[index] === connection
    }

    static func token(for id: ConnectionID) -> UInt64 { UInt64(UInt32(bitPattern: id.fd)) | UInt64(id.serial) << 32 }

    // MARK: Accepting

    func acceptConnections() {
        guard listenerFD >= 0 else { return }
        for _ in 0..<64 {
            let fd = csys_accept(listenerFD)
            guard fd >= 0 else {
                // Out of descriptors: the listener stays readable, so stop watching it
                // until the next tick instead of spinning on it.
                if fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM {
                    if !acceptPaused {
                        context.logger.warning("accept failed, pausing accepting until the next tick",
                                               metadata: ["errno": "\(-fd)", "error": "\(Self.describe(errno: -fd))"])
                    }
                    pauseAccepting()
                } else if fd != -EAGAIN && fd != -EINTR {
                    // ECONNABORTED and the like: one client's connection, not the server's health.
                    context.logger.debug("accept failed", metadata: ["errno": "\(-fd)", "error": "\(Self.describe(errno: -fd))"])
                }
                return
            }
            guard context.counter.tryAcquire() else {
                rejectOverLimit(fd)
                continue
            }
            register(fd)
        }
    }

    /// EINTR is a signal arriving (SIGTERM during shutdown); anything else is a broken loop.
    func epollWaitFailed(errno code: Int32) {
        guard code != EINTR else { return }
        context.logger.error("epoll_wait failed", metadata: ["errno": "\(code)", "error": "\(Self.describe(errno: code))"])
    }

    static func describe(errno code: Int32) -> String { String(cString: strerror(code)) }

    func pauseAccepting() {
        guard !acceptPaused, listenerFD >= 0 else { return }
        acceptPaused = true
        _ = csys_epoll_del(epollFD, listenerFD)
    }

    func resumeAccepting() {
        guard acceptPaused, listenerFD >= 0 else { return }
        acceptPaused = false
        _ = csys_epoll_add(epollFD, listenerFD, csys_epollin(), Self.listenerToken)
    }

    func register(_ fd: Int32) {
        let id = ConnectionID(fd: fd, serial: nextSerial)
        nextSerial = nextSerial == .max ? 1 : nextSerial + 1
        let machine = HTTPConnectionStateMachine(limits: context.configuration.limits, timeouts: context.configuration.timeouts, now: now)
        let connection = Connection(id: id, machine: machine, now: now)
        guard csys_epoll_add(epollFD, fd, csys_epollin() | csys_epollrdhup(), Self.token(for: id)) == 0 else {
            close(fd)
            context.counter.release()
            return
        }
        let index = Int(fd)
        if index >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: index - connections.count + 1))
        }
        connections[index] = connection
        openConnections += 1
        if shutdownDeadline != nil { _ = connection.machine.beginShutdown() }
    }

    /// Too many connections: one best-effort 503 with `Connection: close`, then close (RFC 9110 §15.6.4).
    func rejectOverLimit(_ fd: Int32) {
        let response = context.errorResponder(HTTPError(.serviceUnavailable, "too many connections"), nil)
        var bytes: [UInt8] = []
        encode(response, into: &bytes, method: .get, version: .http1_1, keepAlive: false)
        _ = bytes.withUnsafeBytes { csys_send(fd, $0.baseAddress, UInt($0.count)) }
        _ = csys_shutdown_write(fd)
        close(fd)
    }

    // MARK: Closing

    /// Closes now; a handler still running is cancelled.
    func closeConnection(_ connection: Connection) {
        guard isOpen(connection) else { return }
        _ = csys_epoll_del(epollFD, connection.id.fd)
        close(connection.id.fd)
        connections[Int(connection.id.fd)] = nil
        openConnections -= 1
        context.counter.release()
        if let writer = connection.inFlight {
            writer.cancel()
            connection.task?.cancel()
        }
        connection.inFlight = nil
        connection.task = nil
        connection.stream = nil
    }

    /// Sends our FIN and waits (bounded) for the client's, discarding input.
    func beginLingeringClose(_ connection: Connection) {
        guard connection.lingerUntil == nil else { return }
        _ = csys_shutdown_write(connection.id.fd)
        connection.lingerUntil = now + .seconds(2)
        if connection.readPaused { resumeReading(connection) }
    }

    // MARK: Timers

    func tick() {
        resumeAccepting()
        let stallNanoseconds = context.configuration.timeouts.writeStall.nanosecondsClamped
        let forceClose = shutdownDeadline.map { now >= $0 } ?? false
        for case let connection? in connections {
            if forceClose {
                closeConnection(connection)
                continue
            }
            if let until = connection.lingerUntil {
                if now >= until { closeConnection(connection) }
                continue
            }
            if connection.pendingOutputBytes > 0, now.nanoseconds(since: connection.lastWriteProgress) >= stallNanoseconds {
                closeConnection(connection)
                continue
            }
            if let stream = connection.stream, let interval = stream.keepAliveNanoseconds,
               now.nanoseconds(since: stream.lastWrite) >= interval {
                appendStreamBytes(connection, stream.options.keepAliveBytes)
                flush(connection)
                continue
            }
            switch connection.machine.tick(now: now) {
            case .close:
                closeConnection(connection)
            case .sendErrorAndClose(let error, let head):
                sendErrorAndClose(connection, error, head)
            case .none, .dispatch, .sendContinue:
                break
            }
        }
    }

    // MARK: Shutdown

    func beginShutdown(deadline: HTTPInstant) {
        shutdownDeadline = deadline
        if listenerFD >= 0 {
            if !acceptPaused { _ = csys_epoll_del(epollFD, listenerFD) }
            close(listenerFD)
            listenerFD = -1
        }
        for case let connection? in connections where connection.lingerUntil == nil {
            if case .close = connection.machine.beginShutdown() {
                closeConnection(connection)
            }
        }
    }
}
