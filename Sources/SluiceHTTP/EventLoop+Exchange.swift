import CSluiceSystem
import Glibc

/// Reading requests, running handlers and writing responses on the loop thread.
extension EventLoop {
    // MARK: Reading

    func readable(_ connection: Connection) {
        let received = csys_recv(connection.id.fd, readBuffer.baseAddress, UInt(readBuffer.count))
        if received == 0 {
            // EOF. Mid-response this means the client is gone: cancel the handler.
            // With only finished bytes left to send (a client that half-closed after
            // its request), send them first; reading stops so EOF is not seen again.
            if connection.inFlight == nil && connection.pendingOutputBytes > 0 && connection.lingerUntil == nil {
                connection.closeAfterFlush = true
                connection.peerHalfClosedMasked = true
                pauseReading(connection)
            } else {
                closeConnection(connection)
            }
            return
        }
        if received < 0 {
            if received != -Int(EAGAIN) && received != -Int(EINTR) { closeConnection(connection) }
            return
        }
        if connection.lingerUntil != nil { return }  // discarding input until the client's FIN
        connection.machine.received(UnsafeRawBufferPointer(rebasing: readBuffer[0..<received]), now: now)
        process(connection)
        flush(connection)
    }

    /// Runs the state machine's actions until it waits.
    func process(_ connection: Connection) {
        while isOpen(connection), !connection.closeAfterFlush {
            switch connection.machine.nextAction(now: now) {
            case .none:
                if connection.machine.shouldPauseReading && !connection.readPaused { pauseReading(connection) }
                return
            case .sendContinue:
                // RFC 9110 §10.1.1: a request we will refuse anyway gets its final
                // status instead of 100, so the client need not send the body.
                if let head = connection.machine.headAwaitingBody, let refusal = refusal(for: head) {
                    connection.machine.answeredWithoutBody()
                    encode(refusal, into: &connection.output, method: head.method, version: head.version, keepAlive: false)
                    connection.closeAfterFlush = true
                    return
                }
                connection.output.append(contentsOf: HTTPResponseEncoder.continueResponse)
            case .dispatch(let request):
                dispatch(request, on: connection)
            case .sendErrorAndClose(let error, let head):
                sendErrorAndClose(connection, error, head)
                return
            case .close:
                connection.closeAfterFlush = true
                return
            }
        }
    }

    func pauseReading(_ connection: Connection) {
        connection.readPaused = true
        updateInterest(connection)
    }

    func resumeReading(_ connection: Connection) {
        connection.readPaused = false
        updateInterest(connection)
    }

    func updateInterest(_ connection: Connection) {
        // RDHUP is level-triggered: once seen while not reading, stop asking for it.
        var events: UInt32 = connection.peerHalfClosedMasked ? 0 : csys_epollrdhup()
        if !connection.readPaused { events |= csys_epollin() }
        if connection.wantsWrite { events |= csys_epollout() }
        _ = csys_epoll_mod(epollFD, connection.id.fd, events, Self.token(for: connection.id))
    }

    // MARK: Handlers

    /// The router's 404 or 405 (with Allow) for `head`, or nil when a route exists.
    func refusal(for head: HTTPRequestHead) -> HTTPResponse? {
        switch context.router.resolve(head.method, path: head.path) {
        case .found: return nil
        case .notFound: return notFoundResponse(head)
        case .methodNotAllowed(let allow): return methodNotAllowedResponse(head, allow)
        }
    }

    func notFoundResponse(_ head: HTTPRequestHead) -> HTTPResponse {
        context.errorResponder(HTTPError(.notFound, "no route for \(head.method) \(head.path)"), head)
    }

    func methodNotAllowedResponse(_ head: HTTPRequestHead, _ allow: [HTTPMethod]) -> HTTPResponse {
        var response = context.errorResponder(HTTPError(.methodNotAllowed, "method \(head.method) not allowed"), head)
        response.headers.replaceOrAdd("Allow", allow.map(\.rawValue).joined(separator: ", "))
        return response
    }

    func dispatch(_ request: HTTPRequest, on connection: Connection) {
        var request = request
        switch context.router.resolve(request.head.method, path: request.head.path) {
        case .notFound:
            writeResponse(notFoundResponse(request.head), for: request.head, on: connection, writer: nil)
        case .methodNotAllowed(let allow):
            writeResponse(methodNotAllowedResponse(request.head, allow), for: request.head, on: connection, writer: nil)
        case .found(let handler, let parameters):
            request.pathParameters = parameters
            switch handler {
            case .sync(let body):
                // Cheap handlers run inline: no Task, no thread hop.
                writeResponse(body(request), for: request.head, on: connection, writer: nil)
            case .async(let body):
                let writer = HTTPBodyWriter(sink: self, connection: connection.id)
                connection.inFlight = writer
                connection.inFlightHead = request.head
                let request = request
                let head = request.head
                connection.task = Task {
                    let response = await body(request)
                    // A streamed body's producer runs here, in the handler's own task, once the
                    // loop has written the head: no second task just to start it. Commands from
                    // one task reach the loop in order, so the head precedes every chunk.
                    guard case .stream(_, let producer) = response.body, Self.sendsBody(response, for: head) else {
                        writer.sink.submit(.respond(writer, response))
                        return
                    }
                    writer.sink.submit(.startStream(writer, response))
                    do {
                        try await producer(writer)
                        writer.finish(failed: false)
                    } catch {
                        writer.finish(failed: true)
                    }
                }
            }
        }
    }

