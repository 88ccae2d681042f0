import SluiceAPI
import SluiceHTTP

/// The response-cache decision and key of one chat or completion request: computed once, read
/// before admission (a hit costs no tokens), written after a complete answer.
struct ResponseCacheSlot: Sendable {
    let access: AccessContext
    let policy: ResponseCachePolicy
    let key: [UInt8]

    init(access: AccessContext, chat: ValidatedChatRequest, headers: HTTPHeaders) {
        self.access = access
        policy = access.cachePolicy(headers: headers, temperature: chat.sampling.temperature, seed: chat.sampling.seed)
        key = policy.isActive ? CanonicalRequestKey.chat(chat) : []
    }

    /// `echo` requests are not cached: their stream shape (prompt chunks, text offsets) cannot be
    /// rebuilt from the body alone.
    init(access: AccessContext, completion: ValidatedCompletionRequest, headers: HTTPHeaders) {
        self.access = access
        policy = completion.echo ? .off
            : access.cachePolicy(headers: headers, temperature: completion.sampling.temperature, seed: completion.sampling.seed)
        key = policy.isActive ? CanonicalRequestKey.completion(completion) : []
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

    /// The completion builder that always produces the usage chunk (see `usageBuilder(chat:identity:)`).
    static func usageBuilder(completion: ValidatedCompletionRequest, identity: ResponseIdentity) -> CompletionResponseBuilder {
        var withUsage = completion
        withUsage.output.includeUsage = true
        return CompletionResponseBuilder(request: withUsage, identity: identity)
    }

    /// A builder like the request's, but always producing the usage chunk: the cache keeps it
    /// for later requests that ask for `stream_options.include_usage`.
    static func usageBuilder(chat: ValidatedChatRequest, identity: ResponseIdentity) -> ChatResponseBuilder {
        var withUsage = chat
        withUsage.output.includeUsage = true
        return ChatResponseBuilder(request: withUsage, identity: identity)
    }
}
