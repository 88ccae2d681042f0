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

    /// RESP (redis.io/docs/reference/protocol-spec): an array of bulk strings, binary-safe.
    @Test func commandsAreEncodedAsRESPArraysOfBulkStrings() {
        let command = RedisCommand("SET").adding(bytes: [0x00, 0x0D, 0x0A]).adding(-12).adding("")
        let expected = Array("*4\r\n$3\r\nSET\r\n$3\r\n".utf8) + [0x00, 0x0D, 0x0A]
            + Array("\r\n$3\r\n-12\r\n$0\r\n\r\n".utf8)
        #expect(command.resp == expected)
        var script = RedisCommand("EVALSHA")
        script.append(contentsOf: ScriptCall(script: RedisScripts.settle, keys: [[0x6B]], arguments: [[0x31]]).keysAndArguments)
        #expect(script.resp == Array("*4\r\n$7\r\nEVALSHA\r\n$1\r\n1\r\n$1\r\nk\r\n$1\r\n1\r\n".utf8))
    }
}
