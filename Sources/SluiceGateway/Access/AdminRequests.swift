import Foundation
import SluiceAPI
import SluiceStore

/// Parses and validates admin request bodies (pure). Unknown fields are rejected, unlike the
/// inference routes: a typo in `rpm` must not silently create an unlimited key.
enum AdminRequests {
    static let createFields: Set<String> = ["name", "allowed_models", "rpm", "tpm", "max_concurrent", "token_budget",
                                            "expires_at", "metadata"]
    static let maxGraceSeconds = 30 * 86_400

    static func create(_ body: [UInt8], now: Date) throws(APIError) -> APIKeySpec {
        let object = try AdminBody(body, allowed: createFields, allowEmpty: false)
        guard let name = try object.string("name") else {
            throw APIError.invalidRequest("Missing required parameter: 'name'.", param: "name")
        }
        try checkName(name)
        var limits = RateLimits()
        limits.requestsPerMinute = try object.limit("rpm") ?? nil
        limits.tokensPerMinute = try object.limit("tpm") ?? nil
        limits.maxConcurrentRequests = try object.limit("max_concurrent") ?? nil
        limits.tokenBudget = try object.budget("token_budget") ?? nil
        return APIKeySpec(name: name, allowedModels: try object.models("allowed_models") ?? [], limits: limits,
                          expiresAt: try object.expiry("expires_at", now: now) ?? nil,
                          metadata: try object.metadata("metadata") ?? [:])
    }

    /// PATCH: an absent field stays; `null` clears a limit, the budget or the expiry.
    static func update(_ body: [UInt8], now: Date) throws(APIError) -> APIKeyUpdate {
        let object = try AdminBody(body, allowed: createFields, allowEmpty: false)
        var update = APIKeyUpdate()
        if object.has("name") {
            guard let name = try object.string("name") else {
                throw APIError.invalidRequest("Invalid 'name': expected a string.", param: "name")
            }
            try checkName(name)
            update.name = name
        }
        if object.has("allowed_models") { update.allowedModels = try object.models("allowed_models") ?? [] }
        update.requestsPerMinute = try object.limit("rpm")
        update.tokensPerMinute = try object.limit("tpm")
        update.maxConcurrentRequests = try object.limit("max_concurrent")
        update.tokenBudget = try object.budget("token_budget")
        update.expiresAt = try object.expiry("expires_at", now: now)
        if object.has("metadata") { update.metadata = try object.metadata("metadata") ?? [:] }
        return update
    }

    /// `{"grace_period_seconds": N}`; an empty body means no grace period.
    static func rotate(_ body: [UInt8]) throws(APIError) -> Duration {
        let object = try AdminBody(body, allowed: ["grace_period_seconds"], allowEmpty: true)
        guard let value = object.members["grace_period_seconds"], value != .null else { return .zero }
        let seconds = try AdminBody.integer(value, param: "grace_period_seconds", in: 0...maxGraceSeconds)
        return .seconds(seconds)
    }

    static func checkName(_ name: String) throws(APIError) {
        guard !name.isEmpty, name.utf8.count <= 256 else {
            throw APIError.invalidRequest("Invalid 'name': expected 1 to 256 bytes.", param: "name")
        }
    }

    /// `yyyy-MM-dd` (UTC) query dates for the usage route.
    static func day(_ text: Substring, param: String) throws(APIError) -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else {
            throw APIError.invalidRequest("Invalid '\(param)': expected a date as YYYY-MM-DD.", param: param)
        }
        // Days since the epoch (Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days) * 86_400)
    }
}

/// One admin JSON object with typed, path-naming accessors.
struct AdminBody {
    let members: [String: JSONValue]

