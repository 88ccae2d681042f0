/// UTC calendar arithmetic for budget periods and usage days, without Foundation's
/// Calendar (pure and fast): Howard Hinnant's `civil_from_days` algorithm.
public enum BudgetCalendar {
    public struct CivilDate: Sendable, Hashable {
        public let year: Int
        public let month: Int
        public let day: Int
    }

    public static func civilDate(epochMicros: Int64) -> CivilDate {
        let days = Int(floorDiv(epochMicros, 86_400_000_000))
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return CivilDate(year: year, month: month, day: day)
    }

    /// `d20261130` or `m202611`: names the budget counter of the period containing `epochMicros`.
    public static func periodID(_ period: BudgetPeriod, epochMicros: Int64) -> String {
        let date = civilDate(epochMicros: epochMicros)
        switch period {
        case .day: return "d\(pad(date.year, 4))\(pad(date.month, 2))\(pad(date.day, 2))"
        case .month: return "m\(pad(date.year, 4))\(pad(date.month, 2))"
        }
    }

    /// `yyyy-MM-dd` (UTC), the usage bucket name.
    public static func dayString(epochMicros: Int64) -> String {
        let date = civilDate(epochMicros: epochMicros)
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
    }

    /// How long a budget counter must live: the longest period plus a day of margin.
    static func counterLifetimeSeconds(_ period: BudgetPeriod) -> Int {
        switch period {
        case .day: return 2 * 86_400
        case .month: return 32 * 86_400
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
