/// Every Redis key Sluice uses. `{<key id>}` is a Cluster hash tag: all keys one
/// script touches for a key share a slot, so a later move to Redis Cluster works.
///
/// | key | type | contents |
/// |---|---|---|
/// | `<p>:keys` | SET | every key id (listing) |
/// | `<p>:key:{<id>}` | HASH | `record` (JSON `APIKeyRecord`, HMAC only), `version` (CAS) |
/// | `<p>:rl:{<id>}:req` | STRING | GCRA TAT (µs, Redis TIME) of requests/minute, PX until full |
/// | `<p>:rl:{<id>}:tok` | STRING | GCRA TAT (µs) of tokens/minute |
/// | `<p>:conc:{<id>}` | ZSET | lease: member request id, score expiry (µs) |
/// | `<p>:resv:{<id>}:<request id>` | STRING | `"<tpm cost> <budget cost>"`, PX 1 h; settle deletes it (idempotence) |
/// | `<p>:budget:{<id>}:<d20261130 / m202611>` | STRING | tokens charged in the period, EXPIRE period + margin |
/// | `<p>:usage:{<id>}:<yyyy-MM-dd>` | HASH | `req`, `in`, `out`, EXPIRE 400 days |
/// | `<p>:cache:{<tenant>}:<hex sha256(tenant, request)>` | STRING | cached response bytes, PX ttl |
///
/// The cache entry carries its tenant's tag (the key id) so the `serve` script, which reads the
/// entry and writes that key's limits and usage in one call, touches a single Cluster slot.
struct RedisKeySchema: Sendable {
    let prefix: String

    var keyIndex: [UInt8] { bytes("\(prefix):keys") }
    func keyRecord(_ id: String) -> [UInt8] { bytes("\(prefix):key:{\(id)}") }
    func requestMeter(_ id: String) -> [UInt8] { tagged(":rl:{", id, "}:req") }
    func tokenMeter(_ id: String) -> [UInt8] { tagged(":rl:{", id, "}:tok") }
    func leases(_ id: String) -> [UInt8] { tagged(":conc:{", id, "}") }
    func reservation(_ id: String, requestID: String) -> [UInt8] { bytes("\(prefix):resv:{\(id)}:\(requestID)") }
    func budget(_ id: String, periodID: String) -> [UInt8] { bytes("\(prefix):budget:{\(id)}:\(periodID)") }
    func usage(_ id: String, day: String) -> [UInt8] { bytes("\(prefix):usage:{\(id)}:\(day)") }
    func cacheEntry(tenant: String, digest: [UInt8]) -> [UInt8] { bytes("\(prefix):cache:{\(tenant)}:\(Hex.encode(digest))") }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `<prefix><head><id><tail>` straight into one array (these names are built on every hit).
    private func tagged(_ head: StaticString, _ id: String, _ tail: StaticString) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(prefix.utf8.count + head.utf8CodeUnitCount + id.utf8.count + tail.utf8CodeUnitCount)
        out.append(contentsOf: prefix.utf8)
        head.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: id.utf8)
        tail.withUTF8Buffer { out.append(contentsOf: $0) }
        return out
    }
}
