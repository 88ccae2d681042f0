import SluiceAPI
import SluiceHTTP
import SluiceStore

// The one place where every failure becomes an OpenAI error (status, envelope, code, `param`,
// Retry-After): HTTP-layer rejections, validation (already an `APIError` from SluiceAPI),
// access and store failures, admission refusals, and the backend's `InferenceFailure`. Callers
// switch on typed kinds, never on error-code strings; there is one envelope type, `APIError`.

extension APIError {
    /// An error the HTTP layer generated itself (parser limits, unknown route, timeouts).
    public init(_ error: HTTPError) {
        let status = error.status.code
        switch error.kind {
        case .malformedRequest:
            self = .invalidRequest("Malformed HTTP request: \(error.reason)", param: nil, code: "bad_request")
        case .headerSectionTooLarge, .tooManyHeaders:
            self = .invalidRequest("Request headers too large: \(error.reason)", param: nil, code: "request_header_fields_too_large")
        case .contentTooLarge:
            self = .invalidRequest("Request body too large: \(error.reason)", param: nil, code: "request_too_large")
        case .unsupportedTransferCoding:
            self = .invalidRequest("Unsupported transfer coding", param: nil, code: "not_implemented")
        case .versionNotSupported:
            self = .invalidRequest("HTTP version not supported", param: nil, code: "http_version_not_supported")
        case .expectationFailed:
            self = .invalidRequest("Unsupported Expect header", param: nil, code: "expectation_failed")
        case .requestTimeout:
            self = .invalidRequest("Request not received in time", param: nil, code: "request_timeout")
        case .serviceUnavailable:
            // RFC 9110 §10.2.3: tell a client turned away at the connection limit when to retry.
            self = APIError(status: status, message: "Server is at its connection limit, retry later", type: "server_error",
                            code: "service_unavailable", retryAfterSeconds: 1)
        case .notFound:
            self = .invalidRequest("Unknown request URL: \(error.reason)", param: nil, code: "not_found")
        case .methodNotAllowed:
            self = .invalidRequest("Method not allowed: \(error.reason)", param: nil, code: "method_not_allowed")
        case .cancelled, .system, .invalidConfiguration:
            self = APIError(status: status, message: "Internal server error", type: "server_error", code: "internal_error")
        }
        self.status = status
    }

    /// A backend failure. `promptParam` is the request field that carries the prompt
    /// (`messages` for chat, `prompt` for completions): a context-length error names it.
    public init(_ failure: InferenceFailure, promptParam: String) {
        switch failure {
        case let .contextLengthExceeded(requested, limit):
            self = .contextLengthExceeded(requestedTokens: requested, limit: limit, param: promptParam)
        case let .overloaded(retryAfterSeconds):
            self = .overloaded(retryAfterSeconds: retryAfterSeconds)
        case let .invalidJob(message):
            self = .invalidRequest(message, param: nil)
        case .timedOut:
            self = APIError(status: 504, message: "The request timed out before it finished.", type: "server_error", code: "timeout")
        case .shuttingDown:
            self = APIError(status: 503, message: "The server is shutting down.", type: "server_error", code: "shutting_down",
                            retryAfterSeconds: 5)
        case .backendFailed:
            // The detail is logged where it happened; the body stays generic.
            self = .internal()
        }
    }

    /// A key, limit or usage store failure while doing `what` (finishes "…, so <what>").
    /// Unreachable stores are 503 + Retry-After (the `closed` failure policy); a lost race is 409.
    public init(_ error: StoreError, what: String) {
        switch error.kind {
        case .unavailable, .timeout:
            self = APIError(status: 503, message: "The key and rate-limit store is unavailable, so \(what); please retry shortly.",
                            type: "server_error", code: "store_unavailable", retryAfterSeconds: 1)
        case .notFound:
            self = APIError(status: 404, message: error.message, type: "invalid_request_error", code: "key_not_found")
        case .invalidArgument:
            self = .invalidRequest(error.message, param: nil)
        case .conflict:
            self = APIError(status: 409, message: "The key changed concurrently; retry.", type: "invalid_request_error", code: "conflict")
        case .corruptData, .io, .unexpectedReply:
            self = .internal()
        }
    }

    /// A request the key's limits refuse: 429 with the limit that refused it and when to retry.
    public init(_ rejection: AdmissionRejection, reserved: Int, limits: RateLimits) {
        switch rejection.reason {
        case .rateLimited(let wait):
            let seconds = RateLimitHeaders.retryAfterSeconds(wait)
            let which: String
            if let requests = rejection.status.requests, requests.remaining < 1 {
                which = "requests per minute (RPM): Limit \(requests.limit), Remaining \(requests.remaining)"
            } else if let tokens = rejection.status.tokens {
                which = "tokens per minute (TPM): Limit \(tokens.limit), Remaining \(tokens.remaining), Requested \(reserved)"
            } else {
                which = "requests per minute (RPM)"
            }
            self = .rateLimited("Rate limit reached for this API key on \(which). Please try again in \(seconds)s.",
                                retryAfterSeconds: seconds)
        case .concurrency:
            let limit = limits.maxConcurrentRequests ?? 0
            self = .rateLimited("Too many concurrent requests for this API key (limit \(limit)). "
                                    + "Please retry when a request has finished.", retryAfterSeconds: 1)
        case .quotaExceeded:
            self = APIError(status: 429, message: "You exceeded your current quota: the token budget of this API key "
                                + "for the current period is spent.", type: "insufficient_quota", code: "insufficient_quota")
        }
    }

    /// The JSON response carrying this error, with `Retry-After` when it has one and the key's
    /// `x-ratelimit-*` headers when a limit was consulted.
    public func response(rateLimits: RateLimitStatus? = nil) -> HTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        for header in self.headers { headers.replaceOrAdd(header.name, header.value) }
        if let rateLimits { RateLimitHeaders.apply(rateLimits, to: &headers) }
        return HTTPResponse(status: HTTPStatus(code: status), headers: headers, bytes: jsonBody)
    }
}
