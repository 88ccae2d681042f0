import Metrics
import Synchronization

/// Requests and end-to-end latency by route pattern and status code. The route is the pattern
/// the router matched (`/v1/admin/keys/{id}`), never the raw path, so the label set stays
/// bounded whatever clients send; requests no route matched are `unmatched`.
struct HTTPMetrics: Sendable {
    static let unmatchedRoute = "unmatched"
    let factory: any MetricsFactory
    /// The series of requests no route took (404, 405, parse errors, the connection limit).
    let unmatched: RouteSeries

    init(factory: any MetricsFactory) {
        self.factory = factory
        unmatched = RouteSeries(route: Self.unmatchedRoute, factory: factory)
    }

    /// The series of one route, made once when the route is registered, so a request costs a
    /// short lock and a scan of the few statuses seen instead of a registry lookup with freshly
    /// built label strings (`bench/results/before_after_http.md`: `/health` went from 0.90× to
    /// 0.93× the pre-metrics binary's requests/s, within that bench's round-to-round spread).
    func series(route: String) -> RouteSeries { RouteSeries(route: route, factory: factory) }
}

/// One route's request counter and latency histogram per status code, made on first use.
final class RouteSeries: Sendable {
    private struct Series: Sendable {
        let status: Int
        let requests: Counter
        let duration: Recorder
    }

    let route: String
    private let factory: any MetricsFactory
    private let byStatus = Mutex<[Series]>([])

    init(route: String, factory: any MetricsFactory) {
        self.route = route
        self.factory = factory
    }

    func observe(status: Int, seconds: Double) {
        let series = byStatus.withLock { known -> Series in
            if let hit = known.first(where: { $0.status == status }) { return hit }
            let dimensions = [("route", route), ("status", String(status))]
            let made = Series(status: status,
                              requests: Counter(label: "sluice_http_requests_total", dimensions: dimensions, factory: factory),
                              duration: Recorder(label: "sluice_http_request_duration_seconds", dimensions: dimensions,
                                                 aggregate: true, factory: factory))
            known.append(made)
            return made
        }
        series.requests.increment()
        series.duration.record(seconds)
    }
}
