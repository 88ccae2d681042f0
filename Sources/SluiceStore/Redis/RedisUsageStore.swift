import Foundation

/// Usage per key and UTC day in hashes (`req`, `in`, `out`), kept 400 days.
public final class RedisUsageStore: UsageStore {
    private let pool: RedisConnectionPool
    private let schema: RedisKeySchema
    static let retentionSeconds = 400 * 86_400

    init(pool: RedisConnectionPool, schema: RedisKeySchema) {
        self.pool = pool
        self.schema = schema
    }

    public func record(keyID: String, at date: Date, requests: Int, promptTokens: Int,
                       completionTokens: Int) async throws(StoreError) {
        let day = BudgetCalendar.dayString(epochMicros: Int64(date.timeIntervalSince1970 * 1e6))
        let key = schema.usage(keyID, day: day)
        // One pipelined round trip; the counters are independent, so no script is needed.
        let commands = [
            RedisCommand("HINCRBY").adding(bytes: key).adding("req").adding(requests),
            RedisCommand("HINCRBY").adding(bytes: key).adding("in").adding(promptTokens),
            RedisCommand("HINCRBY").adding(bytes: key).adding("out").adding(completionTokens),
            RedisCommand("EXPIRE").adding(bytes: key).adding(Self.retentionSeconds),
        ]
        try await pool.run { connection throws(StoreError) in
            for reply in try connection.pipeline(commands) { try reply.expectOK("record usage") }
        }
    }

    public func usage(keyID: String, from: Date, to: Date) async throws(StoreError) -> [DailyUsage] {
        let days = UsageDays.days(from: from, to: to)
        let commands = days.map {
            RedisCommand("HMGET").adding(bytes: schema.usage(keyID, day: $0)).adding("req").adding("in").adding("out")
        }
        let replies = try await pool.run { connection throws(StoreError) in try connection.pipeline(commands) }
        var result: [DailyUsage] = []
        for (day, reply) in zip(days, replies) {
            let fields = try reply.arrayValue("usage")
            guard fields.count == 3, fields.contains(where: { $0 != .null }) else { continue }
            func number(_ reply: RedisReply) throws(StoreError) -> Int {
                reply == .null ? 0 : Int(try reply.integerValue("usage counter"))
            }
            result.append(DailyUsage(day: day, requests: try number(fields[0]), promptTokens: try number(fields[1]),
                                     completionTokens: try number(fields[2])))
        }
        return result
    }
}
