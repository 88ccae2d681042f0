import Foundation

/// Per-key limits. `nil` means "no limit of this kind".
public struct RateLimits: Sendable, Hashable, Codable {
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    public var maxConcurrentRequests: Int?
    public var tokenBudget: TokenBudget?

    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil,
                maxConcurrentRequests: Int? = nil, tokenBudget: TokenBudget? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxConcurrentRequests = maxConcurrentRequests
        self.tokenBudget = tokenBudget
    }

    public static let unlimited = RateLimits()

    /// Limits must be positive when present: a limit of 0 would lock the key out
    /// forever, which is what revocation is for.
    func validate() throws(StoreError) {
        for (name, value) in [("rpm", requestsPerMinute), ("tpm", tokensPerMinute),
                              ("max concurrent", maxConcurrentRequests), ("budget", tokenBudget?.tokens)] {
            if let value, value <= 0 || value > 1_000_000_000_000 {
                throw StoreError(.invalidArgument, "\(name) must be between 1 and 10^12, got \(value)")
            }
        }
    }
}

/// A token budget that resets at the start of every UTC day or month.
public struct TokenBudget: Sendable, Hashable, Codable {
    public var tokens: Int
    public var period: BudgetPeriod

    public init(tokens: Int, period: BudgetPeriod) {
        self.tokens = tokens
        self.period = period
    }
}

public enum BudgetPeriod: String, Sendable, Hashable, Codable, CaseIterable {
    case day
    case month
}

/// What is stored about one API key. Never holds the secret: only
/// HMAC-SHA256(pepper, secret) as hex and the secret's last four characters.
public struct APIKeyRecord: Sendable, Hashable, Codable {
    /// Public id, part of the presented key (`sk-sluice-<id>-<secret>`).
    public var id: String
    public var name: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    /// Models this key may call; empty means every model.
    public var allowedModels: [String]
    public var limits: RateLimits
    public var metadata: [String: String]
    /// Hex HMAC-SHA256(pepper, secret) of the current secret.
    public var secretHash: String
    /// Last four characters of the current secret, for display (`sk-sluice-…abcd`).
    public var last4: String
    /// Incremented on every change; lets caches and admins see a record moved.
    public var keyVersion: Int
    /// After a rotation the previous secret stays valid until `previousSecretValidUntil`.
    public var previousSecretHash: String?
    public var previousSecretValidUntil: Date?

    public init(id: String, name: String, createdAt: Date, expiresAt: Date? = nil, revokedAt: Date? = nil,
                allowedModels: [String] = [], limits: RateLimits = .unlimited, metadata: [String: String] = [:],
                secretHash: String, last4: String, keyVersion: Int = 1,
                previousSecretHash: String? = nil, previousSecretValidUntil: Date? = nil) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.allowedModels = allowedModels
        self.limits = limits
        self.metadata = metadata
        self.secretHash = secretHash
        self.last4 = last4
        self.keyVersion = keyVersion
        self.previousSecretHash = previousSecretHash
        self.previousSecretValidUntil = previousSecretValidUntil
    }

    public var isRevoked: Bool { revokedAt != nil }

    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }

    public func allows(model: String) -> Bool {
        allowedModels.isEmpty || allowedModels.contains(model)
    }

    /// The key as shown in listings: the secret is never recoverable.
    public var redactedKey: String { "\(APIKeyFormat.prefix)\(id)-…\(last4)" }
}

/// What an admin asks for when creating a key.
public struct APIKeySpec: Sendable, Hashable {
    public var name: String
    public var allowedModels: [String]
    public var limits: RateLimits
    public var expiresAt: Date?
    public var metadata: [String: String]

    public init(name: String, allowedModels: [String] = [], limits: RateLimits = .unlimited,
                expiresAt: Date? = nil, metadata: [String: String] = [:]) {
        self.name = name
        self.allowedModels = allowedModels
        self.limits = limits
        self.expiresAt = expiresAt
        self.metadata = metadata
    }
}

/// Size bounds on admin-supplied fields: a record is read on every cache miss of every
/// request, so it must stay small whatever an admin client sends.
enum RecordBounds {
    static let maxNameBytes = 256
    static let maxModels = 256
    static let maxModelBytes = 256
    static let maxMetadataEntries = 64
    static let maxMetadataBytes = 1_024

