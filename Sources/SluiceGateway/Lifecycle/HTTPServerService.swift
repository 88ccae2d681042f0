import ServiceLifecycle

/// The gateway's HTTP server as a service. It is bound before the group runs (so the port is
/// known and printed first); the service lasts until every event loop has exited.
///
/// Graceful shutdown stops accepting and lets in-flight requests, streams included, finish
/// within `--shutdown-grace`; cancellation (a second signal) closes every connection at once.
struct HTTPServerService: Service, CustomStringConvertible {
    let gateway: Gateway
    var description: String { "HTTPServer" }

    func run() async {
        let gateway = gateway
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await gateway.waitUntilStopped()
            } onGracefulShutdown: {
                gateway.shutdown()
            }
        } onCancel: {
            // A later shutdown replaces the deadline: connections are closed at the next loop tick.
            gateway.server.shutdown(gracePeriod: .zero)
        }
    }
}
