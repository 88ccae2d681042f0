/// A cumulative histogram in the Prometheus text exposition format (version 0.0.4):
/// `name_bucket{le="…"}` counts observations ≤ le (cumulative, ending with `+Inf`), then
/// `name_sum` and `name_count`. Not thread-safe: `InferenceMetrics` guards it.
struct PrometheusHistogram: Sendable {
    let name: String
    let help: String
    let bounds: [Double]
    private(set) var counts: [UInt64]
    private(set) var sum = 0.0
    private(set) var count: UInt64 = 0

    init(name: String, help: String, bounds: [Double]) {
        self.name = name
        self.help = help
        self.bounds = bounds.sorted()
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        sum += value
        count += 1
        // Stored per bucket, made cumulative when rendered.
        if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
    }

    func render(into out: inout String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative: UInt64 = 0
        for (bound, bucket) in zip(bounds, counts) {
            cumulative += bucket
            out += "\(name)_bucket{le=\"\(PrometheusText.number(bound))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(count)\n"
        out += "\(name)_sum \(PrometheusText.number(sum))\n\(name)_count \(count)\n"
    }
}

enum PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Prometheus floats: Go's formatting accepts plain decimal and exponent forms.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func metric(_ name: String, type: String, help: String, _ value: Double, into out: inout String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(number(value))\n"
    }
}
