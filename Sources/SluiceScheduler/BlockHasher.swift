// Hash chain over full KV blocks (vLLM docs/design/prefix_caching.md: hash(parent hash, block tokens, extras)).
// Our own 64-bit FNV-1a with a SplitMix64 finaliser: deterministic across processes (Swift's Hasher is
// seeded per process), so block hashes could later be advertised for cache-aware routing.
// The cache index also compares the block's tokens, so a collision can only alias two prefixes whose
// parent hashes collide (2^-64 per pair), the risk vLLM accepts too.

enum BlockHasher {
    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    /// The chain's root. The tenant's cache salt enters here, so every block hash of a salted
    /// request differs from an unsalted one (vLLM's `cache_salt`: closes the timing side channel).
    static func root(salt: String?) -> UInt64 {
        var h = fnvOffset
        guard let salt else { return finalise(h) }
        h = mix(h, byte: 1)
        for byte in salt.utf8 { h = mix(h, byte: byte) }
        return finalise(h)
    }

    static func chain(parent: UInt64, tokens: ArraySlice<TokenID>) -> UInt64 {
        var h = fnvOffset
        for shift in stride(from: 0, to: 64, by: 8) { h = mix(h, byte: UInt8(truncatingIfNeeded: parent >> UInt64(shift))) }
        for token in tokens {
            let bits = UInt32(bitPattern: token)
            for shift in stride(from: 0, to: 32, by: 8) { h = mix(h, byte: UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
        }
        return finalise(h)
    }

    private static func mix(_ h: UInt64, byte: UInt8) -> UInt64 {
        (h ^ UInt64(byte)) &* fnvPrime
    }

    private static func finalise(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Identity of a cached full block: its parent's chain hash plus its own tokens.
struct CachedBlockKey: Hashable, Sendable {
    var parentHash: UInt64
    var tokens: [TokenID]
}
