import Foundation
import Synchronization

/// Keys of the embedded store: a dictionary under a lock, written through to
/// `<dataDirectory>/keys.json` on every change when a directory is given.
public final class InMemoryKeyStore: KeyStore {
    private let issuer: APIKeyIssuer
    private let clock: any StoreClock
    private let file: KeyFile?
    private let records: Mutex<[String: APIKeyRecord]>
    private let writer = Mutex<Void>(())

    /// - Parameter dataDirectory: where keys persist; nil keeps them in memory only (tests).
    public init(issuer: APIKeyIssuer, dataDirectory: String?, clock: any StoreClock = SystemStoreClock())
        throws(StoreError) {
        self.issuer = issuer
        self.clock = clock
        let file = try dataDirectory.map { dir throws(StoreError) in try KeyFile(directory: dir) }
        self.file = file
        var loaded: [String: APIKeyRecord] = [:]
        for record in try file?.load() ?? [] { loaded[record.id] = record }
        records = Mutex(loaded)
    }

    private var now: Date { Date(timeIntervalSince1970: Double(clock.nowMicroseconds()) / 1e6) }

    public func createKey(_ spec: APIKeySpec) async throws(StoreError) -> CreatedAPIKey {
        let created = try issuer.issue(spec, now: now)
        try mutate { records throws(StoreError) in
            guard records[created.record.id] == nil else { throw StoreError(.conflict, "key id collision") }
            records[created.record.id] = created.record
        }
        return created
    }

    public func listKeys() async throws(StoreError) -> [APIKeyRecord] {
        records.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func key(id: String) async throws(StoreError) -> APIKeyRecord? {
        records.withLock { $0[id] }
    }

    public func updateKey(id: String, _ update: APIKeyUpdate) async throws(StoreError) -> APIKeyRecord {
        try change(id: id) { record throws(StoreError) in try update.applied(to: record) }
    }

    public func revokeKey(id: String) async throws(StoreError) -> APIKeyRecord {
        let revokedAt = now
        return try change(id: id) { record in
            guard !record.isRevoked else { return record }
            var revoked = record
            revoked.revokedAt = revokedAt
            revoked.keyVersion += 1
            return revoked
        }
    }

    public func rotateKey(id: String, gracePeriod: Duration) async throws(StoreError) -> CreatedAPIKey {
        let at = now
        var created: CreatedAPIKey?
        _ = try change(id: id) { record throws(StoreError) in
            let rotated = try issuer.rotate(record, gracePeriod: gracePeriod, now: at)
            created = rotated
            return rotated.record
        }
        guard let created else { throw StoreError(.notFound, "no key \(id)") }
        return created
    }

    public func verify(presentedKey: String) async throws(StoreError) -> KeyVerification {
        guard let parsed = APIKeyFormat.parse(presentedKey) else { return .invalid(.malformed) }
        let record = records.withLock { $0[parsed.keyID] }
        return issuer.verify(parsed, record: record, now: now)
    }

    private func change(id: String, _ transform: (APIKeyRecord) throws(StoreError) -> APIKeyRecord)
        throws(StoreError) -> APIKeyRecord {
        var result: APIKeyRecord?
        try mutate { records throws(StoreError) in
            guard let record = records[id] else { throw StoreError(.notFound, "no key \(id)") }
            let changed = try transform(record)
            records[id] = changed
            result = changed
        }
        guard let result else { throw StoreError(.notFound, "no key \(id)") }
        return result
    }

    /// Applies a change and persists it before anyone can see it. Writers are serialised by
    /// `writer` (which is held across the file write); readers only take `records` for a
    /// dictionary lookup, so `verify` never waits for an fsync. A failed write changes nothing.
    private func mutate(_ body: (inout [String: APIKeyRecord]) throws(StoreError) -> Void) throws(StoreError) {
        try writer.withLock { _ throws(StoreError) in
            var next = records.withLock { $0 }
            try body(&next)
            try file?.save(Array(next.values).sorted { $0.id < $1.id })
            records.withLock { $0 = next }
        }
    }
}
