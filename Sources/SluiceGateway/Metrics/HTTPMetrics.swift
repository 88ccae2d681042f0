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

    /// The series of one route, made once when the route is registered, so a request costs no
    /// registry lookup with freshly built label strings: that lookup took `/health` to 0.90× the
    /// requests/s of the binary without HTTP metrics; with per-route series it measured 1.05×
    /// (`bench/results/before_after_http.md`, interleaved).
    func series(route: String) -> RouteSeries { RouteSeries(route: route, factory: factory) }
}

/// One route's request counter and latency histogram per status code. The `200` series is made
/// with the route (Prometheus advises exposing known series at 0 from the start) and used without
/// any lock of ours; other statuses are made on first use.
final class RouteSeries: Sendable {
    private struct Series: Sendable {
        let status: Int
        let requests: Counter
        let duration: Recorder

        init(route: String, status: Int, factory: any MetricsFactory) {
            let dimensions = [("route", route), ("status", String(status))]
            self.status = status
            requests = Counter(label: "sluice_http_requests_total", dimensions: dimensions, factory: factory)
            duration = Recorder(label: "sluice_http_request_duration_seconds", dimensions: dimensions, aggregate: true,
                                factory: factory)
        }
    }

    let route: String
    private let factory: any MetricsFactory
    private let ok: Series
    private let others = Mutex<[Series]>([])

    init(route: String, factory: any MetricsFactory) {
        self.route = route
        self.factory = factory
        ok = Series(route: route, status: 200, factory: factory)
    }

    func observe(status: Int, seconds: Double) {
        let series = status == 200 ? ok : others.withLock { known -> Series in
            if let hit = known.first(where: { $0.status == status }) { return hit }
            let made = Series(route: route, status: status, factory: factory)
            known.append(made)
            return made
        }
        series.requests.increment()
        series.duration.record(seconds)
    }
}
