import SluiceAPI
import SluiceGateway
import SluiceHTTP

/// Routes for live tests of admission, served only by `sluice-test-server` (a separate target, so
/// the release `sluice` cannot contain them): the engine's routes are not needed to exercise
/// leases, limits and settlement.
///
/// `POST /v1/_test/hold` body `{"model", "prompt_tokens", "max_tokens", "hold_ms", "actual_tokens"}`:
/// admits like an inference route, then streams one SSE comment every 100 ms for `hold_ms`
/// (so the connection is visibly in flight) settles with `actual_tokens`, then writes `data: {"done":true}`.
public enum AccessTestRoutes {
    public static func all(modelID: String) -> [GatewayRoute] {
        [GatewayRoute(.post, "/v1/_test/hold", .async { request in await hold(request, defaultModel: modelID) })]
    }

    static func hold(_ request: HTTPRequest, defaultModel: String) async -> HTTPResponse {
        guard let access = AccessContext.current else {
            return APIError.internal("no access context").response()
        }
        let body = (try? JSONParser.parse(request.body)) ?? .object([:])
        func int(_ key: String, _ fallback: Int) -> Int {
            if case .integer(let value)? = body[key] { return Int(clamping: value) }
            return fallback
        }
        var model = defaultModel
        if case .string(let given)? = body["model"] { model = given }
        let promptTokens = int("prompt_tokens", 10)
        let maxTokens = int("max_tokens", 10)
        let holdMilliseconds = min(int("hold_ms", 0), 120_000)
        let actualTokens = int("actual_tokens", promptTokens)
        let ticket: AdmissionTicket
        do throws(APIError) {
            try access.authorize(model: model)
            ticket = try await access.admit(promptTokens: promptTokens, maxTokens: maxTokens)
        } catch {
            return error.response()
        }
        return HTTPResponse(headers: ["Content-Type": "text/event-stream"], body: .stream(HTTPStreamOptions()) { writer in
            var waited = 0
            while waited < holdMilliseconds {
                try await writer.write(Array(": holding\n\n".utf8))
                try await Task.sleep(for: .milliseconds(100))
                waited += 100
            }
            // Settled before the last bytes, so a client that saw the end sees the slot free.
            await ticket.settle(actualTokens: actualTokens)
            try await writer.write(Array("data: {\"done\":true}\n\n".utf8))
        })
    }
}