    /// Encodes `response` for the request `head`; a stream starts its producer in a new task
    /// (sync handlers only: an async handler's task runs its own producer, see `dispatch`).
    func writeResponse(_ response: HTTPResponse, for head: HTTPRequestHead, on connection: Connection, writer: HTTPBodyWriter?) {
        let keepAlive = connection.machine.responseKeepsAlive && !response.headers.hasToken("close", in: "Connection")
        switch response.body {
        case .bytes:
            encode(response, into: &connection.output, method: head.method, version: head.version, keepAlive: keepAlive)
            completeResponse(connection, keepAlive: keepAlive)
        case .stream(let options, let producer):
            if !Self.sendsBody(response, for: head) {
                encodeStreamHead(response, into: &connection.output, framing: .chunked, version: head.version, keepAlive: keepAlive)
                completeResponse(connection, keepAlive: keepAlive)
                return
            }
            let writer = writer ?? HTTPBodyWriter(sink: self, connection: connection.id)
            beginStream(response, options: options, for: head, on: connection, writer: writer, keepAlive: keepAlive)
            connection.task = Task {
                do {
                    try await producer(writer)
                    writer.finish(failed: false)
                } catch {
                    writer.finish(failed: true)
                }
            }
        }
    }

    /// Whether a body goes on the wire at all: not for HEAD, not for 1xx/204/304 (RFC 9110 §6.4.1).
    static func sendsBody(_ response: HTTPResponse, for head: HTTPRequestHead) -> Bool {
        head.method != .head && response.status.mayHaveBody
    }

    /// Writes a streamed response's head and readies the connection for its chunks; the
    /// producer runs elsewhere (its own task, or the handler's).
    func beginStream(_ response: HTTPResponse, options: HTTPStreamOptions, for head: HTTPRequestHead, on connection: Connection,
                     writer: HTTPBodyWriter, keepAlive: Bool) {
        // HTTP/1.0 has no chunked coding: the body ends with the connection (RFC 9112 §6.3 (8)).
        let framing: ResponseFraming = head.version.minor >= 1 ? .chunked : .closeDelimited
        let streamKeepAlive = keepAlive && framing == .chunked
        encodeStreamHead(response, into: &connection.output, framing: framing, version: head.version, keepAlive: streamKeepAlive)
        connection.inFlight = writer
        connection.inFlightHead = head
        connection.stream = Connection.Stream(
            options: options, keepAliveNanoseconds: options.keepAliveInterval.map { max(1, $0.nanosecondsClamped) },
            framing: framing, keepAlive: streamKeepAlive, lastWrite: now)
    }

    func encodeStreamHead(_ response: HTTPResponse, into out: inout [UInt8], framing: ResponseFraming, version: HTTPVersion, keepAlive: Bool) {
        HTTPResponseEncoder.encodeHead(into: &out, status: response.status, headers: response.headers, framing: framing,
                                       keepAlive: keepAlive, requestVersion: version, date: dateCache.date(atEpochSecond: csys_wall_seconds()))
    }

    /// Encodes a bytes response (HEAD: the head only, with the GET length).
    func encode(_ response: HTTPResponse, into out: inout [UInt8], method: HTTPMethod, version: HTTPVersion, keepAlive: Bool) {
        let bytes: [UInt8]
        switch response.body {
        case .bytes(let body): bytes = body
        case .stream: bytes = []  // only server errors reach here, and they are never streamed
        }
        HTTPResponseEncoder.encodeHead(into: &out, status: response.status, headers: response.headers,
                                       framing: .contentLength(bytes.count), keepAlive: keepAlive, requestVersion: version,
                                       date: dateCache.date(atEpochSecond: csys_wall_seconds()))
        if method != .head && response.status.mayHaveBody { out.append(contentsOf: bytes) }
    }

    func completeResponse(_ connection: Connection, keepAlive: Bool) {
        connection.inFlight = nil
        connection.inFlightHead = nil
        connection.task = nil
        connection.stream = nil
        if case .close = connection.machine.responseCompleted(keepAlive: keepAlive, now: now) {
            connection.closeAfterFlush = true
        }
    }

    func sendErrorAndClose(_ connection: Connection, _ error: HTTPError, _ head: HTTPRequestHead?) {
        let response = context.errorResponder(error, head)
        encode(response, into: &connection.output, method: head?.method ?? .get, version: head?.version ?? .http1_1, keepAlive: false)
        connection.closeAfterFlush = true
        flush(connection)
    }

