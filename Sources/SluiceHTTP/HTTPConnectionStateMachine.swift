/// Timeouts that protect a connection's reading side.
public struct HTTPTimeouts: Sendable, Hashable {
    /// From the first byte of a request to the end of its header section:
    /// a slowloris client trickling header bytes is cut off after this.
    public var readHead: Duration
    /// From the end of the header section to the end of the body.
    public var readBody: Duration
    /// A keep-alive connection with no request in progress is closed after this.
    public var idle: Duration
    /// A response whose bytes the client does not take for this long is cut off.
    public var writeStall: Duration

    public init(readHead: Duration = .seconds(10), readBody: Duration = .seconds(30),
                idle: Duration = .seconds(60), writeStall: Duration = .seconds(30)) {
        self.readHead = readHead
        self.readBody = readBody
        self.idle = idle
        self.writeStall = writeStall
    }
}

/// The decisions for one HTTP/1.1 connection, free of I/O (decide, then act:
/// cf. Hummingbird's HTTPConnectionStateHandler). The shell feeds it bytes,
/// response completions, EOF and clock ticks; it answers with actions.
///
/// Requests are handled one at a time: while a response is in progress,
/// pipelined bytes wait in the parser, so responses go out in request order
/// (RFC 9112 §9.3.2).
public struct HTTPConnectionStateMachine: Sendable {
    public enum Action: Sendable {
        /// Nothing to do until more bytes, a response completion or a tick.
        case none
        /// A complete request: run its handler, then call `responseCompleted`.
        case dispatch(HTTPRequest)
        /// Write `HTTP/1.1 100 Continue` now (RFC 9110 §10.1.1), then keep reading.
        case sendContinue
        /// Answer with this error's status, then close (the framing can no longer be trusted).
        case sendErrorAndClose(HTTPError, HTTPRequestHead?)
        /// Close the connection (after flushing what was already written).
        case close
    }

    public enum State: Sendable, Equatable {
        /// Between requests, nothing received yet.
        case idle(since: HTTPInstant)
        /// Bytes of a request head have arrived.
        case readingHead(since: HTTPInstant)
        /// The head is parsed; the body is arriving.
        case readingBody(since: HTTPInstant)
        /// A request is with its handler; `keepAlive` says whether the
        /// connection may be reused after the response.
        case responding(keepAlive: Bool)
        case closed
    }

    public private(set) var state: State
    var parser: HTTPRequestParser
    var pendingHead: HTTPRequestHead?
    let timeouts: HTTPTimeouts
    /// Set by graceful shutdown: finish the current exchange, then close.
    public private(set) var closeAfterCurrentExchange = false
    /// Past this many unparsed bytes while a response is in progress, the
    /// shell stops reading: a pipelining client cannot make us buffer without bound.
    let maxBufferedWhileResponding: Int

    public init(limits: HTTPParserLimits = HTTPParserLimits(), timeouts: HTTPTimeouts = HTTPTimeouts(), now: HTTPInstant) {
        parser = HTTPRequestParser(limits: limits)
        self.timeouts = timeouts
        state = .idle(since: now)
        maxBufferedWhileResponding = max(64 * 1024, limits.maxHeaderSectionBytes * 2)
    }

    /// Bytes arrived from the client.
    public mutating func received(_ bytes: UnsafeRawBufferPointer, now: HTTPInstant) {
        guard state != .closed, bytes.count > 0 else { return }
        parser.append(bytes)
        if case .idle = state { state = .readingHead(since: now) }
    }

    public mutating func received(_ bytes: [UInt8], now: HTTPInstant) {
        bytes.withUnsafeBytes { received($0, now: now) }
    }

    /// Whether the shell should stop reading for now (resume after the response).
    public var shouldPauseReading: Bool {
        if case .responding = state { return parser.bufferedByteCount >= maxBufferedWhileResponding }
        return false
    }

    /// The next action; the shell calls this until it returns `.none`.
    public mutating func nextAction(now: HTTPInstant) -> Action {
        switch state {
        case .closed, .responding:
            return .none
        case .idle, .readingHead, .readingBody:
            break
        }
        while true {
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                state = .closed
                return .sendErrorAndClose(error, pendingHead)
            }
            switch event {
            case nil:
                if parser.isAtMessageBoundary, case .readingHead = state { state = .idle(since: now) }
                return .none
            case .head(let head)?:
                pendingHead = head
                state = .readingBody(since: now)
                if head.expectsContinue { return .sendContinue }
            case .end(let body)?:
                guard let head = pendingHead else { return .none }
                pendingHead = nil
                state = .responding(keepAlive: head.keepAlive && !closeAfterCurrentExchange)
                return .dispatch(HTTPRequest(head: head, body: body))
            }
        }
    }

    /// The response to the dispatched request has been fully handed to the
    /// shell. `keepAlive` is false when the response itself ends the connection
    /// (e.g. a close-delimited body). Returns `.close` or `.none`; after
    /// `.none`, call `nextAction` for pipelined requests.
    public mutating func responseCompleted(keepAlive: Bool = true, now: HTTPInstant) -> Action {
        guard case .responding(let requestKeepAlive) = state else { return .none }
        guard requestKeepAlive && keepAlive && !closeAfterCurrentExchange else {
            state = .closed
            return .close
        }
        state = parser.bufferedByteCount == 0 ? .idle(since: now) : .readingHead(since: now)
        return .none
    }

    /// The head waiting for its body (after `.sendContinue`), if any.
    public var headAwaitingBody: HTTPRequestHead? { pendingHead }

    /// The shell answers a request before reading its body (e.g. no route for
    /// an `Expect: 100-continue` upload, RFC 9110 §10.1.1): the unread body
    /// makes the framing unusable, so the connection ends after that answer.
    public mutating func answeredWithoutBody() {
        pendingHead = nil
        state = .closed
    }

    /// Whether the response now being produced must carry `Connection: close`.
    public var responseKeepsAlive: Bool {
        if case .responding(let keepAlive) = state { return keepAlive && !closeAfterCurrentExchange }
        return false
    }

    /// The client closed its side (EOF). Nothing more can arrive: close,
    /// which also cancels a response in progress.
    public mutating func inputClosed() -> Action {
        guard state != .closed else { return .none }
        state = .closed
        return .close
    }

    /// When the next timeout would fire, for the shell's timer.
    public var deadline: HTTPInstant? {
        switch state {
        case .idle(let since): since + timeouts.idle
        case .readingHead(let since): since + timeouts.readHead
        case .readingBody(let since): since + timeouts.readBody
        case .responding, .closed: nil
        }
    }

    /// Clock tick: closes an idle connection past its idle timeout; answers
    /// 408 to a request that is too slow to arrive.
    public mutating func tick(now: HTTPInstant) -> Action {
        guard let deadline, now >= deadline else { return .none }
        switch state {
        case .idle:
            state = .closed
            return .close
        case .readingHead, .readingBody:
            state = .closed
            return .sendErrorAndClose(HTTPError(.requestTimeout, "request not received in time"), pendingHead)
        case .responding, .closed:
            return .none
        }
    }

    /// Graceful shutdown: an idle connection closes now; one mid-exchange
    /// finishes it with `Connection: close`.
    public mutating func beginShutdown() -> Action {
        closeAfterCurrentExchange = true
        if case .idle = state {
            state = .closed
            return .close
        }
        return .none
    }
}
