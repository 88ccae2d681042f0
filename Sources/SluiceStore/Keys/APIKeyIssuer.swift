import Foundation

/// Creates and rotates key material, and verifies presented keys against records.
/// Pure apart from the injected random source: both stores share it, so the
/// in-memory and Redis stores accept exactly the same keys.
public struct APIKeyIssuer: Sendable {
    public let hasher: SecretHasher
    private let generator: Base62Generator

    public init(hasher: SecretHasher, random: any SecureRandomSource = OpenSSLRandomSource()) {
        self.hasher = hasher
        self.generator = Base62Generator(random: random)
    }

    public func newKeyID() throws(StoreError) -> String {
        try generator.string(length: APIKeyFormat.keyIDLength)
    }

    /// A fresh record for `spec` and its plaintext key (shown once).
    public func issue(_ spec: APIKeySpec, now: Date) throws(StoreError) -> CreatedAPIKey {
        try spec.limits.validate()
        try RecordBounds.validate(name: spec.name, allowedModels: spec.allowedModels, metadata: spec.metadata)
        let id = try newKeyID()
        let secret = try generator.string(length: APIKeyFormat.secretLength)
        let record = APIKeyRecord(
            id: id, name: spec.name, createdAt: now, expiresAt: spec.expiresAt,
            allowedModels: spec.allowedModels, limits: spec.limits, metadata: spec.metadata,
            secretHash: hasher.hash(secret: secret), last4: String(secret.suffix(4)))
        return CreatedAPIKey(record: record, plaintextKey: APIKeyFormat.format(keyID: id, secret: secret))
    }

    /// A new secret for `record`; the old one stays valid until `now + gracePeriod`
    /// (Portkey-style transition). Id, limits, counters and usage are kept.
    public func rotate(_ record: APIKeyRecord, gracePeriod: Duration, now: Date) throws(StoreError) -> CreatedAPIKey {
        guard !record.isRevoked else { throw StoreError(.invalidArgument, "key \(record.id) is revoked") }
        let secret = try generator.string(length: APIKeyFormat.secretLength)
        var rotated = record
        if gracePeriod > .zero {
            rotated.previousSecretHash = record.secretHash
            rotated.previousSecretValidUntil = now.addingTimeInterval(Double(gracePeriod.microseconds) / 1e6)
        } else {
            rotated.previousSecretHash = nil
            rotated.previousSecretValidUntil = nil
        }
        rotated.secretHash = hasher.hash(secret: secret)
        rotated.last4 = String(secret.suffix(4))
        rotated.keyVersion += 1
        return CreatedAPIKey(record: rotated, plaintextKey: APIKeyFormat.format(keyID: record.id, secret: secret))
    }

    /// Checks a parsed key against its record (nil: no such id). Constant-time compare
    /// of the HMACs; revocation and expiry are checked after the secret so an attacker
    /// without the secret learns nothing about the key's state.
    public func verify(_ parsed: ParsedAPIKey, record: APIKeyRecord?, now: Date) -> KeyVerification {
        guard let record, record.id == parsed.keyID else {
            // Spend the same HMAC as a real check, so unknown ids are not faster to reject.
            _ = ConstantTime.equals(hasher.hash(secret: parsed.secret), String(repeating: "0", count: 64))
            return .invalid(.unknownKey)
        }
        let presented = hasher.hash(secret: parsed.secret)
        var matches = ConstantTime.equals(presented, record.secretHash)
        if !matches, let previous = record.previousSecretHash, let until = record.previousSecretValidUntil {
            matches = ConstantTime.equals(presented, previous) && now < until
        }
        guard matches else { return .invalid(.wrongSecret) }
        if record.isRevoked { return .invalid(.revoked) }
        if record.isExpired(at: now) { return .invalid(.expired) }
        return .valid(record)
    }
}

/// The outcome of checking a presented key. Every `.invalid` maps to 401 `invalid_api_key`.
public enum KeyVerification: Sendable, Equatable {
    case valid(APIKeyRecord)
    case invalid(KeyRejection)

    public var record: APIKeyRecord? {
        if case .valid(let record) = self { return record }
        return nil
    }
}

public enum KeyRejection: Sendable, Equatable {
    case malformed
    case unknownKey
    case wrongSecret
    case revoked
    case expired
}
