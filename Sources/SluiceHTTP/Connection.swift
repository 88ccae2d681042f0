/// One accepted socket, owned by exactly one event loop thread (never shared).
/// The decisions live in `machine`; this class only holds I/O state.
final class Connection {
    struct Stream {
        var options: HTTPStreamOptions
        var keepAliveNanoseconds: UInt64?
        var framing: ResponseFraming
        var keepAlive: Bool
        var lastWrite: HTTPInstant
    }

    let id: ConnectionID
    var machine: HTTPConnectionStateMachine
    /// Bytes waiting to be sent, from `outputOffset` on.
    var output: [UInt8] = []
    var outputOffset = 0
    var lastWriteProgress: HTTPInstant
    /// EPOLLOUT is registered (the socket buffer was full).
    var wantsWrite = false
    /// EPOLLIN is withheld (too many pipelined bytes while responding).
    var readPaused = false
    /// EPOLLRDHUP is withheld: the peer's FIN was seen while reading was
    /// paused, and a level-triggered event would otherwise fire forever.
    var peerHalfClosedMasked = false
    /// Close once `output` is flushed.
    var closeAfterFlush = false
    /// After our FIN, we read and discard until the client closes or this
    /// instant passes, so unread request bytes do not turn our last response
    /// into a reset (RFC 9112 §9.6).
    var lingerUntil: HTTPInstant?

    /// The request being handled asynchronously, its head (for HEAD and the
    /// version) and its Task.
    var inFlight: HTTPBodyWriter?
    var inFlightHead: HTTPRequestHead?
    var task: Task<Void, Never>?
    var stream: Stream?

    init(id: ConnectionID, machine: HTTPConnectionStateMachine, now: HTTPInstant) {
        self.id = id
        self.machine = machine
        self.lastWriteProgress = now
    }

    var pendingOutputBytes: Int { output.count - outputOffset }
}
