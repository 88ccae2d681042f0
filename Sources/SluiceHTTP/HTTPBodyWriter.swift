import Synchronization

/// The handler's side of one in-flight response. For streamed bodies it is
/// the writer: each `write` becomes one chunk, handed to the connection's event
/// loop at once (no coalescing delay), with flow control (see `highWaterBytes`). When the client goes away, the server
/// cuts it off or shuts down past its deadline, the writer is cancelled:
/// `isCancelled` turns true, `onCancel` handlers run, the handler's Task is
/// cancelled and every later `write` throws `HTTPError(.cancelled)`.
public final class HTTPBodyWriter: Sendable {
    struct State {
        var cancelled = false
        var finished = false
        var cancelHandlers: [@Sendable () -> Void] = []
        /// Bytes submitted that the loop has not yet taken from its inbox.
        var queuedBytes = 0
        /// Bytes the loop still holds for the client (reported after each flush).
        var backlogBytes = 0
        /// A producer suspended in `write` until the backlog drains.
        var waiter: CheckedContinuation<Void, Never>?

        var isOverHighWater: Bool { queuedBytes + backlogBytes > HTTPBodyWriter.highWaterBytes }
    }

    /// Flow control: past this many unsent bytes, `write` suspends until the
    /// client has taken them below `lowWaterBytes`. A fast producer thus runs
    /// at the client's pace; a client that stops reading altogether is cut off
    /// by the server's write-stall timeout.
    static let highWaterBytes = 256 * 1024
    static let lowWaterBytes = 64 * 1024

    let state = Mutex(State())
    let sink: any ResponseSink
    let connection: ConnectionID

    init(sink: any ResponseSink, connection: ConnectionID) {
        self.sink = sink
        self.connection = connection
    }

    /// True once the response can no longer reach the client.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Runs `handler` when the writer is cancelled (at once if it already is).
    /// Handlers run on the event loop thread: keep them short and non-blocking.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.cancelled { return true }
            state.cancelHandlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Sends `bytes` as one chunk of the body. Throws `.cancelled` when the
    /// client is gone.
    public func write(_ bytes: [UInt8]) async throws(HTTPError) {
        let mustWait = try submit(bytes)
        if mustWait {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.cancelled || !state.isOverHighWater { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            if isCancelled { throw HTTPError(.cancelled, "the client is gone") }
        }
    }

    public func write(_ text: String) async throws(HTTPError) {
        try await write(Array(text.utf8))
    }

    /// Hands `bytes` to the loop; returns whether the producer should now wait.
    func submit(_ bytes: [UInt8]) throws(HTTPError) -> Bool {
        let mustWait = state.withLock { state -> Bool? in
            if state.cancelled || state.finished { return nil }
            state.queuedBytes += bytes.count
            return state.isOverHighWater
        }
        guard let mustWait else { throw HTTPError(.cancelled, "the client is gone") }
        sink.submit(.write(self, bytes))
        return mustWait
    }

    /// Loop side: a write command of `count` bytes has been appended and flushed.
    func loopTook(_ count: Int) {
        updateFlowControl { $0.queuedBytes -= count }
    }

    /// Loop side: after a flush, `backlog` bytes are still waiting for the client.
    func loopReported(backlog: Int) {
        updateFlowControl { $0.backlogBytes = backlog }
    }

    /// Applies `change`, then wakes a waiting producer once the total is below the low-water mark.
    private func updateFlowControl(_ change: (inout State) -> Void) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state)
            guard state.queuedBytes + state.backlogBytes <= Self.lowWaterBytes, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Called by the server when the producer returns or throws.
    func finish(failed: Bool) {
        let first = state.withLock { state -> Bool in
            defer { state.finished = true }
            return !state.finished
        }
        if first { sink.submit(.finish(self, failed: failed)) }
    }

    /// Called by the event loop when the response can no longer be delivered.
    func cancel() {
        let (handlers, waiter) = state.withLock { state -> ([@Sendable () -> Void], CheckedContinuation<Void, Never>?) in
            guard !state.cancelled else { return ([], nil) }
            state.cancelled = true
            defer {
                state.cancelHandlers = []
                state.waiter = nil
            }
            return (state.cancelHandlers, state.waiter)
        }
        waiter?.resume()
        for handler in handlers { handler() }
    }
}

/// Writes Server-Sent Events (WHATWG HTML §9.2 "event stream"): each call is
/// one complete event, flushed as one chunk. Multi-line data is split into
/// several `data:` lines as the format requires.
public struct SSEWriter: Sendable {
    public let bodyWriter: HTTPBodyWriter

    public init(_ bodyWriter: HTTPBodyWriter) { self.bodyWriter = bodyWriter }

    public var isCancelled: Bool { bodyWriter.isCancelled }

    public func onCancel(_ handler: @escaping @Sendable () -> Void) { bodyWriter.onCancel(handler) }

    /// Sends one event. `data` may contain newlines; `event` and `id` must not.
    public func send(data: String, event: String? = nil, id: String? = nil) async throws(HTTPError) {
        try await bodyWriter.write(Self.encode(data: data, event: event, id: id))
    }

    static func encode(data: String, event: String?, id: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.utf8.count + 16)
        if let event { out.append(contentsOf: "event: \(singleLine(event))\n".utf8) }
        if let id { out.append(contentsOf: "id: \(singleLine(id))\n".utf8) }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: line.utf8.filter { $0 != 0x0D })
            out.append(0x0A)
        }
        out.append(0x0A)
        return out
    }

    static func singleLine(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\n" && $0 != "\r" })
    }
}
