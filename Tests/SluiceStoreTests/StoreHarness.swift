import Foundation
import SluiceTesting
@testable import SluiceStore

/// The backends the behavioural suite runs against.
enum Backend: String, CaseIterable, CustomStringConvertible, Sendable {
    case memory
    case redis

    var description: String { rawValue }
}

/// One store under test; Redis backends get their own `redis-server` on a free port.
final class StoreHarness: Sendable {
    let services: StoreServices
    let redis: RedisServerLauncher?
    let redisStore: RedisStore?
    /// Time of the in-memory store and of both backends' limiters (Redis's limit scripts take the
    /// time as an argument then, instead of Redis `TIME`). Redis's own key TTLs (the response
    /// cache) still run on real time: see `letCacheEntriesExpire(after:)`.
    let clock = ManualClock()
    let backend: Backend

    static let testTimeouts = RedisConfiguration(connectTimeout: .milliseconds(200),
                                                 commandTimeout: .milliseconds(200), poolSize: 3)

    init(_ backend: Backend) async throws {
        self.backend = backend
        switch backend {
        case .memory:
            services = try InMemoryStore.open(pepper: testPepper, dataDirectory: nil, clock: clock)
            redis = nil
            redisStore = nil
        case .redis:
            let server = try await RedisServerLauncher.start()
            let store = try RedisStore(configuration: Self.configuration(port: server.port), pepper: testPepper,
                                       limitClock: clock)
            redis = server
            redisStore = store
            services = store.services
        }
    }

    static func configuration(port: Int, prefix: String = "sluice1") -> RedisConfiguration {
        var configuration = testTimeouts
        configuration.port = port
        configuration.keyPrefix = prefix
        return configuration
    }

    /// Moves time past `ttl` for the response cache: the manual clock in memory; on Redis, whose
    /// own PX expiry is the TTL, real time must pass as well.
    func letCacheEntriesExpire(after ttl: Duration) async throws {
        clock.advance(by: ttl + .milliseconds(1))
        if backend == .redis { try await Task.sleep(for: ttl + .milliseconds(200)) }
    }

    func close() {
        redisStore?.shutdown()
        redis?.stop()
    }
}

func makeAdmission(keyID: String, _ requestID: String, tokens: Int = 0, limits: RateLimits,
                   lease: Duration = .seconds(60)) -> AdmissionRequest {
    AdmissionRequest(keyID: keyID, limits: limits, requestID: requestID, reservedTokens: tokens, leaseDuration: lease)
}

extension AdmissionDecision {
    var reservation: Reservation? {
        if case .allowed(let admission) = self { return admission.reservation }
        return nil
    }

    var rejectionReason: RejectionReason? {
        if case .rejected(let rejection) = self { return rejection.reason }
        return nil
    }

    var status: RateLimitStatus {
        switch self {
        case .allowed(let admission): return admission.status
        case .rejected(let rejection): return rejection.status
        }
    }

    var isRateLimited: Bool {
        if case .rateLimited = rejectionReason { return true }
        return false
    }
}

func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
