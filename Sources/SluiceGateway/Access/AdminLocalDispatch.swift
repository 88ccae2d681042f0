import Foundation
import Logging
import SluiceHTTP

/// Runs admin API calls in process against a store opened directly (no server): what
/// `sluice keys --redis URL` and `sluice keys --data-dir DIR` use. The same routes, validation
/// and JSON as the HTTP admin API, so both paths answer identically.
public final class AdminLocalDispatch: Sendable {
    let control: AccessControl
    let router: HTTPRouter

    /// Opens the store `configuration` names; `adminKey` is ignored (a local caller is the admin).
    public init(configuration: AccessConfiguration) throws(GatewayError) {
        var configuration = configuration
        configuration.adminKey = nil
        var logger = Logger(label: "sluice.keys")
        logger.logLevel = .error
        control = try AccessControl.open(configuration, logger: logger)
        var router = HTTPRouter()
        for route in AdminRoutes(control: control, now: { Date() }).all { router.add(route.method, route.path, route.handler) }
        self.router = router
    }

    /// - Returns: the HTTP status and the JSON body the admin API would have answered.
    public func call(method: String, target: String, body: [UInt8]) async -> (status: Int, body: [UInt8]) {
        let head = HTTPRequestHead(method: HTTPMethod(method), target: target)
        guard case .found(let handler, let parameters) = router.resolve(head.method, path: head.path) else {
            return (404, Array(#"{"error":{"message":"no such admin route","type":"invalid_request_error","param":null,"code":"not_found"}}"#.utf8))
        }
        let request = HTTPRequest(head: head, body: body, pathParameters: parameters)
        let response: HTTPResponse
        switch handler {
        case .sync(let run): response = run(request)
        case .async(let run): response = await run(request)
        }
        guard case .bytes(let bytes) = response.body else { return (response.status.code, []) }
        return (response.status.code, bytes)
    }

    public func shutdown() { control.shutdown() }
}
