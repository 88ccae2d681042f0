import Foundation
import Synchronization
import Testing
@testable import SluiceStore

/// A deterministic "random" source: a counter, so generated keys are reproducible.
final class CountingRandomSource: SecureRandomSource {
    private let next = Mutex<UInt8>(0)

    func fill(_ buffer: inout [UInt8]) throws(StoreError) {
        next.withLock { value in
            for index in buffer.indices {
                buffer[index] = value
                value &+= 1
            }
        }
    }
}

let testPepper = Array("pepper-for-tests-only-0123456789".utf8)

func makeIssuer(random: any SecureRandomSource = OpenSSLRandomSource()) throws -> APIKeyIssuer {
    APIKeyIssuer(hasher: try SecretHasher(pepper: testPepper), random: random)
}

@Suite struct APIKeyTests {
    @Test func hmacMatchesRFC4231TestCase2() {
        let mac = SecretHasher(anyKey: Array("Jefe".utf8)).hmacSHA256(Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 4231 §4.7: a key longer than the SHA-256 block is hashed first.
    @Test func hmacMatchesRFC4231TestCase6() {
        let mac = SecretHasher(anyKey: [UInt8](repeating: 0xAA, count: 131))
            .hmacSHA256(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Hex.encode(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func precomputedHMACEqualsOpenSSLOneShot() throws {
        for keyLength in [16, 32, 63, 64, 65, 200] {
            let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let hasher = try SecretHasher(pepper: key)
            for dataLength in [0, 1, 43, 64, 1000] {
                let data = (0..<dataLength).map { UInt8(truncatingIfNeeded: $0 &* 13) }
                #expect(hasher.hmacSHA256(data) == SecretHasher.referenceHMACSHA256(key: key, data: data))
            }
        }
    }

    @Test func issuedKeyHasTheDocumentedShapeAndParsesBack() throws {
        let created = try makeIssuer().issue(APIKeySpec(name: "ci"), now: Date())
        let key = created.plaintextKey
        #expect(key.hasPrefix("sk-sluice-"))
        #expect(key.utf8.count == APIKeyFormat.totalLength)
        let parsed = try #require(APIKeyFormat.parse(key))
        #expect(parsed.keyID == created.record.id)
        #expect(String(key.suffix(4)) == created.record.last4)
        #expect(!created.record.secretHash.contains(parsed.secret))
        #expect(created.record.secretHash.count == 64)
    }

    @Test(arguments: [
        "", "sk-sluice-", "Bearer sk-sluice-abc", String(repeating: "a", count: 100_000),
        "sk-sluice-AAAAAAAAAAAA-" + String(repeating: "b", count: 42),           // one short
        "sk-sluice-AAAAAAAAAAAA-" + String(repeating: "b", count: 44),           // one long
        "sk-sluice-AAAAAAAAAAAA_" + String(repeating: "b", count: 43),           // wrong separator
        "sk-sluice-AAAAAAAAAA-A-" + String(repeating: "b", count: 43),           // separator inside id
        "sk-sluice-AAAAAAAAAAAA-" + String(repeating: "b", count: 42) + "\u{0}",  // NUL
        "sk-sluice-AAAAAAAAAAAA-" + String(repeating: "b", count: 41) + "é",      // non-ASCII, same byte count
        "SK-SLUICE-AAAAAAAAAAAA-" + String(repeating: "b", count: 43),
    ])
    func rejectsMalformedPresentedKeys(_ presented: String) {
        #expect(APIKeyFormat.parse(presented) == nil)
    }

    @Test func generatedCharactersAreBase62WithRejectionSampling() throws {
        // Counting bytes 0,1,2,…: 248…255 must be skipped, so after 62 chars the alphabet repeats.
        let text = try Base62Generator(random: CountingRandomSource()).string(length: 300)
        #expect(text.utf8.allSatisfy(APIKeyFormat.isBase62))
        #expect(text.hasPrefix("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123"))
    }

    @Test func verifyRejectsWrongSecretRevokedAndExpiredKeys() throws {
        let issuer = try makeIssuer()
        let now = Date()
        let created = try issuer.issue(APIKeySpec(name: "a", expiresAt: now.addingTimeInterval(60)), now: now)
        let parsed = try #require(APIKeyFormat.parse(created.plaintextKey))
        #expect(issuer.verify(parsed, record: created.record, now: now) == .valid(created.record))
        let wrong = ParsedAPIKey(keyID: parsed.keyID, secret: String(parsed.secret.reversed()))
        #expect(issuer.verify(wrong, record: created.record, now: now) == .invalid(.wrongSecret))
        #expect(issuer.verify(parsed, record: nil, now: now) == .invalid(.unknownKey))
        #expect(issuer.verify(parsed, record: created.record, now: now.addingTimeInterval(61)) == .invalid(.expired))
        var revoked = created.record
        revoked.revokedAt = now
        #expect(issuer.verify(parsed, record: revoked, now: now) == .invalid(.revoked))
    }

    @Test func rotationKeepsTheOldSecretOnlyForTheGracePeriod() throws {
        let issuer = try makeIssuer()
        let now = Date()
        let original = try issuer.issue(APIKeySpec(name: "a"), now: now)
        let rotated = try issuer.rotate(original.record, gracePeriod: .seconds(30), now: now)
        let old = try #require(APIKeyFormat.parse(original.plaintextKey))
        let new = try #require(APIKeyFormat.parse(rotated.plaintextKey))
        #expect(new.keyID == old.keyID)
        #expect(rotated.record.keyVersion == original.record.keyVersion + 1)
        #expect(issuer.verify(new, record: rotated.record, now: now).record != nil)
        #expect(issuer.verify(old, record: rotated.record, now: now.addingTimeInterval(29)).record != nil)
        #expect(issuer.verify(old, record: rotated.record, now: now.addingTimeInterval(30)) == .invalid(.wrongSecret))
    }

    @Test func differentPeppersGiveDifferentHashes() throws {
        let a = try SecretHasher(pepper: testPepper)
        let b = try SecretHasher(pepper: Array("another-pepper-of-32-bytes-long!".utf8))
        #expect(a.hash(secret: "s") != b.hash(secret: "s"))
        #expect(throws: StoreError.self) { try SecretHasher(pepper: Array("short".utf8)) }
    }

    @Test func oversizedAdminFieldsAreRefused() throws {
        let issuer = try makeIssuer()
        let huge = String(repeating: "x", count: 2_000)
        for spec in [APIKeySpec(name: huge), APIKeySpec(name: "a", allowedModels: [huge]),
                     APIKeySpec(name: "a", metadata: ["k": huge]),
                     APIKeySpec(name: "a", limits: RateLimits(requestsPerMinute: -1))] {
            let error = #expect(throws: StoreError.self) { try issuer.issue(spec, now: Date()) }
            #expect(error?.kind == .invalidArgument)
        }
    }

    @Test func constantTimeCompareTellsEqualFromDifferent() {
        #expect(ConstantTime.equals("abcd", "abcd"))
        #expect(!ConstantTime.equals("abcd", "abce"))
        #expect(!ConstantTime.equals("abcd", "abc"))
    }
}
