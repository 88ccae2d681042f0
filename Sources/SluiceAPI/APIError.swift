// The OpenAI error envelope, built in one place (openai_compat.md §1.8):
//   {"error": {"message": str, "type": str, "param": str|null, "code": str|null}}
// All four keys are always present and `code` is a string or null: clients break on integer
// codes (LiteLLM #4970) and on bodiless errors (LiteLLM #1554).

public struct APIError: Error, Hashable, Sendable {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds for the `Retry-After` header (429, 503); openai-python honours it up to 120 s.
    public var retryAfterSeconds: Int?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil,
                retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// 400: a parameter with the wrong type or value; `param` is its JSON path.
    public static func invalidRequest(_ message: String, param: String?, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 400: the body is not JSON at all.
    public static func invalidJSON(_ error: JSONParseError) -> APIError {
        invalidRequest("We could not parse the JSON body of your request: \(error). The body must be a valid JSON object.",
                       param: nil, code: "invalid_json")
    }

    /// 404 for an unknown model id (I36).
    public static func modelNotFound(_ model: String) -> APIError {
        APIError(status: 404, message: "The model `\(model)` does not exist or you do not have access to it.",
                 type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    /// 400 when prompt + max tokens cannot fit (I30's wording).
    public static func contextLengthExceeded(requestedTokens: Int, limit: Int, param: String = "messages") -> APIError {
        invalidRequest("This model's maximum context length is \(limit) tokens. However, you requested \(requestedTokens) tokens "
                       + "(prompt plus max tokens). Please reduce the length of the prompt or the maximum number of tokens.",
                       param: param, code: "context_length_exceeded")
    }

    /// 503 + Retry-After when the waiting queue is full: back-pressure, never an unbounded queue.
    public static func overloaded(retryAfterSeconds: Int = 1) -> APIError {
        APIError(status: 503, message: "The engine is currently overloaded, please try again later.",
                 type: "server_error", code: "engine_overloaded", retryAfterSeconds: retryAfterSeconds)
    }

    /// 429 + Retry-After for a per-key limit.
    public static func rateLimited(_ message: String, retryAfterSeconds: Int, type: String = "requests") -> APIError {
        APIError(status: 429, message: message, type: type, code: "rate_limit_exceeded", retryAfterSeconds: retryAfterSeconds)
    }

    /// 401 for a missing, unknown, revoked or expired key (I33).
    public static func unauthorized(_ message: String = "Incorrect API key provided.") -> APIError {
        APIError(status: 401, message: message, type: "invalid_request_error", code: "invalid_api_key")
    }

    /// 500: details stay in the log, not in the body.
    public static func `internal`(_ message: String = "The server had an error while processing your request. Sorry about that!") -> APIError {
        APIError(status: 500, message: message, type: "server_error")
    }

    /// Extra response headers (`Retry-After`).
    public var headers: [(name: String, value: String)] {
        guard let retryAfterSeconds else { return [] }
        return [("Retry-After", String(retryAfterSeconds))]
    }

    public var envelope: ErrorEnvelope {
        ErrorEnvelope(error: .init(message: message, type: type, param: param, code: code))
    }

    /// The JSON body: `{"error":{...}}`.
    public var jsonBody: [UInt8] { WireJSON.encode(envelope) }
}

/// `ErrorResponse` in the OpenAI spec.
public struct ErrorEnvelope: Codable, Hashable, Sendable {
    public struct Body: Codable, Hashable, Sendable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?

        public init(message: String, type: String, param: String?, code: String?) {
            self.message = message
            self.type = type
            self.param = param
            self.code = code
        }

        // Explicit nulls: the schema requires `param` and `code` keys even when null.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }
    }
    public var error: Body
}
