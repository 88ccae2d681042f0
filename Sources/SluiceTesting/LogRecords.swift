import Logging
import Synchronization

/// Every message a logger received, with its level and metadata: for tests that a failure is
/// logged once at the right level, or that the access log has one line per request.
public final class LogRecords: Sendable {
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: Logger.Metadata
    }

    private let records = Mutex<[Entry]>([])

    public init() {}

    /// A logger (all levels) whose messages are kept here.
    public func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(records: self) }
    }

    public var entries: [Entry] { records.withLock { $0 } }

    public func messages(_ level: Logger.Level) -> [String] {
        entries.filter { $0.level == level }.map(\.message)
    }

    struct Handler: LogHandler {
        let records: LogRecords
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let entry = Entry(level: event.level, message: "\(event.message)", metadata: event.metadata ?? [:])
            records.records.withLock { $0.append(entry) }
        }
    }
}
