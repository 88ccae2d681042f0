import Glibc
import Logging
import SluiceHTTP

/// Output format of the logs (`--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object per line: `{"ts":…,"level":…,"label":…,"msg":…,<metadata>}`.
    case json
    /// `ts level label: msg key=value …`
    case text
}

/// A swift-log handler writing one line per event through a `LogLineWriter`.
public struct SluiceLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: LogFormat
    let writer: LogLineWriter
    let clock: @Sendable () -> Double

    public init(label: String, format: LogFormat, writer: LogLineWriter = .standardOutput,
                clock: @escaping @Sendable () -> Double = SluiceLogHandler.wallClock) {
        self.label = label
        self.format = format
        self.writer = writer
        self.clock = clock
    }

    public static let wallClock: @Sendable () -> Double = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The access log calls this per request: skip the merge when one side is empty.
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty { merged.merge(metadata) { event, _ in event } }
        writer.write(line: Self.format(format, time: clock(), level: event.level, label: label,
                                       message: event.message.description, metadata: merged))
    }

    static func format(_ format: LogFormat, time: Double, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .json:
            var line = "{\"ts\":\(timestamp(time)),\"level\":\"\(level)\",\"label\":\(JSONText.quoted(label)),\"msg\":\(JSONText.quoted(message))"
            for key in keys {
                guard let value = metadata[key] else { continue }
                line += ",\(JSONText.quoted(key)):\(jsonValue(value))"
            }
            return line + "}"
        case .text:
            var line = "\(timestamp(time)) \(level) \(label): \(message)"
            for key in keys {
                guard let value = metadata[key] else { continue }
                line += " \(key)=\(value)"
            }
            return line
        }
    }

    static func timestamp(_ time: Double) -> String {
        let millis = Int64((time * 1000).rounded())
        let fraction = millis % 1000
        let padded = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return "\(millis / 1000).\(padded)"
    }

    static func jsonValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return JSONText.quoted(text)
        case .stringConvertible(let convertible):
            // Numbers stay numbers in JSON; everything else is a string.
            let text = convertible.description
            if convertible is Int || convertible is Double || convertible is UInt64 || convertible is Int64 { return text }
            return JSONText.quoted(text)
        case .array(let values): return "[" + values.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let dict):
            return "{" + dict.keys.sorted().compactMap { key in dict[key].map { "\(JSONText.quoted(key)):\(jsonValue($0))" } }
                .joined(separator: ",") + "}"
        }
    }
}
