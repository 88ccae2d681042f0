import Foundation
import SluiceAPI
import SluiceHTTP

/// Browser access to the OpenAI routes (`--cors-origins`). Pure: request head in, headers or a
/// preflight response out; `Gateway` registers the `OPTIONS` routes and wraps the handlers.
///
/// - A preflight from an allowed origin gets 204 with `Access-Control-Allow-Origin` (the request's
///   origin, never `*`, so it also works for credentialed requests), `-Allow-Methods`, `-Allow-Headers`
///   (the requested ones echoed, or `Authorization, Content-Type`), `-Max-Age` and `Vary`.
/// - A preflight from any other origin gets 403 with an OpenAI error body and no CORS headers: the
///   browser refuses the call either way, and 403 tells a person reading the network tab why.
/// - An `OPTIONS` without `Origin` is not a preflight: 204 with `Allow`.
/// - Preflights never need an API key (browsers send them without `Authorization`).
public struct CORSPolicy: Sendable, Hashable {
    /// Normalised origins (`scheme://host[:port]`, lower case); empty: CORS off.
    public let origins: Set<String>
    /// `*` was configured: every origin is allowed (only on an open loopback server).
    public let allowsAnyOrigin: Bool

    /// Seconds a browser may cache a preflight answer (Chromium caps it at 7200).
    public static let maxAgeSeconds = 7200
    /// Response headers a page's script may read: request ids, rate limits, back-off.
    public static let exposedHeaders = [
        "x-request-id", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", "retry-after",
    ].joined(separator: ", ")
    static let defaultAllowedHeaders = "Authorization, Content-Type"

    public init(origins: [String]) {
        allowsAnyOrigin = origins.contains("*")
        self.origins = Set(origins.filter { $0 != "*" }.map(Self.normalise))
    }

    public var isEnabled: Bool { allowsAnyOrigin || !origins.isEmpty }

    public func allows(origin: String) -> Bool {
        isEnabled && (allowsAnyOrigin || origins.contains(Self.normalise(origin)))
    }

    /// The answer to `OPTIONS` on a route that serves `methods`.
    public func preflight(_ head: HTTPRequestHead, methods: [HTTPMethod]) -> HTTPResponse {
        let allow = (methods + [.options]).map(\.rawValue).joined(separator: ", ")
        guard let origin = head.headers["Origin"] else {
            return HTTPResponse(status: .noContent, headers: ["Allow": allow])
        }
        guard allows(origin: origin) else {
            return APIError(status: 403, message: "Origin \(origin) is not allowed by this server's --cors-origins",
                            type: "invalid_request_error", code: "cors_origin_not_allowed").response()
        }
        var headers: HTTPHeaders = [:]
        headers.add("Access-Control-Allow-Origin", origin)
        headers.add("Access-Control-Allow-Methods", allow)
        headers.add("Access-Control-Allow-Headers", Self.allowedHeaders(requested: head.headers["Access-Control-Request-Headers"]))
        headers.add("Access-Control-Max-Age", String(Self.maxAgeSeconds))
        headers.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        return HTTPResponse(status: .noContent, headers: headers)
    }

    /// Adds the headers an actual (non-preflight) response to an allowed origin carries.
    public func decorate(_ response: inout HTTPResponse, requestHead head: HTTPRequestHead) {
        guard isEnabled else { return }
        // Vary on every response: a shared cache must not hand one origin's answer to another.
        response.headers.add("Vary", "Origin")
        guard let origin = head.headers["Origin"], allows(origin: origin) else { return }
        response.headers.replaceOrAdd("Access-Control-Allow-Origin", origin)
        response.headers.replaceOrAdd("Access-Control-Expose-Headers", Self.exposedHeaders)
    }

    /// The requested header names, echoed when they are all plain tokens (so nothing odd is
    /// reflected into a response header); otherwise the two an OpenAI client needs.
    static func allowedHeaders(requested: String?) -> String {
        guard let requested, !requested.isEmpty else { return defaultAllowedHeaders }
        let names = requested.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let token = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~").union(.alphanumerics)
        guard names.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.isASCII && token.contains($0) } }) else {
            return defaultAllowedHeaders
        }
        return names.joined(separator: ", ")
    }

    static func normalise(_ origin: String) -> String {
        var text = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// One configured origin: `*` or `http(s)://host[:port]` without a path.
    static func validate(origin: String) throws(GatewayError) {
        if origin == "*" { return }
        let text = normalise(origin)
        let rest: Substring
        if text.hasPrefix("https://") { rest = text.dropFirst(8) }
        else if text.hasPrefix("http://") { rest = text.dropFirst(7) }
        else { throw GatewayError(.invalidConfiguration, "cors-origins: \(origin) must be * or http(s)://host[:port]") }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else {
            throw GatewayError(.invalidConfiguration, "cors-origins: \(origin) must be an origin (scheme://host[:port]) without a path")
        }
    }
}

extension GatewayConfiguration {
    static let corsSettings: [GatewaySetting] = [
        GatewaySetting("cors-origins", "origins",
                       "Browser origins allowed to call the OpenAI routes (comma list or repeated, e.g. http://localhost:3000); * only on an open loopback server.",
                       default: .described("none (CORS off)"), kind: .list { config, values throws(GatewayError) in
            for origin in values { try CORSPolicy.validate(origin: origin) }
            config.corsOrigins = values
        }),
    ]

    public var corsPolicy: CORSPolicy { CORSPolicy(origins: corsOrigins) }

    /// `*` lets any web page drive the server: only where the server is already open to the machine
    /// alone (no admin key, loopback address), e.g. a local playground.
    func validateCORS() throws(GatewayError) {
        guard corsOrigins.contains("*") else { return }
        guard access.isOpen, Self.isLoopback(host) else {
            throw GatewayError(.invalidConfiguration,
                               "cors-origins * is allowed only on an open loopback server (no admin key, host 127.0.0.1/::1/localhost); "
                                   + "list the origins instead, e.g. --cors-origins https://app.example.com")
        }
    }
}

extension CORSPolicy {
    /// `handler` with the CORS response headers added; unchanged when CORS is off.
    func wrap(_ handler: HTTPHandler) -> HTTPHandler {
        guard isEnabled else { return handler }
        switch handler {
        case .sync(let body):
            return .sync { request in
                var response = body(request)
                decorate(&response, requestHead: request.head)
                return response
            }
        case .async(let body):
            return .async { request in
                var response = await body(request)
                decorate(&response, requestHead: request.head)
                return response
            }
        }
    }
}
