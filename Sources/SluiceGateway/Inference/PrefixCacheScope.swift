/// Which requests may reuse each other's prefix-cache KV blocks.
///
/// `shared` (the default): any request, whatever its tenant, so a system prompt common to many
/// tenants is prefilled once. The price is a timing side channel: a tenant can tell from a fast
/// first token that some other caller sent the same prefix recently.
/// `tenant`: blocks are salted with the caller's tenant (`AccessContext.tenant`: the key id,
/// `_admin` or `_anonymous`), so reuse happens only within one tenant and the side channel closes.
public enum PrefixCacheScope: String, Sendable, Hashable, CaseIterable {
    case shared
    case tenant

    /// The `InferenceJob.cacheSalt` (the scheduler's `GenerationRequest.cacheSalt`) for a request
    /// of `tenant`: nil when blocks are shared.
    public func cacheSalt(tenant: String?) -> String? {
        switch self {
        case .shared: nil
        case .tenant: tenant
        }
    }
}
