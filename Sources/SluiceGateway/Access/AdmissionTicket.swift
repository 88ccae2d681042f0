import Foundation
import Logging
import SluiceStore
import Synchronization

/// An admitted request's hold on its key's limits: the token reservation and the concurrency
/// lease. Settle it exactly once when the request ends, successful or not; later calls do
/// nothing. While unsettled, the lease is renewed every third of its duration, so a live
/// request never loses its slot and a killed gateway's slot frees itself.
public final class AdmissionTicket: Sendable {
    /// Limit state after admission, for the `x-ratelimit-*` headers.
    public let status: RateLimitStatus
    public let promptTokens: Int
    /// prompt + max tokens: what admission charged.
    public let reservedTokens: Int
    let keyID: String?
    /// nil when the key has no limits (nothing was charged).
    let reservation: Reservation?
    let services: StoreServices
    let logger: Logger
    private let settled = Mutex(false)
    private let renewal: Task<Void, Never>?

    init(status: RateLimitStatus, promptTokens: Int, reservedTokens: Int, keyID: String?, reservation: Reservation?,
         services: StoreServices, logger: Logger) {
        self.status = status
        self.promptTokens = promptTokens
        self.reservedTokens = reservedTokens
        self.keyID = keyID
        self.reservation = reservation
        self.services = services
        self.logger = logger
        if let reservation, reservation.limits.maxConcurrentRequests != nil {
            let limiter = services.limiter
            let interval = reservation.leaseDuration / 3
            renewal = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    try? await limiter.renewLease(reservation)
                }
            }
        } else {
            renewal = nil
        }
    }

    deinit { renewal?.cancel() }

    public var isSettled: Bool { settled.withLock { $0 } }

    /// Settles with the real counts: tpm and budget move by (actual − reserved), the lease is
    /// freed and the key's usage for today grows by one request and these tokens.
    public func settle(promptTokens: Int, completionTokens: Int) async {
        await finish(prompt: max(0, promptTokens), completion: max(0, completionTokens))
    }

    /// Settles with a total; the prompt part is the admitted prompt size.
    public func settle(actualTokens: Int) async {
        let prompt = min(promptTokens, max(0, actualTokens))
        await finish(prompt: prompt, completion: max(0, actualTokens - prompt))
    }

    /// The request ended without a token count (cancelled before usage was known): charged as reserved.
    public func settleAsReserved() async {
        await finish(prompt: promptTokens, completion: reservedTokens - promptTokens)
    }

    private func finish(prompt: Int, completion: Int) async {
        let first = settled.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        renewal?.cancel()
        if let reservation {
            do {
                try await services.limiter.settle(reservation, actualTokens: prompt + completion)
            } catch {
                // The lease expires by itself; the reservation stays charged as reserved.
                logger.warning("settle failed", metadata: ["key.id": .string(reservation.keyID), "error": .string(error.message)])
            }
        }
        guard let keyID else { return }
        do {
            try await services.usage.record(keyID: keyID, at: Date(), requests: 1, promptTokens: prompt,
                                            completionTokens: completion)
        } catch {
            logger.warning("usage not recorded", metadata: ["key.id": .string(keyID), "error": .string(error.message)])
        }
    }
}
