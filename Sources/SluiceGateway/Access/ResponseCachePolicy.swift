import SluiceHTTP

/// Whether a request reads and/or fills the response cache.
///
/// - Only deterministic requests are cached: `temperature` 0 (greedy) or a `seed` given.
/// - `x-sluice-cache: force` on the request caches a sampled request too (the client accepts a
///   replay of an earlier random answer); `x-sluice-cache: bypass` neither reads nor writes.
/// - `Cache-Control: no-cache` skips the read (the answer is recomputed, then stored);
///   `no-store` skips the write (RFC 9111 §5.2.1.4 and §5.2.1.5).
/// - The response says `x-sluice-cache: hit` or `miss` (`miss` also when the cache was not
///   consulted, so clients can tell a replay from a computed answer by `hit` alone).
public struct ResponseCachePolicy: Sendable, Hashable {
    public static let headerName = "x-sluice-cache"

    public var read: Bool
    public var write: Bool

    public init(read: Bool, write: Bool) {
        self.read = read
        self.write = write
    }

    public static let off = ResponseCachePolicy(read: false, write: false)

    public var isActive: Bool { read || write }

    public static func isDeterministic(temperature: Double, seed: Int64?) -> Bool {
        temperature == 0 || seed != nil
    }

    /// - Parameters:
    ///   - headers: the request's headers.
    ///   - deterministic: `isDeterministic(temperature:seed:)` of the validated request.
    ///   - enabled: the gateway has a cache (TTL > 0).
    public static func decide(headers: HTTPHeaders, deterministic: Bool, enabled: Bool) -> ResponseCachePolicy {
        guard enabled else { return .off }
        let directive = headers[headerName]?.trimmingCharacters(in: .whitespaces).lowercased()
        if directive == "bypass" { return .off }
        guard deterministic || directive == "force" else { return .off }
        var policy = ResponseCachePolicy(read: true, write: true)
        for value in headers.values("cache-control") {
            for token in value.split(separator: ",") {
                switch token.trimmingCharacters(in: .whitespaces).lowercased() {
                case "no-cache": policy.read = false
                case "no-store": policy.write = false
                default: break
                }
            }
        }
        return policy
    }

    /// Adds `x-sluice-cache: hit|miss`.
    public static func mark(_ headers: inout HTTPHeaders, hit: Bool) {
        headers.replaceOrAdd(headerName, hit ? "hit" : "miss")
    }
}
