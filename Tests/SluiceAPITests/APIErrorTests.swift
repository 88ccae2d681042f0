import Testing
@testable import SluiceAPI

@Suite struct APIErrorTests {
    @Test func envelopeHasAllFourKeysWithExplicitNulls() throws {
        let json = try JSONParser.parse(APIError.internal().jsonBody)
        let error = try #require(json["error"])
        #expect(json.keys == ["error"])
        #expect(error.keys == ["message", "type", "param", "code"])
        #expect(error["param"] == .null)
        #expect(error["code"] == .null)
        #expect(error["type"] == .string("server_error"))
    }

    @Test func invalidRequestCarriesTheParamPath() throws {
        let json = try JSONParser.parse(APIError.invalidRequest("bad", param: "messages[0].content[1].type").jsonBody)
        #expect(json["error"]?["param"] == .string("messages[0].content[1].type"))
        #expect(json["error"]?["type"] == .string("invalid_request_error"))
        #expect(json["error"]?["code"] == .null)
    }

    @Test func factoriesUseOpenAIStatusesTypesAndStringCodes() {
        let cases: [(APIError, Int, String, String?)] = [
            (.invalidRequest("x", param: "n"), 400, "invalid_request_error", nil),
            (.modelNotFound("gpt-x"), 404, "invalid_request_error", "model_not_found"),
            (.contextLengthExceeded(requestedTokens: 9000, limit: 8192), 400, "invalid_request_error", "context_length_exceeded"),
            (.overloaded(), 503, "server_error", "engine_overloaded"),
            (.rateLimited("slow down", retryAfterSeconds: 2), 429, "requests", "rate_limit_exceeded"),
            (.unauthorized(), 401, "invalid_request_error", "invalid_api_key"),
            (.internal(), 500, "server_error", nil),
        ]
        for (error, status, type, code) in cases {
            #expect(error.status == status)
            #expect(error.type == type)
            #expect(error.code == code)
        }
        #expect(APIError.modelNotFound("gpt-x").message.contains("`gpt-x`"))
        #expect(APIError.contextLengthExceeded(requestedTokens: 9000, limit: 8192).param == "messages")
    }

    @Test func retryAfterOnlyWhereItApplies() {
        #expect(APIError.overloaded(retryAfterSeconds: 3).headers.map(\.name) == ["Retry-After"])
        #expect(APIError.overloaded(retryAfterSeconds: 3).headers.map(\.value) == ["3"])
        #expect(APIError.rateLimited("x", retryAfterSeconds: 7).headers.map(\.value) == ["7"])
        #expect(APIError.unauthorized().headers.isEmpty)
        #expect(APIError.invalidRequest("x", param: nil).headers.isEmpty)
    }

    @Test func envelopeRoundTripsThroughCodable() throws {
        let error = APIError.modelNotFound("m")
        let decoded = try WireJSON.decode(ErrorEnvelope.self, from: error.jsonBody)
        #expect(decoded == error.envelope)
    }
}
