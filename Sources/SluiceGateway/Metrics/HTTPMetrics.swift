import Metrics

/// Requests and end-to-end latency by route pattern and status code. The route is the pattern
/// the router matched (`/v1/admin/keys/{id}`), never the raw path, so the label set stays
/// bounded whatever clients send; requests no route matched are `unmatched`.
struct HTTPMetrics: Sendable {
    static let unmatchedRoute = "unmatched"
    let factory: any MetricsFactory

    func observe(route: String, status: Int, seconds: Double) {
        // The registry returns the series it already has for these labels, so a counter made per
        // request costs one lookup under the registry's lock.
        let dimensions = [("route", route), ("status", String(status))]
        Counter(label: "sluice_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Recorder(label: "sluice_http_request_duration_seconds", dimensions: dimensions, aggregate: true, factory: factory)
            .record(seconds)
    }
}