    static func validate(name: String, allowedModels: [String], metadata: [String: String]) throws(StoreError) {
        guard name.utf8.count <= maxNameBytes else {
            throw StoreError(.invalidArgument, "name is longer than \(maxNameBytes) bytes")
        }
        guard allowedModels.count <= maxModels, allowedModels.allSatisfy({ $0.utf8.count <= maxModelBytes }) else {
            throw StoreError(.invalidArgument, "at most \(maxModels) models of at most \(maxModelBytes) bytes")
        }
        guard metadata.count <= maxMetadataEntries,
              metadata.allSatisfy({ $0.key.utf8.count + $0.value.utf8.count <= maxMetadataBytes }) else {
            throw StoreError(.invalidArgument,
                             "at most \(maxMetadataEntries) metadata entries of at most \(maxMetadataBytes) bytes")
        }
    }
}

/// A partial update (PATCH). `nil` leaves a field as it is; for fields that may be
/// cleared the inner optional says so: `.some(nil)` removes the limit or expiry.
public struct APIKeyUpdate: Sendable, Hashable {
    public var name: String?
    public var allowedModels: [String]?
    public var requestsPerMinute: Int??
    public var tokensPerMinute: Int??
    public var maxConcurrentRequests: Int??
    public var tokenBudget: TokenBudget??
    public var expiresAt: Date??
    public var metadata: [String: String]?

    public init(name: String? = nil, allowedModels: [String]? = nil, requestsPerMinute: Int?? = nil,
                tokensPerMinute: Int?? = nil, maxConcurrentRequests: Int?? = nil,
                tokenBudget: TokenBudget?? = nil, expiresAt: Date?? = nil, metadata: [String: String]? = nil) {
        self.name = name
        self.allowedModels = allowedModels
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxConcurrentRequests = maxConcurrentRequests
        self.tokenBudget = tokenBudget
        self.expiresAt = expiresAt
        self.metadata = metadata
    }

    /// Applies the update to a record (pure; the stores add version bumps and persistence).
    func applied(to record: APIKeyRecord) throws(StoreError) -> APIKeyRecord {
        var updated = record
        if let name { updated.name = name }
        if let allowedModels { updated.allowedModels = allowedModels }
        if let requestsPerMinute { updated.limits.requestsPerMinute = requestsPerMinute }
        if let tokensPerMinute { updated.limits.tokensPerMinute = tokensPerMinute }
        if let maxConcurrentRequests { updated.limits.maxConcurrentRequests = maxConcurrentRequests }
        if let tokenBudget { updated.limits.tokenBudget = tokenBudget }
        if let expiresAt { updated.expiresAt = expiresAt }
        if let metadata { updated.metadata = metadata }
        try updated.limits.validate()
        try RecordBounds.validate(name: updated.name, allowedModels: updated.allowedModels, metadata: updated.metadata)
        updated.keyVersion += 1
        return updated
    }
}

/// Returned once, at creation or rotation: the only time the plaintext key exists.
public struct CreatedAPIKey: Sendable {
    public let record: APIKeyRecord
    /// `sk-sluice-<id>-<secret>`; show it to the admin and forget it.
    public let plaintextKey: String
}

/// JSON coding shared by the key file and the Redis hashes, so both hold the same bytes.
enum RecordCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }

    /// `value` as a reader of the stored bytes sees it: dates are kept in
    /// milliseconds, so a record returned by a write must go through the same
    /// coding or it differs from the next read in the last bits of its dates.
    static func asStored<T: Codable>(_ value: T) throws(StoreError) -> T {
        try decode(T.self, from: encode(value))
    }

    static func encode<T: Encodable>(_ value: T) throws(StoreError) -> [UInt8] {
        do {
            return Array(try encoder().encode(value))
        } catch {
            throw StoreError(.corruptData, "cannot encode \(T.self): \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(StoreError) -> T {
        do {
            return try decoder().decode(T.self, from: Data(bytes))
        } catch {
            throw StoreError(.corruptData, "cannot decode \(T.self): \(error)")
        }
    }
}
