import Foundation
import Testing
@testable import SluiceGateway
import SluiceAPI
import SluiceStore

@Suite struct AccessAdminRequestTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func create(_ json: String) throws(APIError) -> APIKeySpec {
        try AdminRequests.create(Array(json.utf8), now: now)
    }

    func param(_ json: String) -> String? {
        do {
            _ = try create(json)
            return "no error"
        } catch {
            #expect(error.status == 400)
            return error.param
        }
    }

    @Test func parsesEveryCreateField() throws {
        let spec = try create(#"""
            {"name":"team-a","allowed_models":["m1","m2"],"rpm":60,"tpm":1000,"max_concurrent":2,
             "token_budget":{"tokens":500,"period":"month"},"expires_at":1900000000,"metadata":{"owner":"x"}}
            """#)
        #expect(spec.name == "team-a")
        #expect(spec.allowedModels == ["m1", "m2"])
        #expect(spec.limits == RateLimits(requestsPerMinute: 60, tokensPerMinute: 1000, maxConcurrentRequests: 2,
                                          tokenBudget: TokenBudget(tokens: 500, period: .month)))
        #expect(spec.expiresAt == Date(timeIntervalSince1970: 1_900_000_000))
        #expect(spec.metadata == ["owner": "x"])
    }

    @Test func namesTheParameterOfEveryInvalidField() {
        #expect(param(#"{}"#) == "name")
        #expect(param(#"{"name":""}"#) == "name")
        #expect(param(#"{"name":"a","rpm":0}"#) == "rpm")
        #expect(param(#"{"name":"a","tpm":1.5}"#) == "tpm")
        #expect(param(#"{"name":"a","max_concurrent":"2"}"#) == "max_concurrent")
        #expect(param(#"{"name":"a","token_budget":{"tokens":1}}"#) == "token_budget.period")
        #expect(param(#"{"name":"a","token_budget":{"period":"day"}}"#) == "token_budget.tokens")
        #expect(param(#"{"name":"a","token_budget":{"tokens":1,"period":"day","x":1}}"#) == "token_budget.x")
        #expect(param(#"{"name":"a","expires_at":1700000000}"#) == "expires_at")
        #expect(param(#"{"name":"a","allowed_models":["ok",""]}"#) == "allowed_models[1]")
        #expect(param(#"{"name":"a","metadata":{"k":true}}"#) == "metadata.k")
        #expect(param(#"{"name":"a","rate":1}"#) == "rate")
        #expect(param(#"[1]"#) == nil)
        #expect(param(#"{"name":"#) == nil)
    }

    @Test func patchDistinguishesAbsentFromNull() throws {
        let update = try AdminRequests.update(Array(#"{"rpm":null,"tpm":5,"token_budget":null}"#.utf8), now: now)
        #expect(update.requestsPerMinute == .some(nil))
        #expect(update.tokensPerMinute == .some(5))
        #expect(update.tokenBudget == .some(nil))
        #expect(update.maxConcurrentRequests == nil)
        #expect(update.name == nil)
        #expect(update.expiresAt == nil)
    }

    @Test func rotateReadsAnOptionalGracePeriod() throws {
        #expect(try AdminRequests.rotate([]) == .zero)
        #expect(try AdminRequests.rotate(Array(#"{"grace_period_seconds":90}"#.utf8)) == .seconds(90))
        #expect(throws: APIError.self) { try AdminRequests.rotate(Array(#"{"grace_period_seconds":-1}"#.utf8)) }
        #expect(throws: APIError.self) { try AdminRequests.rotate(Array(#"{"grace":1}"#.utf8)) }
    }

    @Test func parsesUsageDates() throws {
        #expect(try AdminRequests.day("2026-11-30", param: "end") == Date(timeIntervalSince1970: 1_795_996_800))
        #expect(try AdminRequests.day("1970-01-01", param: "end") == Date(timeIntervalSince1970: 0))
        #expect(throws: APIError.self) { try AdminRequests.day("2026-13-01", param: "end") }
        #expect(throws: APIError.self) { try AdminRequests.day("20261130", param: "end") }
    }

    @Test func keyJSONNeverCarriesHashesAndShowsThePlaintextOnlyWhenGiven() throws {
        let record = APIKeyRecord(id: "AbCdEfGhIjKl", name: "n\"q", createdAt: now, secretHash: "deadbeefhash",
                                  last4: "wxyz", previousSecretHash: "oldhash")
        let shown = AdminJSON.key(record)
        #expect(!shown.contains("deadbeef") && !shown.contains("oldhash") && !shown.contains("\"key\""))
        let parsed = try JSONParser.parse(shown)
        #expect(parsed["name"] == .string("n\"q"))
        #expect(parsed["rpm"] == .null)
        let created = try JSONParser.parse(AdminJSON.key(record, plaintextKey: "sk-sluice-x"))
        #expect(created["key"] == .string("sk-sluice-x"))
    }
}
