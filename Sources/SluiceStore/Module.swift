// SluiceStore: API keys, admission limits, usage and the response cache, behind four
// protocols (`KeyStore`, `RateLimiter`, `UsageStore`, `ResponseCache`) with two
// implementations:
//
//  - in memory (`InMemoryStore.open`): one gateway; keys persisted to a data directory
//    (atomic writes), limits/usage/cache in process memory;
//  - Redis (`RedisStore`): any number of gateways share keys, limits, usage and cache.
//    hiredis runs on a small pool of dedicated threads (`RedisConnectionPool`), every call
//    bounded by the command timeout; one Lua script admits a request against all of its
//    limits atomically (`RedisScripts.admit`), mirroring the pure Swift `AdmissionPlanner`.
//
// For a gateway on Redis use `RedisStore.gatewayServices(...)`: records cached ≤ 0.5 s
// (`CachedKeyStore`), the admission failure policy (`FailurePolicyRateLimiter`) and a
// cache that fails open (`FailOpenResponseCache`).
