import Synchronization

/// Identifies a connection across threads: fd numbers are reused after close,
/// so a serial number tells a stale message from a live one.
struct ConnectionID: Sendable, Hashable {
    var fd: Int32
    var serial: UInt32
}

/// Work handed to an event loop from other threads.
enum LoopCommand: Sendable {
    /// An async handler's response for the request `writer` belongs to.
    case respond(HTTPBodyWriter, HTTPResponse)
    /// An async handler's streamed response: write its head; the handler's task then runs the
    /// producer, whose chunks follow as `write`s.
    case startStream(HTTPBodyWriter, HTTPResponse)
    /// One chunk of a streamed body.
    case write(HTTPBodyWriter, [UInt8])
    /// The stream producer returned (`failed: false`) or threw.
    case finish(HTTPBodyWriter, failed: Bool)
    /// Graceful shutdown: stop accepting; close what is idle; force-close at the deadline.
    case shutdown(deadline: HTTPInstant)
}

/// Where a writer sends its commands (the event loop owning its connection).
protocol ResponseSink: Sendable {
    func submit(_ command: LoopCommand)
}

/// Connections counted over every loop, for the `maxConnections` limit.
final class ConnectionCounter: Sendable {
    private let count = Mutex(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func tryAcquire() -> Bool {
        count.withLock { value in
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    func release() { count.withLock { $0 -= 1 } }
}
