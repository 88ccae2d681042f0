import Foundation
import SluiceTesting
import Synchronization
import Testing
@testable import SluiceStore

@Suite struct InMemoryStoreTests {
    func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-keys-\(UUID().uuidString)").path
        return path
    }

    @Test func keysSurviveReopeningTheDataDirectory() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let issuer = try makeIssuer()
        let first = try InMemoryKeyStore(issuer: issuer, dataDirectory: directory)
        let kept = try await first.createKey(APIKeySpec(name: "kept", limits: RateLimits(tokensPerMinute: 50)))
        let revoked = try await first.createKey(APIKeySpec(name: "revoked"))
        _ = try await first.revokeKey(id: revoked.record.id)

        let reopened = try InMemoryKeyStore(issuer: issuer, dataDirectory: directory)
        #expect(try await reopened.verify(presentedKey: kept.plaintextKey).record?.limits.tokensPerMinute == 50)
        #expect(try await reopened.verify(presentedKey: revoked.plaintextKey) == .invalid(.revoked))
        #expect(try await reopened.listKeys().count == 2)

        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files == ["keys.json"])  // no temp file left behind
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/keys.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let contents = try String(contentsOfFile: directory + "/keys.json", encoding: .utf8)
        let secret = try #require(APIKeyFormat.parse(kept.plaintextKey)).secret
        #expect(!contents.contains(secret))
    }

    @Test func corruptKeyFileIsAnErrorNotAnEmptyStore() throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("{\"format\":1,\"keys\":[{".utf8).write(to: URL(fileURLWithPath: directory + "/keys.json"))
        let issuer = try makeIssuer()
        let error = #expect(throws: StoreError.self) {
            _ = try InMemoryKeyStore(issuer: issuer, dataDirectory: directory)
        }
        #expect(error?.kind == .corruptData)
    }

    @Test func cacheEvictsOldestEntriesBeyondItsBounds() async throws {
        let clock = ManualClock()
        let cache = InMemoryResponseCache(maxEntries: 3, maxBytes: 1_000, clock: clock)
        for index in 0..<5 {
            try await cache.put(tenant: "t", key: [UInt8(index)], value: [1, 2, 3], ttl: .seconds(10))
        }
        #expect(cache.count == 3)
        #expect(try await cache.get(tenant: "t", key: [0]) == nil)
        #expect(try await cache.get(tenant: "t", key: [4]) == [1, 2, 3])
        try await cache.put(tenant: "t", key: [9], value: [UInt8](repeating: 7, count: 999), ttl: .seconds(10))
        #expect(try await cache.get(tenant: "t", key: [9])?.count == 999)
        #expect(cache.count == 1)  // the byte bound pushed the others out
    }

    @Test func cacheEntriesExpireOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let cache = InMemoryResponseCache(clock: clock)
        try await cache.put(tenant: "t", key: [1], value: [42], ttl: .seconds(5))
        clock.advance(by: .milliseconds(4_999))
        #expect(try await cache.get(tenant: "t", key: [1]) == [42])
        clock.advance(by: .milliseconds(1))
        #expect(try await cache.get(tenant: "t", key: [1]) == nil)
    }

    @Test func cachedKeyStoreServesWithinTTLAndRefetchesAfter() async throws {
        let clock = ManualClock()
        let base = try InMemoryKeyStore(issuer: try makeIssuer(), dataDirectory: nil, clock: clock)
        let cached = CachedKeyStore(base: base, hasher: try SecretHasher(pepper: testPepper), ttl: .seconds(30),
                                    clock: clock)
        let created = try await base.createKey(APIKeySpec(name: "x"))
        #expect(try await cached.verify(presentedKey: created.plaintextKey).record != nil)
        _ = try await base.revokeKey(id: created.record.id)  // behind the cache's back, as another replica would
        clock.advance(by: .milliseconds(499))
        #expect(try await cached.verify(presentedKey: created.plaintextKey).record != nil)
        clock.advance(by: .milliseconds(1))  // the TTL is capped at half a second whatever was asked
        #expect(try await cached.verify(presentedKey: created.plaintextKey) == .invalid(.revoked))
    }

    @Test func failurePolicyOpenFallsBackAndClosedThrows() async throws {
        let events = EventLog()
        let open = FailurePolicyRateLimiter(primary: UnreachableLimiter(), policy: .open,
                                            reportInterval: .seconds(60), onEvent: { events.append($0) })
        let limits = RateLimits(requestsPerMinute: 1)
        let first = try await open.admit(makeAdmission(keyID: "k", "a", limits: limits))
        #expect(first.reservation?.origin == .localFallback)
        #expect(try await open.admit(makeAdmission(keyID: "k", "b", limits: limits)).isRateLimited)
        #expect(try await open.settle(try #require(first.reservation), actualTokens: 0))
        #expect(events.events.count == 1)  // reported once per interval, not per request

        // A reservation made by the shared store before it went down: open swallows the failed
        // settle (the reservation stays charged and its lease expires), closed reports it.
        let shared = Reservation(keyID: "k", requestID: "s", reservedTokens: 10, tpmCost: 10, limits: limits,
                                 budgetPeriodID: nil, leaseDuration: .seconds(60))
        #expect(try await open.settle(shared, actualTokens: 5) == false)
        let closed = FailurePolicyRateLimiter(primary: UnreachableLimiter(), policy: .closed)
        await #expect(throws: StoreError.self) { try await closed.admit(makeAdmission(keyID: "k", "a", limits: limits)) }
        await #expect(throws: StoreError.self) { try await closed.settle(shared, actualTokens: 5) }
    }
}

final class EventLogOf<Event: Sendable>: Sendable {
    private let storage = Mutex<[Event]>([])
    func append(_ event: Event) { storage.withLock { $0.append(event) } }
    var events: [Event] { storage.withLock { $0 } }
}

typealias EventLog = EventLogOf<StoreEvent>

/// A shared limiter whose store is always down.
struct UnreachableLimiter: RateLimiter {
    func admit(_ request: AdmissionRequest) async throws(StoreError) -> AdmissionDecision {
        throw StoreError(.unavailable, "down")
    }
    func settle(_ reservation: Reservation, actualTokens: Int, releasingLease: Bool) async throws(StoreError) -> Bool {
        throw StoreError(.unavailable, "down")
    }
    func release(_ reservation: Reservation) async throws(StoreError) { throw StoreError(.unavailable, "down") }
    func renewLease(_ reservation: Reservation) async throws(StoreError) { throw StoreError(.unavailable, "down") }
}
