import Testing
@testable import SluiceStore

/// Redis arguments and key names are built by hand on the hit path; they must equal the
/// obvious `String` forms byte for byte.
@Suite struct RedisEncodingTests {
    @Test func decimalArgumentsMatchStringFormatting() {
        for value: Int64 in [0, 7, 9, 10, 99, 100, -1, -10, 1_796_083_100_000_000, .max, .min] {
            #expect(ascii(value) == Array(String(value).utf8), "\(value)")
        }
        #expect(ascii(Int(42)) == Array("42".utf8))
    }

    @Test func keyNamesCarryTheKeyIDAsClusterHashTag() {
        let schema = RedisKeySchema(prefix: "p1")
        #expect(schema.requestMeter("ABC") == Array("p1:rl:{ABC}:req".utf8))
        #expect(schema.tokenMeter("ABC") == Array("p1:rl:{ABC}:tok".utf8))
        #expect(schema.leases("ABC") == Array("p1:conc:{ABC}".utf8))
        #expect(schema.cacheEntry(tenant: "ABC", digest: [0xAB, 0x01]) == Array("p1:cache:{ABC}:ab01".utf8))
    }
}
