import Foundation
import SluiceAPI
import SluiceTesting
import Testing
@testable import SluiceGateway

/// `--prefix-cache-scope`: the setting, and what its salt does to KV reuse through the engine
/// service (the scheduler's own test is SchedulerPrefixCacheTests.differentCacheSaltsNeverShareBlocks).
@Suite struct PrefixCacheScopeTests {
    func resolve(_ flags: [String: String] = [:], environment: [String: String] = [:]) throws -> GatewayConfiguration {
        try GatewayConfiguration.resolve(flags: ["model": "m.gguf"].merging(flags) { $1 }, environment: environment) { _ in
            throw CocoaError(.fileNoSuchFile)
        }
    }

    @Test func sharedByDefaultTenantByFlagOrEnvironmentAndNothingElse() throws {
        #expect(try resolve().inference.prefixCacheScope == .shared)
        #expect(try resolve(["prefix-cache-scope": "tenant"]).inference.prefixCacheScope == .tenant)
        #expect(try resolve(environment: ["SLUICE_PREFIX_CACHE_SCOPE": "TENANT"]).inference.prefixCacheScope == .tenant)
        #expect(throws: GatewayError.self) { try resolve(["prefix-cache-scope": "per-key"]) }
    }

    @Test func onlyTheTenantScopeSaltsTheCache() {
        #expect(PrefixCacheScope.shared.cacheSalt(tenant: "key-a") == nil)
        #expect(PrefixCacheScope.tenant.cacheSalt(tenant: "key-a") == "key-a")
        #expect(PrefixCacheScope.tenant.cacheSalt(tenant: "key-a") != PrefixCacheScope.tenant.cacheSalt(tenant: "key-b"))
    }

    /// The same 40-token prompt from three callers: the second tenant reuses nothing under
    /// `tenant` scope, the first tenant's repeat reuses its full blocks, and under `shared`
    /// scope the other tenant reuses them too.
    @Test(arguments: [PrefixCacheScope.shared, .tenant])
    func saltedPromptsReuseOnlyTheirOwnTenantsBlocks(scope: PrefixCacheScope) async throws {
        let model = try InferenceFixture.served()
        let executor = ScriptedExecutor(tokenizer: model.tokenizer, script: " fox")
        let service = try makeService(executor, model: model)
        defer { service.stop() }
        let prompt = (0..<40).map { Int32(1000 + $0) }
        func cached(_ tenant: String) async throws -> Int? {
            let job = InferenceJob(prompts: [prompt], maxNewTokens: 1, cacheSalt: scope.cacheSalt(tenant: tenant))
            let usage = try #require(await collect(try service.submit(job).get()).usage)
            return usage.cachedPromptTokens
        }
        #expect(try await cached("key-a") == 0)
        #expect(try await cached("key-b") == (scope == .tenant ? 0 : 32))
        #expect(try await cached("key-a") == 32)
    }
}
