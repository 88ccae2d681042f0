/// HTTP version from the request line (RFC 9112 §2.3).
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "HTTP/\(major).\(minor)" }
}

/// How the request body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Hashable {
    case none
    case contentLength(Int)
    case chunked
}

/// The request line and header section, parsed and checked.
public struct HTTPRequestHead: Sendable, Hashable {
    public var method: HTTPMethod
    /// The request-target exactly as received (origin-form, e.g. `/v1/models?x=1`).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: HTTPBodyFraming
    /// Whether the client allows the connection to stay open after this
    /// exchange (RFC 9112 §9.3: HTTP/1.1 defaults to persistent, 1.0 does not).
    public var keepAlive: Bool
    /// `Expect: 100-continue` was sent (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                framing: HTTPBodyFraming = .none, keepAlive: Bool = true, expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// The path part of the target (before `?`). For an absolute-form target
    /// (`http://host/p`, which RFC 9112 §3.2.2 obliges servers to accept) it is
    /// the path after the authority.
    public var path: Substring {
        let pathAndQuery = self.pathAndQuery
        if let q = pathAndQuery.utf8.firstIndex(of: UInt8(ascii: "?")) { return pathAndQuery[..<q] }
        return pathAndQuery
    }

    /// The query part of the target (after `?`), or nil.
    public var query: Substring? {
        let pathAndQuery = self.pathAndQuery
        guard let q = pathAndQuery.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return pathAndQuery[pathAndQuery.index(after: q)...]
    }

    var pathAndQuery: Substring {
        if target.utf8.first == UInt8(ascii: "/") { return target[...] }
        guard let scheme = target.range(of: "://") else { return target[...] }
        let afterScheme = target[scheme.upperBound...]
        guard let slash = afterScheme.utf8.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else { return "/" }
        if afterScheme[slash] == "?" { return "/" + afterScheme[slash...] }
        return afterScheme[slash...]
    }
}

/// A complete request: head plus the whole body (bounded by the body limit).
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// Values of `{name}` segments of the matched route.
    public var pathParameters: [String: String]

    public init(head: HTTPRequestHead, body: [UInt8] = [], pathParameters: [String: String] = [:]) {
        self.head = head
        self.body = body
        self.pathParameters = pathParameters
    }

    public var method: HTTPMethod { head.method }
    public var path: Substring { head.path }
    public var headers: HTTPHeaders { head.headers }
}
