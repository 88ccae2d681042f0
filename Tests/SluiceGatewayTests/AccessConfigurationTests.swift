import Foundation
import Testing
@testable import SluiceGateway
import SluiceStore

@Suite struct AccessConfigurationTests {
    func resolve(_ flags: [String: String], environment: [String: String] = [:]) throws(GatewayError) -> GatewayConfiguration {
        var all = flags
        all["model"] = "m.gguf"
        return try GatewayConfiguration.resolve(flags: all, environment: environment) { _ in Data() }
    }

    @Test func parsesRedisURLs() throws {
        #expect(try RedisURL.parse("redis://127.0.0.1:6380") == RedisURL(host: "127.0.0.1", port: 6380, password: nil, database: 0))
        #expect(try RedisURL.parse("redis://:pw@cache.local:7000/3") == RedisURL(host: "cache.local", port: 7000, password: "pw", database: 3))
        #expect(try RedisURL.parse("redis://user:p%40ss@h") == RedisURL(host: "h", port: 6379, password: "p%40ss", database: 0))
        #expect(try RedisURL.parse("redis://[::1]:6379/1") == RedisURL(host: "::1", port: 6379, password: nil, database: 1))
    }

    @Test(arguments: ["http://h:1", "redis://", "redis://h:0", "redis://h:70000", "redis://h:1/x", "redis://[::1"])
    func rejectsMalformedRedisURLs(text: String) {
        #expect(throws: GatewayError.self) { try RedisURL.parse(text) }
    }

    @Test func readsAccessOptionsFromFlagsAndEnvironment() throws {
        let config = try resolve(["redis": "redis://h:1", "redis-failure": "open", "cache-ttl": "60"],
                                 environment: ["SLUICE_ADMIN_KEY": "0123456789abcdefXYZ", "SLUICE_KEY_PEPPER": "pepper-pepper-pepper",
                                               "SLUICE_REDIS_TIMEOUT_MS": "80", "SLUICE_LEASE_SECONDS": "5"])
        #expect(config.access.redis?.host == "h")
        #expect(config.access.redisFailure == .open)
        #expect(config.access.cacheTTLSeconds == 60)
        #expect(config.access.adminKey == "0123456789abcdefXYZ")
        #expect(config.access.redisTimeoutMilliseconds == 80)
        #expect(config.access.leaseSeconds == 5)
        #expect(!config.access.isOpen)
    }

    @Test func responseCacheIsOffByDefault() throws {
        #expect(try resolve([:]).access.cacheTTLSeconds == 0)
    }

    @Test func redisNeedsAPepper() {
        #expect(throws: GatewayError.self) { try resolve(["redis": "redis://h:1", "admin-key": "0123456789abcdefXYZ"]) }
    }

    @Test func openServerStaysOnLoopbackUnlessAllowed() throws {
        #expect(throws: GatewayError.self) { try resolve(["host": "0.0.0.0"]) }
        #expect(try resolve(["host": "0.0.0.0", "allow-open": "true"]).access.isOpen)
        #expect(try resolve(["host": "0.0.0.0", "admin-key": "0123456789abcdefXYZ"]).access.isOpen == false)
        #expect(try resolve(["host": "127.0.0.1"]).access.isOpen)
    }

    @Test(arguments: ["short", "has space in it 0123456789"])
    func rejectsWeakAdminKeys(key: String) {
        #expect(throws: GatewayError.self) { try resolve(["admin-key": key]) }
    }

    @Test func adminKeyComparesWholeKeysOnly() {
        let key = AdminKey("0123456789abcdefXYZ")
        #expect(key.matches("0123456789abcdefXYZ"))
        #expect(!key.matches("0123456789abcdefXY"))
        #expect(!key.matches("0123456789abcdefXYZ0"))
        #expect(!key.matches("1123456789abcdefXYZ"))
        #expect(!key.matches(""))
        #expect(!AdminKey("").matches(""))
    }

    @Test func bearerTokenParsing() {
        #expect(AccessControl.bearerToken("Bearer abc") == "abc")
        #expect(AccessControl.bearerToken("bearer   abc  ") == "abc")
        #expect(AccessControl.bearerToken("Basic abc") == nil)
        #expect(AccessControl.bearerToken("Bearer ") == nil)
        #expect(AccessControl.bearerToken(nil) == nil)
        #expect(AccessControl.bearerToken("  BEARER sk-sluice-a-b\t") == "sk-sluice-a-b")
        #expect(AccessControl.bearerToken("Bearerabc") == nil)
        #expect(AccessControl.bearerToken("Bearer") == nil)
        #expect(AccessControl.bearerToken("Bearer \t ") == nil)
        #expect(AccessControl.bearerToken("Xearer abc") == nil)
        #expect(AccessControl.bearerToken("Bearer a b") == "a b")
    }
}
