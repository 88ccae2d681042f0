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
        writer.write(lineBytes: Self.formatBytes(format, time: clock(), level: event.level, label: label,
                                                 message: event.message.description, metadata: merged))
    }

    static func format(_ format: LogFormat, time: Double, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        String(decoding: formatBytes(format, time: time, level: level, label: label, message: message, metadata: metadata), as: UTF8.self)
    }

    /// Builds the line as bytes: appending to one buffer is several times
    /// cheaper than String interpolation, and this runs once per request.
    static func formatBytes(_ format: LogFormat, time: Double, level: Logger.Level, label: String, message: String,
                            metadata: Logger.Metadata) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        // Sorted pairs: one pass, no second lookup per key.
        let pairs = metadata.sorted { $0.key < $1.key }
        switch format {
        case .json:
            line.append(contentsOf: #"{"ts":"#.utf8)
            appendTimestamp(time, to: &line)
            line.append(contentsOf: #","level":""#.utf8)
            line.append(contentsOf: level.rawValue.utf8)
            line.append(contentsOf: #"","label":"#.utf8)
            line.append(contentsOf: JSONText.quoted(label).utf8)
            line.append(contentsOf: #","msg":"#.utf8)
            line.append(contentsOf: JSONText.quoted(message).utf8)
            for (key, value) in pairs {
                line.append(UInt8(ascii: ","))
                line.append(contentsOf: JSONText.quoted(key).utf8)
                line.append(UInt8(ascii: ":"))
                line.append(contentsOf: jsonValue(value).utf8)
            }
            line.append(UInt8(ascii: "}"))
        case .text:
            appendTimestamp(time, to: &line)
            line.append(0x20)
            line.append(contentsOf: level.rawValue.utf8)
            line.append(0x20)
            line.append(contentsOf: label.utf8)
            line.append(contentsOf: ": ".utf8)
            line.append(contentsOf: message.utf8)
            for (key, value) in pairs {
                line.append(0x20)
                line.append(contentsOf: key.utf8)
                line.append(UInt8(ascii: "="))
                line.append(contentsOf: textValue(value).utf8)
            }
        }
        return line
    }

    /// Unix seconds with milliseconds, e.g. `1700000000.123`.
    static func appendTimestamp(_ time: Double, to line: inout [UInt8]) {
        let millis = Int64((time * 1000).rounded())
        line.append(contentsOf: String(millis / 1000).utf8)
        line.append(UInt8(ascii: "."))
        let fraction = Int(millis % 1000)
        line.append(UInt8(0x30 + fraction / 100))
        line.append(UInt8(0x30 + fraction / 10 % 10))
        line.append(UInt8(0x30 + fraction % 10))
    }

    static func textValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        default: return value.description
        }
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
