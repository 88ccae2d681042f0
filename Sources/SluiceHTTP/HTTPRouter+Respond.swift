extension HTTPRouter {
    /// Routes and runs `request` in process, with no socket: what the server
    /// would answer (404/405 from `errorResponder`, Allow included). For
    /// tests of routes and middleware; a streamed body is returned unrun.
    public func respond(to request: HTTPRequest,
                        errorResponder: HTTPErrorResponder = HTTPServerConfiguration.plainTextErrorResponder) async -> HTTPResponse {
        var request = request
        switch resolve(request.head.method, path: request.head.path) {
        case .notFound:
            return errorResponder(HTTPError(.notFound, "no route for \(request.head.method) \(request.head.path)"), request.head)
        case .methodNotAllowed(let allow):
            var response = errorResponder(HTTPError(.methodNotAllowed, "method \(request.head.method) not allowed"), request.head)
            response.headers.replaceOrAdd("Allow", allow.map(\.rawValue).joined(separator: ", "))
            return response
        case .found(let handler, let parameters):
            request.pathParameters = parameters
            switch handler {
            case .sync(let body): return body(request)
            case .async(let body): return await body(request)
            }
        }
    }
}
