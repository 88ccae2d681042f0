import SluiceHTTP

/// OpenAI's error body: `{"error":{"message","type","param","code"}}`.
/// (When SluiceAPI grows its own envelope type, this moves there.)
public struct OpenAIErrorEnvelope: Sendable, Hashable {
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var json: String {
        let param = self.param.map(JSONText.quoted) ?? "null"
        let code = self.code.map(JSONText.quoted) ?? "null"
        return "{\"error\":{\"message\":\(JSONText.quoted(message)),\"type\":\(JSONText.quoted(type)),\"param\":\(param),\"code\":\(code)}}"
    }

    /// The envelope for an error the HTTP layer generated itself.
    public init(_ error: HTTPError) {
        switch error.kind {
        case .malformedRequest: self.init(message: "Malformed HTTP request: \(error.reason)", code: "bad_request")
        case .headerSectionTooLarge, .tooManyHeaders:
            self.init(message: "Request headers too large: \(error.reason)", code: "request_header_fields_too_large")
        case .contentTooLarge: self.init(message: "Request body too large: \(error.reason)", code: "request_too_large")
        case .unsupportedTransferCoding: self.init(message: "Unsupported transfer coding", code: "not_implemented")
        case .versionNotSupported: self.init(message: "HTTP version not supported", code: "http_version_not_supported")
        case .expectationFailed: self.init(message: "Unsupported Expect header", code: "expectation_failed")
        case .requestTimeout: self.init(message: "Request not received in time", code: "request_timeout")
        case .serviceUnavailable:
            self.init(message: "Server is at its connection limit, retry later", type: "server_error", code: "service_unavailable")
        case .notFound: self.init(message: "Unknown request URL: \(error.reason)", code: "not_found")
        case .methodNotAllowed: self.init(message: "Method not allowed: \(error.reason)", code: "method_not_allowed")
        case .cancelled, .system, .invalidConfiguration:
            self.init(message: "Internal server error", type: "server_error", code: "internal_error")
        }
    }

    /// A JSON response carrying this envelope.
    public func response(status: HTTPStatus) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], bytes: Array(json.utf8))
    }
}
