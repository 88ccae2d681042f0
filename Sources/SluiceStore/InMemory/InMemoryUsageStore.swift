import Foundation
import Synchronization

/// Usage counters per key and UTC day, in memory (lost on restart, like the limits).
public final class InMemoryUsageStore: UsageStore {
    private struct Bucket: Hashable {
        let keyID: String
        let day: String
    }

    private let counters = Mutex<[Bucket: DailyUsage]>([:])

    public init() {}

    public func record(keyID: String, at date: Date, requests: Int, promptTokens: Int,
                       completionTokens: Int) async throws(StoreError) {
        let day = BudgetCalendar.dayString(epochMicros: Int64(date.timeIntervalSince1970 * 1e6))
        counters.withLock { counters in
            var usage = counters[Bucket(keyID: keyID, day: day)]
                ?? DailyUsage(day: day, requests: 0, promptTokens: 0, completionTokens: 0)
            usage.requests += requests
            usage.promptTokens += promptTokens
            usage.completionTokens += completionTokens
            counters[Bucket(keyID: keyID, day: day)] = usage
        }
    }

    public func usage(keyID: String, from: Date, to: Date) async throws(StoreError) -> [DailyUsage] {
        let days = UsageDays.days(from: from, to: to)
        return counters.withLock { counters in days.compactMap { counters[Bucket(keyID: keyID, day: $0)] } }
    }
}

enum UsageDays {
    static let maximumDays = 400

    /// UTC day strings from `from` to `to`, inclusive, at most `maximumDays`.
    static func days(from: Date, to: Date) -> [String] {
        let dayMicros: Int64 = 86_400_000_000
        let start = BudgetCalendar.floorDiv(Int64(from.timeIntervalSince1970 * 1e6), dayMicros)
        let end = BudgetCalendar.floorDiv(Int64(to.timeIntervalSince1970 * 1e6), dayMicros)
        guard end >= start else { return [] }
        let last = min(end, start + Int64(maximumDays) - 1)
        return (start...last).map { BudgetCalendar.dayString(epochMicros: $0 * dayMicros) }
    }
}
