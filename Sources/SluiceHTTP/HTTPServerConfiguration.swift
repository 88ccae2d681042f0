import Glibc

/// Builds the body of a response the server generates itself (400, 404, 405,
/// 408, 413, 431, 501, 503, ...). The gateway uses it to send its own error
/// envelope. `head` is the request head when it was parsed far enough.
public typealias HTTPErrorResponder = @Sendable (HTTPError, HTTPRequestHead?) -> HTTPResponse

public struct HTTPServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `HTTPServer.port` tells which.
    public var port: Int
    /// Event loop threads, each with its own SO_REUSEPORT listener.
    public var eventLoopCount: Int
    public var backlog: Int
    public var limits: HTTPParserLimits
    public var timeouts: HTTPTimeouts
    /// Open connections over all loops; one more is answered 503 and closed.
    public var maxConnections: Int
    /// Hard bound on bytes a streamed response may have queued for a client
    /// before its latest chunk (at least `HTTPBodyWriter.highWaterBytes`).
    /// Producers never reach it through `HTTPBodyWriter.write`, which suspends
    /// past the high-water mark; past it the client is cut off and the handler
    /// cancelled. A client that takes no bytes for
    /// `timeouts.writeStall` is cut off too.
    public var maxBufferedOutputBytes: Int
    /// How often timeouts and stream keep-alives are checked.
    public var tickInterval: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, eventLoopCount: Int = HTTPServerConfiguration.coreCount,
                backlog: Int = 1024, limits: HTTPParserLimits = HTTPParserLimits(), timeouts: HTTPTimeouts = HTTPTimeouts(),
                maxConnections: Int = 1024, maxBufferedOutputBytes: Int = 1 << 20, tickInterval: Duration = .milliseconds(100)) {
        self.host = host
        self.port = port
        self.eventLoopCount = eventLoopCount
        self.backlog = backlog
        self.limits = limits
        self.timeouts = timeouts
        self.maxConnections = maxConnections
        self.maxBufferedOutputBytes = maxBufferedOutputBytes
        self.tickInterval = tickInterval
    }

    /// Online processors (at least 1).
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    func validate() throws(HTTPError) {
        guard (0...65535).contains(port) else { throw HTTPError(.invalidConfiguration, "port must be 0...65535") }
        guard eventLoopCount >= 1 else { throw HTTPError(.invalidConfiguration, "eventLoopCount must be at least 1") }
        guard maxConnections >= 1 else { throw HTTPError(.invalidConfiguration, "maxConnections must be at least 1") }
        guard limits.maxBodyBytes >= 0, limits.maxHeaderSectionBytes >= 64, limits.maxHeaderCount >= 1 else {
            throw HTTPError(.invalidConfiguration, "limits too small")
        }
    }

    /// A plain-text error body, for servers that do not set their own responder.
    public static let plainTextErrorResponder: HTTPErrorResponder = { error, _ in
        HTTPResponse(status: error.status, contentType: "text/plain; charset=utf-8", text: error.reason + "\n")
    }
}
