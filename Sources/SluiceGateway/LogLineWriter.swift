import Glibc
import SluiceSync

/// Writes log lines to a file descriptor from its own thread, so a slow or
/// full stdout (a pipe nobody drains) never blocks an event loop. Lines are
/// batched into one write per wake-up; past `maxBufferedBytes` new lines are
/// dropped and counted rather than growing memory without bound.
public final class LogLineWriter: @unchecked Sendable {
    public static let standardOutput = LogLineWriter(fd: STDOUT_FILENO)
    public static let standardError = LogLineWriter(fd: STDERR_FILENO)

    /// How long the first line of a batch may wait before it is written.
    static let batchDelayMicroseconds: UInt32 = 2000
    private let fd: Int32
    private let maxBufferedBytes: Int
    /// Guards the variables below; the writer thread parks on it while nothing is pending.
    private let condition = ConditionLock()
    private var pending: [UInt8] = []
    private var started = false
    private var flushing = false
    public private(set) var droppedLines = 0

    public init(fd: Int32, maxBufferedBytes: Int = 4 << 20) {
        self.fd = fd
        self.maxBufferedBytes = maxBufferedBytes
    }

    /// Appends one line (a newline is added).
    public func write(line: String) {
        write(lineBytes: Array(line.utf8))
    }

    /// Appends one line given as UTF-8 bytes (a newline is added).
    public func write(lineBytes line: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        if !started { startThread() }
        guard pending.count < maxBufferedBytes else {
            droppedLines += 1
            return
        }
        let wasEmpty = pending.isEmpty
        pending.append(contentsOf: line)
        pending.append(0x0A)
        // Only the first line of a batch wakes the writer (a wake-up per line
        // would cost a context switch per request under load).
        if wasEmpty { condition.signal() }
    }

    /// Blocks until everything written so far has reached the fd.
    public func flush() {
        condition.lock()
        while !pending.isEmpty || flushing {
            condition.unlock()
            usleep(1000)
            condition.lock()
        }
        condition.unlock()
    }

    private func startThread() {
        started = true
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<LogLineWriter>.fromOpaque(raw).takeRetainedValue().drainForever()
            return nil
        }, context)
        pthread_detach(thread)
    }

    private func drainForever() {
        var batch: [UInt8] = []
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            // Let the batch grow for a moment: one write for many lines.
            condition.unlock()
            usleep(Self.batchDelayMicroseconds)
            condition.withLock {
                swap(&batch, &pending)
                flushing = true
            }
            batch.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count, let base = raw.baseAddress {
                    let n = Glibc.write(fd, base + offset, raw.count - offset)
                    if n > 0 { offset += n } else if errno != EINTR { break }
                }
            }
            batch.removeAll(keepingCapacity: true)
            condition.withLock { flushing = false }
        }
    }
}
