import Metrics
import Prometheus

/// A swift-metrics factory over one `PrometheusCollectorRegistry` that registers each series with
/// its `# HELP` text and, for histograms, its buckets.
///
/// `PrometheusMetricsFactory` registers everything with an empty help (and one bucket set per label
/// at most), and the registry stops the process when one name is registered twice with different
/// help texts, so every series this gateway records is described once, here, by name.
struct DescribedPrometheusFactory: MetricsFactory {
    struct Description: Sendable {
        var help: String
        /// Upper bounds of a histogram's buckets (`Recorder(aggregate: true)`); unused otherwise.
        var buckets: [Double] = []
    }

    let registry: PrometheusCollectorRegistry
    let descriptions: [String: Description]

    private func help(_ label: String) -> String { descriptions[label]?.help ?? "" }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(name: label, labels: dimensions, help: help(label)) }
        // A histogram without declared buckets would silently get a meaningless default set.
        let buckets = descriptions[label]?.buckets ?? []
        precondition(!buckets.isEmpty, "histogram \(label) has no buckets in GatewayMetrics.descriptions")
        return registry.makeValueHistogram(name: label, labels: dimensions, buckets: buckets, help: help(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = (descriptions[label]?.buckets ?? []).map { Duration.nanoseconds(Int64($0 * 1e9)) }
        precondition(!buckets.isEmpty, "timer \(label) has no buckets in GatewayMetrics.descriptions")
        return registry.makeDurationHistogram(name: label, labels: dimensions, buckets: buckets, help: help(label))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
