import Glibc

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
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var pending: [UInt8] = []
    private var started = false
    private var flushing = false
    public private(set) var droppedLines = 0

    public init(fd: Int32, maxBufferedBytes: Int = 4 << 20) {
        self.fd = fd
        self.maxBufferedBytes = maxBufferedBytes
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Appends one line (a newline is added).
    public func write(line: String) {
        write(lineBytes: Array(line.utf8))
    }

    /// Appends one line given as UTF-8 bytes (a newline is added).
    public func write(lineBytes line: [UInt8]) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
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
        if wasEmpty { pthread_cond_signal(condition) }
    }

    /// Blocks until everything written so far has reached the fd.
    public func flush() {
        pthread_mutex_lock(mutex)
        while !pending.isEmpty || flushing {
            pthread_mutex_unlock(mutex)
            usleep(1000)
            pthread_mutex_lock(mutex)
        }
        pthread_mutex_unlock(mutex)
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
            pthread_mutex_lock(mutex)
            while pending.isEmpty { pthread_cond_wait(condition, mutex) }
            // Let the batch grow for a moment: one write for many lines.
            pthread_mutex_unlock(mutex)
            usleep(Self.batchDelayMicroseconds)
            pthread_mutex_lock(mutex)
            swap(&batch, &pending)
            flushing = true
            pthread_mutex_unlock(mutex)
            batch.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count, let base = raw.baseAddress {
                    let n = Glibc.write(fd, base + offset, raw.count - offset)
                    if n > 0 { offset += n } else if errno != EINTR { break }
                }
            }
            batch.removeAll(keepingCapacity: true)
            pthread_mutex_lock(mutex)
            flushing = false
            pthread_mutex_unlock(mutex)
        }
    }
}