    init(_ body: [UInt8], allowed: Set<String>, allowEmpty: Bool) throws(APIError) {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard allowEmpty else { throw APIError.invalidRequest("The request body must be a JSON object.", param: nil) }
            members = [:]
            return
        }
        let json: JSONValue
        do { json = try JSONParser.parse(body) } catch { throw APIError.invalidJSON(error) }
        guard case .object(let members) = json else {
            throw APIError.invalidRequest("The request body must be a JSON object, but got a \(json.typeName).", param: nil)
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalidRequest("Unrecognized request argument supplied: \(unknown)", param: unknown)
        }
        self.members = members
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    func string(_ key: String) throws(APIError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw Self.typeError(key, "a string", value) }
        return text
    }

    /// Absent: nil (leave); null: .some(nil) (clear); a number: 1...10^12.
    func limit(_ key: String) throws(APIError) -> Int?? {
        guard let value = members[key] else { return nil }
        if value == .null { return .some(nil) }
        return .some(try Self.integer(value, param: key, in: 1...1_000_000_000_000))
    }

    func budget(_ key: String) throws(APIError) -> TokenBudget?? {
        guard let value = members[key] else { return nil }
        if value == .null { return .some(nil) }
        guard case .object(let fields) = value else { throw Self.typeError(key, "an object {\"tokens\", \"period\"}", value) }
        if let unknown = fields.keys.sorted().first(where: { $0 != "tokens" && $0 != "period" }) {
            throw APIError.invalidRequest("Unrecognized argument in '\(key)': \(unknown)", param: "\(key).\(unknown)")
        }
        guard let tokensValue = fields["tokens"] else {
            throw APIError.invalidRequest("Missing required parameter: '\(key).tokens'.", param: "\(key).tokens")
        }
        let tokens = try Self.integer(tokensValue, param: "\(key).tokens", in: 1...1_000_000_000_000)
        guard case .string(let periodText)? = fields["period"], let period = BudgetPeriod(rawValue: periodText) else {
            throw APIError.invalidRequest("Invalid '\(key).period': expected \"day\" or \"month\".", param: "\(key).period")
        }
        return .some(TokenBudget(tokens: tokens, period: period))
    }

    /// Unix seconds in the future; null clears.
    func expiry(_ key: String, now: Date) throws(APIError) -> Date?? {
        guard let value = members[key] else { return nil }
        if value == .null { return .some(nil) }
        let seconds = try Self.integer(value, param: key, in: 1...253_402_300_799)
        let date = Date(timeIntervalSince1970: Double(seconds))
        guard date > now else {
            throw APIError.invalidRequest("Invalid '\(key)': must be in the future (Unix seconds).", param: key)
        }
        return .some(date)
    }

    func models(_ key: String) throws(APIError) -> [String]? {
        guard let value = members[key], value != .null else { return nil }
        guard case .array(let items) = value else { throw Self.typeError(key, "an array of strings", value) }
        guard items.count <= 256 else { throw APIError.invalidRequest("Invalid '\(key)': at most 256 models.", param: key) }
        var models: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let model) = item, !model.isEmpty, model.utf8.count <= 256 else {
                throw APIError.invalidRequest("Invalid '\(key)[\(index)]': expected a model id of 1 to 256 bytes.",
                                              param: "\(key)[\(index)]")
            }
            models.append(model)
        }
        return models
    }

    func metadata(_ key: String) throws(APIError) -> [String: String]? {
        guard let value = members[key], value != .null else { return nil }
        guard case .object(let fields) = value else { throw Self.typeError(key, "an object of strings", value) }
        guard fields.count <= 64 else { throw APIError.invalidRequest("Invalid '\(key)': at most 64 entries.", param: key) }
        var metadata: [String: String] = [:]
        for (name, item) in fields {
            guard case .string(let text) = item else { throw Self.typeError("\(key).\(name)", "a string", item) }
            guard name.utf8.count + text.utf8.count <= 1_024 else {
                throw APIError.invalidRequest("Invalid '\(key).\(name)': key and value together must be at most 1024 bytes.",
                                              param: "\(key).\(name)")
            }
            metadata[name] = text
        }
        return metadata
    }

    static func integer(_ value: JSONValue, param: String, in range: ClosedRange<Int>) throws(APIError) -> Int {
        let number: Int
        switch value {
        case .integer(let exact) where exact >= Int64(Int.min) && exact <= Int64(Int.max): number = Int(exact)
        case .number(let double) where double.rounded() == double && abs(double) < 9e18: number = Int(double)
        default: throw typeError(param, "an integer", value)
        }
        guard range.contains(number) else {
            throw APIError.invalidRequest("Invalid '\(param)': expected a value between \(range.lowerBound) and \(range.upperBound), got \(number).",
                                          param: param)
        }
        return number
    }

    static func typeError(_ param: String, _ expected: String, _ value: JSONValue) -> APIError {
        APIError.invalidRequest("Invalid type for '\(param)': expected \(expected), but got \(value.typeName).", param: param)
    }
}
