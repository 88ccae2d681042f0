import SluiceHTTP
import SluiceStore

/// OpenAI's rate-limit headers (research gateway.md §3.2): `x-ratelimit-{limit,remaining,reset}-
/// {requests,tokens}`, the reset as a Go `time.Duration` string (`1s`, `6m0s`, `12ms`) because
/// that is what OpenAI sends and what SDK dashboards parse. A limit the key does not have is
/// not reported.
public enum RateLimitHeaders {
    public static func fields(_ status: RateLimitStatus) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(6)
        if let requests = status.requests {
            fields.append(("x-ratelimit-limit-requests", String(requests.limit)))
            fields.append(("x-ratelimit-remaining-requests", String(requests.remaining)))
            fields.append(("x-ratelimit-reset-requests", goDuration(requests.resetAfter)))
        }
        if let tokens = status.tokens {
            fields.append(("x-ratelimit-limit-tokens", String(tokens.limit)))
            fields.append(("x-ratelimit-remaining-tokens", String(tokens.remaining)))
            fields.append(("x-ratelimit-reset-tokens", goDuration(tokens.resetAfter)))
        }
        return fields
    }

    /// Adds (or replaces) the headers on a response.
    public static func apply(_ status: RateLimitStatus, to headers: inout HTTPHeaders) {
        for field in fields(status) { headers.replaceOrAdd(field.name, field.value) }
    }

    /// `Retry-After` (RFC 9110 §10.2.3) is whole seconds: round the exact GCRA wait up, at least 1,
    /// so a client that honours it is never early.
    public static func retryAfterSeconds(_ wait: Duration) -> Int {
        let micros = microseconds(wait)
        return max(1, Int((micros + 999_999) / 1_000_000))
    }

    /// Go's `time.Duration.String()` at microsecond precision: `0s`, `250µs`, `12ms`, `1.5s`,
    /// `6m0s`, `1h0m0s` (hours and minutes appear once the value reaches them; fractions
    /// keep no trailing zeros).
    public static func goDuration(_ duration: Duration) -> String {
        let micros = max(0, microseconds(duration))
        if micros == 0 { return "0s" }
        if micros < 1_000 { return "\(micros)µs" }
        if micros < 1_000_000 { return fixed(micros, scale: 1_000) + "ms" }
        let totalSeconds = micros / 1_000_000
        let fractionMicros = micros % 1_000_000
        let hours = totalSeconds / 3_600
        let minutes = (totalSeconds % 3_600) / 60
        let seconds = fixed((totalSeconds % 60) * 1_000_000 + fractionMicros, scale: 1_000_000) + "s"
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(minutes)m\(seconds)" }
        return seconds
    }

    /// `value / scale` with the fraction written without trailing zeros (`12345, 1000` → `12.345`).
    static func fixed(_ value: Int64, scale: Int64) -> String {
        let whole = value / scale
        var fraction = value % scale
        guard fraction != 0 else { return String(whole) }
        var digits = String(scale).count - 1
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
