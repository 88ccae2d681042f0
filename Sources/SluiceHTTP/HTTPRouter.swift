/// A route handler. `sync` handlers run inline on the event loop thread: use
/// them only for cheap, non-blocking work (health, static lists); they skip
/// the Task hop. `async` handlers run on Swift's concurrency pool.
public enum HTTPHandler: Sendable {
    case sync(@Sendable (HTTPRequest) -> HTTPResponse)
    case async(@Sendable (HTTPRequest) async -> HTTPResponse)
}

/// Method + path → handler. Patterns are `/`-separated segments where
/// `{name}` matches any one non-empty segment. Static paths are looked up in
/// a dictionary; patterned ones are tried in registration order.
public struct HTTPRouter: Sendable {
    public enum Resolution: Sendable {
        case found(HTTPHandler, pathParameters: [String: String])
        case notFound
        /// The path exists but not for this method; `allow` lists the methods that do (RFC 9110 §15.5.6).
        case methodNotAllowed(allow: [HTTPMethod])
    }

    enum Segment: Sendable, Hashable {
        case literal(Substring)
        case parameter(String)
    }

    struct PatternRoute: Sendable {
        var pattern: String
        var segments: [Segment]
        var handlers: [HTTPMethod: HTTPHandler]
        var methodOrder: [HTTPMethod]
    }

    struct StaticRoute: Sendable {
        var handlers: [HTTPMethod: HTTPHandler] = [:]
        var methodOrder: [HTTPMethod] = []
    }

    var staticRoutes: [String: StaticRoute] = [:]
    var patternRoutes: [PatternRoute] = []

    public init() {}

    /// Registers `handler` for `method` on `pattern`; a later registration for
    /// the same method and pattern replaces the earlier one.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: HTTPHandler) {
        let segments = Self.segments(of: pattern)
        if !segments.contains(where: { if case .parameter = $0 { true } else { false } }) {
            var route = staticRoutes[pattern] ?? StaticRoute()
            if route.handlers.updateValue(handler, forKey: method) == nil { route.methodOrder.append(method) }
            staticRoutes[pattern] = route
            return
        }
        if let index = patternRoutes.firstIndex(where: { $0.segments == segments }) {
            if patternRoutes[index].handlers.updateValue(handler, forKey: method) == nil {
                patternRoutes[index].methodOrder.append(method)
            }
        } else {
            patternRoutes.append(PatternRoute(pattern: pattern, segments: segments, handlers: [method: handler], methodOrder: [method]))
        }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        add(.get, pattern, .sync(handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        add(.get, pattern, .async(handler))
    }

    public mutating func post(_ pattern: String, _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        add(.post, pattern, .async(handler))
    }

    /// Finds the handler. HEAD falls back to GET (RFC 9110 §9.3.2); the server
    /// then sends the GET response's head without its content.
    public func resolve(_ method: HTTPMethod, path: Substring) -> Resolution {
        if let route = staticRoutes[String(path)] {
            return Self.pick(method, route.handlers, route.methodOrder, parameters: [:])
        }
        guard !patternRoutes.isEmpty else { return .notFound }
        let parts = Self.segments(of: String(path))
        for route in patternRoutes where route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (expected, actual) in zip(route.segments, parts) {
                guard case .literal(let value) = actual else { matched = false; break }
                switch expected {
                case .literal(let literal) where literal == value: continue
                case .parameter(let name) where !value.isEmpty: parameters[name] = String(value)
                default: matched = false
                }
                if !matched { break }
            }
            if matched { return Self.pick(method, route.handlers, route.methodOrder, parameters: parameters) }
        }
        return .notFound
    }

    static func pick(_ method: HTTPMethod, _ handlers: [HTTPMethod: HTTPHandler], _ order: [HTTPMethod],
                     parameters: [String: String]) -> Resolution {
        if let handler = handlers[method] { return .found(handler, pathParameters: parameters) }
        if method == .head, let handler = handlers[.get] { return .found(handler, pathParameters: parameters) }
        var allow = order
        if handlers[.get] != nil && handlers[.head] == nil { allow.append(.head) }
        return .methodNotAllowed(allow: allow)
    }

    static func segments(of path: String) -> [Segment] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(part)
        }
    }
}
