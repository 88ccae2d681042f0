import Metrics
import Foundation
import Synchronization

/// Resident memory, open file descriptors and CPU time of this process, read from `/proc` and
/// `getrusage` when `/metrics` is scraped (nothing runs between scrapes).
final class ProcessMetrics: Sendable {
    private let residentBytes: Gauge
    private let openFDs: Gauge
    private let cpuSeconds: FloatingPointCounter
    /// CPU seconds already added to the counter: the counter only goes up, so each scrape adds
    /// what was used since the last one (two scrapes at once must not both add it).
    private let countedCPUSeconds = Mutex(0.0)

    init(factory: any MetricsFactory) {
        residentBytes = Gauge(label: "process_resident_memory_bytes", factory: factory)
        openFDs = Gauge(label: "process_open_fds", factory: factory)
        cpuSeconds = FloatingPointCounter(label: "process_cpu_seconds_total", factory: factory)
    }

    func update() {
        if let bytes = Self.residentMemoryBytes() { residentBytes.record(bytes) }
        if let count = Self.openFileDescriptors() { openFDs.record(count) }
        let used = Self.cpuSeconds()
        countedCPUSeconds.withLock { counted in
            guard used > counted else { return }
            cpuSeconds.increment(by: used - counted)
            counted = used
        }
    }

    /// Second field of `/proc/self/statm` (resident pages) times the page size; nil off Linux.
    static func residentMemoryBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of `/proc/self/fd`, less the one the listing itself opened; nil off Linux.
    static func openFileDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in name[0] == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
    }

    /// User plus system CPU time of every thread of the process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