    // MARK: Commands from handlers

    func perform(_ command: LoopCommand) {
        switch command {
        case .shutdown(let deadline):
            beginShutdown(deadline: deadline)
        case .respond(let writer, let response):
            guard let connection = connection(writer.connection), connection.inFlight === writer,
                  let head = connection.inFlightHead else { return }
            writeResponse(response, for: head, on: connection, writer: writer)
            afterResponseProgress(connection)
        case .startStream(let writer, let response):
            guard let connection = connection(writer.connection), connection.inFlight === writer,
                  let head = connection.inFlightHead, case .stream(let options, _) = response.body else { return }
            let keepAlive = connection.machine.responseKeepsAlive && !response.headers.hasToken("close", in: "Connection")
            beginStream(response, options: options, for: head, on: connection, writer: writer, keepAlive: keepAlive)
            flush(connection)
        case .write(let writer, let bytes):
            // Counted as queued until appended and flushed, so the producer's view
            // of the backlog is never lower than the truth (it may briefly be higher).
            defer { writer.loopTook(bytes.count) }
            guard let connection = connection(writer.connection), connection.inFlight === writer, connection.stream != nil else { return }
            appendStreamBytes(connection, bytes)
            // Flow control keeps the backlog before this chunk under the high-water
            // mark (plus chunk framing); past the hard bound the producer is not
            // honouring it: cut the client off and cancel the producer.
            let bound = max(context.configuration.maxBufferedOutputBytes, HTTPBodyWriter.highWaterBytes) + 4096
            if connection.pendingOutputBytes - bytes.count > bound {
                closeConnection(connection)
                return
            }
            flush(connection)
        case .finish(let writer, let failed):
            guard let connection = connection(writer.connection), connection.inFlight === writer, let stream = connection.stream else { return }
            if failed {
                // Mid-body the status cannot change: end the connection without the
                // last chunk so the client sees the body as incomplete (RFC 9112 §8).
                connection.stream = nil
                connection.inFlight = nil
                connection.task = nil
                flushThenClose(connection)
                return
            }
            if stream.framing == .chunked { connection.output.append(contentsOf: HTTPResponseEncoder.lastChunk) }
            completeResponse(connection, keepAlive: stream.keepAlive)
            afterResponseProgress(connection)
        }
    }

    /// After an async response completed: serve pipelined requests, resume reading, write.
    func afterResponseProgress(_ connection: Connection) {
        if connection.inFlight == nil {
            process(connection)
            if connection.readPaused && !connection.machine.shouldPauseReading && isOpen(connection) { resumeReading(connection) }
        }
        flush(connection)
    }

    func appendStreamBytes(_ connection: Connection, _ bytes: [UInt8]) {
        guard var stream = connection.stream, !bytes.isEmpty else { return }
        if stream.framing == .chunked {
            HTTPResponseEncoder.encodeChunk(into: &connection.output, bytes)
        } else {
            connection.output.append(contentsOf: bytes)
        }
        stream.lastWrite = now
        connection.stream = stream
    }

    /// Tells a streaming producer how much output still waits (flow control).
    func reportBacklog(_ connection: Connection) {
        if connection.stream != nil, let writer = connection.inFlight {
            writer.loopReported(backlog: connection.pendingOutputBytes)
        }
    }

    func flushThenClose(_ connection: Connection) {
        connection.closeAfterFlush = true
        flush(connection)
    }

    // MARK: Writing

    /// Writes as much pending output as the socket takes; registers for
    /// EPOLLOUT when it is full; performs a pending close once drained.
    func flush(_ connection: Connection) {
        guard isOpen(connection) else { return }
        while connection.outputOffset < connection.output.count {
            let sent = connection.output.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return 0 }
                return csys_send(connection.id.fd, base + connection.outputOffset, UInt(raw.count - connection.outputOffset))
            }
            if sent > 0 {
                connection.outputOffset += sent
                connection.lastWriteProgress = now
            } else if sent == -Int(EAGAIN) || sent == -Int(EINTR) {
                if sent == -Int(EINTR) { continue }
                if !connection.wantsWrite {
                    // The write-stall clock starts when the client first stops taking bytes.
                    connection.lastWriteProgress = now
                    connection.wantsWrite = true
                    updateInterest(connection)
                }
                reportBacklog(connection)
                return
            } else {
                closeConnection(connection)
                return
            }
        }
        if connection.output.capacity > 256 * 1024 {
            connection.output = []
        } else {
            connection.output.removeAll(keepingCapacity: true)
        }
        connection.outputOffset = 0
        reportBacklog(connection)
        if connection.wantsWrite {
            connection.wantsWrite = false
            updateInterest(connection)
        }
        if connection.closeAfterFlush { beginLingeringClose(connection) }
    }
}
