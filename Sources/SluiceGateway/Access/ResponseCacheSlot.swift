import SluiceAPI
import SluiceHTTP

/// The response-cache decision and key of one inference request: computed once, read before
/// admission (a hit costs no tokens), written after a complete answer (streamed or not).
struct ResponseCacheSlot: Sendable {
    let access: AccessContext
    let policy: ResponseCachePolicy
    let key: [UInt8]

    /// - Parameters:
    ///   - cacheable: false for requests whose replay could not take every shape (completions' `echo`).
    ///   - key: the canonical request key, computed only when the cache is used.
    init(access: AccessContext, headers: HTTPHeaders, sampling: SluiceAPI.SamplingParameters, cacheable: Bool,
         key: () -> [UInt8]) {
        self.access = access
        policy = cacheable ? access.cachePolicy(headers: headers, temperature: sampling.temperature, seed: sampling.seed) : .off
        self.key = policy.isActive ? key() : []
    }

    /// The gateway has a cache (`--cache-ttl` > 0): responses then carry `x-sluice-cache`.
    var isEnabled: Bool { access.cacheTTL != nil }

    /// The cached answer, already admitted (one request, no tokens), settled and counted; nil on
    /// a miss (nothing consumed). Throws the 429 of a hit the key's limits refuse.
    func serve() async throws(APIError) -> CachedResponse? {
        guard policy.read else { return nil }
        return try await access.serveCachedResponse(canonicalKey: key)
    }

    func store(_ response: CachedResponse) async {
        guard policy.write else { return }
        await access.storeResponse(response, canonicalKey: key)
    }
}
