import Foundation

/// Key records in Redis hashes: every replica reads the same record, so a revocation
/// is visible everywhere on the next read (wrap in `CachedKeyStore` for ≤ 0.5 s caching).
public final class RedisKeyStore: KeyStore {
    private let pool: RedisConnectionPool
    private let schema: RedisKeySchema
    private let issuer: APIKeyIssuer
    private let clock: any StoreClock

    init(pool: RedisConnectionPool, schema: RedisKeySchema, issuer: APIKeyIssuer, clock: any StoreClock) {
        self.pool = pool
        self.schema = schema
        self.issuer = issuer
        self.clock = clock
    }

    private var now: Date { Date(timeIntervalSince1970: Double(clock.nowMicroseconds()) / 1e6) }

    public func createKey(_ spec: APIKeySpec) async throws(StoreError) -> CreatedAPIKey {
        let created = try issuer.issue(spec, now: now)
        let record = created.record
        let json = try RecordCoding.encode(record)
        let keys = [schema.keyRecord(record.id), schema.keyIndex]
        let inserted = try await pool.run { connection throws(StoreError) in
            try connection.evaluate(RedisScripts.createKey, keys: keys,
                                    arguments: [Array(record.id.utf8), json, Array(String(record.keyVersion).utf8)])
                .integerValue("create key")
        }
        guard inserted == 1 else { throw StoreError(.conflict, "key id collision") }
        return created
    }

    public func listKeys() async throws(StoreError) -> [APIKeyRecord] {
        let schema = self.schema
        let blobs: [[UInt8]] = try await pool.run { connection throws(StoreError) in
            let ids = try connection.command(RedisCommand("SMEMBERS").adding(bytes: schema.keyIndex))
                .arrayValue("list keys")
            let commands = try ids.map { id throws(StoreError) in
                guard let idBytes = try id.optionalBytes("key id") else {
                    throw StoreError(.unexpectedReply, "nil key id in index")
                }
                return RedisCommand("HGET").adding(bytes: schema.keyRecord(String(decoding: idBytes, as: UTF8.self)))
                    .adding("record")
            }
            var blobs: [[UInt8]] = []
            for reply in try connection.pipeline(commands) {
                // A key deleted between SMEMBERS and HGET is simply skipped.
                if let blob = try reply.optionalBytes("key record") { blobs.append(blob) }
            }
            return blobs
        }
        return try blobs.map { blob throws(StoreError) in try RecordCoding.decode(APIKeyRecord.self, from: blob) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func key(id: String) async throws(StoreError) -> APIKeyRecord? {
        guard APIKeyFormat.isValidKeyID(id) else { return nil }
        let key = schema.keyRecord(id)
        let blob = try await pool.run { connection throws(StoreError) in
            try connection.command(RedisCommand("HGET").adding(bytes: key).adding("record")).optionalBytes("key record")
        }
        return try blob.map { blob throws(StoreError) in try RecordCoding.decode(APIKeyRecord.self, from: blob) }
    }

    public func updateKey(id: String, _ update: APIKeyUpdate) async throws(StoreError) -> APIKeyRecord {
        try await change(id: id) { record throws(StoreError) in try update.applied(to: record) }
    }

    public func revokeKey(id: String) async throws(StoreError) -> APIKeyRecord {
        let revokedAt = now
        return try await change(id: id) { record in
            guard !record.isRevoked else { return record }
            var revoked = record
            revoked.revokedAt = revokedAt
            revoked.keyVersion += 1
            return revoked
        }
    }

    public func rotateKey(id: String, gracePeriod: Duration) async throws(StoreError) -> CreatedAPIKey {
        let at = now
        for _ in 0..<16 {
            guard let record = try await key(id: id) else { throw StoreError(.notFound, "no key \(id)") }
            let rotated = try issuer.rotate(record, gracePeriod: gracePeriod, now: at)
            if try await compareAndSet(expected: record, new: rotated.record) { return rotated }
        }
        throw StoreError(.conflict, "key \(id) changed concurrently; retry")
    }

    public func verify(presentedKey: String) async throws(StoreError) -> KeyVerification {
        guard let parsed = APIKeyFormat.parse(presentedKey) else { return .invalid(.malformed) }
        let record = try await key(id: parsed.keyID)
        return issuer.verify(parsed, record: record, now: now)
    }

    /// Read, transform, compare-and-set on the version; retried when another replica won.
    private func change(id: String, _ transform: @Sendable (APIKeyRecord) throws(StoreError) -> APIKeyRecord)
        async throws(StoreError) -> APIKeyRecord {
        for _ in 0..<16 {
            guard let record = try await key(id: id) else { throw StoreError(.notFound, "no key \(id)") }
            let changed = try transform(record)
            if changed == record { return record }
            if try await compareAndSet(expected: record, new: changed) { return try RecordCoding.asStored(changed) }
        }
        throw StoreError(.conflict, "key \(id) changed concurrently; retry")
    }

    private func compareAndSet(expected: APIKeyRecord, new: APIKeyRecord) async throws(StoreError) -> Bool {
        let json = try RecordCoding.encode(new)
        let key = schema.keyRecord(new.id)
        let outcome = try await pool.run { connection throws(StoreError) in
            try connection.evaluate(RedisScripts.updateKey, keys: [key],
                                    arguments: [Array(String(expected.keyVersion).utf8), json,
                                                Array(String(new.keyVersion).utf8)])
                .integerValue("update key")
        }
        if outcome == -1 { throw StoreError(.notFound, "no key \(new.id)") }
        return outcome == 1
    }
}
