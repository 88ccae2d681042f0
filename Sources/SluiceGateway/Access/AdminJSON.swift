import Foundation
import SluiceStore

/// JSON bodies of the admin API, written by hand so `null`s are explicit and no hash or
/// secret can slip in: only the fields named here leave the server.
enum AdminJSON {
    /// `{"object":"api_key", ...}`; `plaintextKey` only at create and rotate.
    static func key(_ record: APIKeyRecord, plaintextKey: String? = nil) -> String {
        var fields: [String] = [
            "\"object\":\"api_key\"",
            "\"id\":\(JSONText.quoted(record.id))",
            "\"name\":\(JSONText.quoted(record.name))",
            "\"redacted_key\":\(JSONText.quoted(record.redactedKey))",
            "\"created_at\":\(unix(record.createdAt))",
            "\"expires_at\":\(record.expiresAt.map(unix) ?? "null")",
            "\"revoked_at\":\(record.revokedAt.map(unix) ?? "null")",
            "\"allowed_models\":[\(record.allowedModels.map(JSONText.quoted).joined(separator: ","))]",
            "\"rpm\":\(record.limits.requestsPerMinute.map(String.init) ?? "null")",
            "\"tpm\":\(record.limits.tokensPerMinute.map(String.init) ?? "null")",
            "\"max_concurrent\":\(record.limits.maxConcurrentRequests.map(String.init) ?? "null")",
            "\"token_budget\":\(record.limits.tokenBudget.map(budget) ?? "null")",
            "\"metadata\":{\(record.metadata.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))" }.joined(separator: ","))}",
            "\"version\":\(record.keyVersion)",
            "\"previous_key_valid_until\":\(record.previousSecretValidUntil.map(unix) ?? "null")",
        ]
        if let plaintextKey { fields.append("\"key\":\(JSONText.quoted(plaintextKey))") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func list(_ records: [APIKeyRecord]) -> String {
        "{\"object\":\"list\",\"data\":[\(records.map { key($0) }.joined(separator: ","))]}"
    }

    static func usage(keyID: String, _ days: [DailyUsage]) -> String {
        let entries = days.map { day in
            "{\"date\":\(JSONText.quoted(day.day)),\"requests\":\(day.requests),\"prompt_tokens\":\(day.promptTokens),"
                + "\"completion_tokens\":\(day.completionTokens),\"total_tokens\":\(day.promptTokens + day.completionTokens)}"
        }
        return "{\"object\":\"list\",\"key_id\":\(JSONText.quoted(keyID)),\"data\":[\(entries.joined(separator: ","))]}"
    }

    static func budget(_ budget: TokenBudget) -> String {
        "{\"tokens\":\(budget.tokens),\"period\":\(JSONText.quoted(budget.period.rawValue))}"
    }

    static func unix(_ date: Date) -> String { String(Int64(date.timeIntervalSince1970.rounded(.down))) }
}
