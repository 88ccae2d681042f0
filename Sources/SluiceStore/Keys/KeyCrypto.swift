import COpenSSL

/// Source of cryptographically strong random bytes; injected so tests can be deterministic.
public protocol SecureRandomSource: Sendable {
    func fill(_ buffer: inout [UInt8]) throws(StoreError)
}

/// OpenSSL `RAND_bytes` (a CSPRNG seeded from the OS).
public struct OpenSSLRandomSource: SecureRandomSource {
    public init() {}

    public func fill(_ buffer: inout [UInt8]) throws(StoreError) {
        let count = Int32(buffer.count)
        let result = buffer.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, count) }
        guard result == 1 else { throw StoreError(.io, "RAND_bytes failed") }
    }
}

/// Draws uniformly distributed base62 strings: random bytes ≥ 248 are rejected
/// (248 = 4 × 62) so every character has probability exactly 1/62.
struct Base62Generator {
    let random: any SecureRandomSource

    func string(length: Int) throws(StoreError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var pool = [UInt8](repeating: 0, count: length + 16)
        while out.count < length {
            try random.fill(&pool)
            for byte in pool where byte < 248 && out.count < length {
                out.append(APIKeyFormat.alphabet[Int(byte % 62)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// HMAC-SHA256 keyed with the server pepper (kept outside the store, so a dump of
/// Redis or the key file alone cannot be used to test guesses).
public struct SecretHasher: Sendable {
    /// SHA-256 states after absorbing the key block XOR ipad / opad (RFC 2104 §2): computed once,
    /// copied per hash. OpenSSL 3's one-shot `HMAC()` fetches the algorithm and allocates a
    /// context on every call, which made it the largest crypto cost of a cache hit.
    private let inner: SHA256_CTX
    private let outer: SHA256_CTX

    public init(pepper: [UInt8]) throws(StoreError) {
        guard pepper.count >= 16 else {
            throw StoreError(.invalidArgument, "the key pepper must be at least 16 bytes")
        }
        self.init(anyKey: pepper)
    }

    /// Any HMAC key (the RFC 4231 vectors use short ones); the pepper rule is `init(pepper:)`'s.
    init(anyKey pepper: [UInt8]) {
        // RFC 2104 §2: a key longer than the block (64 bytes for SHA-256) is hashed first.
        var block = pepper.count > 64 ? Digest.sha256(pepper) : pepper
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256_CTX()
        var outer = SHA256_CTX()
        SHA256_Init(&inner)
        SHA256_Init(&outer)
        let innerPad = block.map { $0 ^ 0x36 }
        let outerPad = block.map { $0 ^ 0x5C }
        innerPad.withUnsafeBytes { _ = SHA256_Update(&inner, $0.baseAddress, $0.count) }
        outerPad.withUnsafeBytes { _ = SHA256_Update(&outer, $0.baseAddress, $0.count) }
        self.inner = inner
        self.outer = outer
    }

    /// Lowercase hex HMAC-SHA256(pepper, secret): what key records store.
    public func hash(secret: String) -> String {
        Hex.encode(hmacSHA256(Array(secret.utf8)))
    }

    func hmacSHA256(_ data: [UInt8]) -> [UInt8] {
        var innerDigest = [UInt8](repeating: 0, count: 32)
        var context = inner
        data.withUnsafeBytes { _ = SHA256_Update(&context, $0.baseAddress, $0.count) }
        innerDigest.withUnsafeMutableBufferPointer { _ = SHA256_Final($0.baseAddress, &context) }
        var out = [UInt8](repeating: 0, count: 32)
        context = outer
        innerDigest.withUnsafeBytes { _ = SHA256_Update(&context, $0.baseAddress, $0.count) }
        out.withUnsafeMutableBufferPointer { _ = SHA256_Final($0.baseAddress, &context) }
        return out
    }

    /// OpenSSL's one-shot HMAC, for tests that check the precomputed form against it.
    static func referenceHMACSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var outLength: UInt32 = 0
        key.withUnsafeBytes { keyBuffer in
            data.withUnsafeBytes { dataBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    _ = HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                             dataBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self), dataBuffer.count,
                             outBuffer.baseAddress, &outLength)
                }
            }
        }
        return out
    }
}

enum Digest {
    /// SHA-256 through the low-level interface (no per-call algorithm fetch, unlike `SHA256()`
    /// in OpenSSL 3); the cache key of every request is one of these.
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var context = SHA256_CTX()
        SHA256_Init(&context)
        data.withUnsafeBytes { _ = SHA256_Update(&context, $0.baseAddress, $0.count) }
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { _ = SHA256_Final($0.baseAddress, &context) }
        return out
    }

    static func sha1Hex(_ text: String) -> String {
        let data = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: 20)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { _ = SHA1(input.baseAddress, input.count, $0.baseAddress) }
        }
        return Hex.encode(out)
    }
}

enum ConstantTime {
    /// CRYPTO_memcmp: time depends only on the length, never on where bytes differ (CWE-208).
    static func equals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
        }
    }
}

enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
