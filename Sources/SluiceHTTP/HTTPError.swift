/// The one error type of SluiceHTTP. `kind` says what went wrong (and maps to
/// the status a server sends for it); `reason` is a human-readable detail that
/// is safe to show a client (it never echoes request bytes).
public struct HTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Syntax or framing the server refuses (RFC 9112): 400.
        case malformedRequest
        /// Request line plus header section over the limit: 431.
        case headerSectionTooLarge
        /// More header fields than allowed: 431.
        case tooManyHeaders
        /// Body over the limit: 413.
        case contentTooLarge
        /// A transfer coding other than `chunked` (RFC 9112 §6.1): 501.
        case unsupportedTransferCoding
        /// A major version other than 1 (RFC 9110 §15.6.6): 505.
        case versionNotSupported
        /// An `Expect` value other than `100-continue` (RFC 9110 §10.1.1): 417.
        case expectationFailed
        /// The client took too long to send its request: 408.
        case requestTimeout
        /// Too many connections: 503.
        case serviceUnavailable
        /// No route for the path: 404.
        case notFound
        /// A route exists for the path but not for the method: 405.
        case methodNotAllowed
        /// The client went away or the server cut it off; writes fail with this.
        case cancelled
        /// A socket call failed (bind, listen, ...).
        case system
        /// The server configuration cannot work (bad host, zero limits).
        case invalidConfiguration
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The status a server answers this error with.
    public var status: HTTPStatus {
        switch kind {
        case .malformedRequest: .badRequest
        case .headerSectionTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        case .contentTooLarge: .contentTooLarge
        case .unsupportedTransferCoding: .notImplemented
        case .versionNotSupported: .httpVersionNotSupported
        case .expectationFailed: .expectationFailed
        case .requestTimeout: .requestTimeout
        case .serviceUnavailable: .serviceUnavailable
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .cancelled, .system, .invalidConfiguration: .internalServerError
        }
    }

    public var description: String { "\(kind): \(reason)" }

    static func malformed(_ reason: String) -> HTTPError { HTTPError(.malformedRequest, reason) }
}
