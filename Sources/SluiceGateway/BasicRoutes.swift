import SluiceHTTP

/// `GET /health` and `GET /v1/models`. Their bodies never change while the
/// server runs, so they are encoded once and the handlers are synchronous
/// (run inline on the event loop: no Task, no JSON encoder per request).
enum BasicRoutes {
    static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]

    static func health() -> HTTPHandler {
        let body = Array(#"{"status":"ok"}"#.utf8)
        return .sync { _ in HTTPResponse(headers: jsonHeaders, bytes: body) }
    }

    /// OpenAI list format: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
    static func models(_ models: [ServedModel]) -> HTTPHandler {
        let body = Array(modelsJSON(models).utf8)
        return .sync { _ in HTTPResponse(headers: jsonHeaders, bytes: body) }
    }

    static func modelsJSON(_ models: [ServedModel]) -> String {
        let entries = models.map { model in
            "{\"id\":\(JSONText.quoted(model.id)),\"object\":\"model\",\"created\":\(model.created),\"owned_by\":\(JSONText.quoted(model.ownedBy))}"
        }
        return "{\"object\":\"list\",\"data\":[\(entries.joined(separator: ","))]}"
    }
}
