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

    static let testTimeouts = RedisConfiguration(connectTimeout: .milliseconds(200),
                                                 commandTimeout: .milliseconds(200), poolSize: 3)

    init(_ backend: Backend) async throws {
        switch backend {
        case .memory:
            services = try InMemoryStore.open(pepper: testPepper, dataDirectory: nil)
            redis = nil
            redisStore = nil
        case .redis:
            let server = try await RedisServerLauncher.start()
            let store = try RedisStore(configuration: Self.configuration(port: server.port), pepper: testPepper)
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
