import Foundation
import SluiceAPI
import SluiceHTTP

/// `GET /health`, `GET /v1/models` and `GET /v1/models/{model}`. Their bodies never change while
/// the server runs, so they are encoded once and the handlers are synchronous (run inline on the
/// event loop: no Task, no JSON encoder per request).
enum BasicRoutes {
    static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]
    /// Extension field of an alias entry: the served id the alias stands for.
    static let aliasOfField = "sluice_alias_of"

    static func health() -> HTTPHandler {
        let body = Array(#"{"status":"ok"}"#.utf8)
        return .sync { _ in HTTPResponse(headers: jsonHeaders, bytes: body) }
    }

    /// OpenAI list format: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`;
    /// each alias is one more entry with `"sluice_alias_of"` naming its model.
    static func models(_ models: [ServedModel], catalog: ModelCatalog = ModelCatalog(servedIDs: [], aliases: [:])) -> HTTPHandler {
        let body = Array(modelsJSON(models, catalog: catalog).utf8)
        return .sync { _ in HTTPResponse(headers: jsonHeaders, bytes: body) }
    }

    /// `models.retrieve`: one entry for a served id or an alias, else 404 `model_not_found`.
    static func model(_ models: [ServedModel], catalog: ModelCatalog) -> HTTPHandler {
        var bodies: [String: [UInt8]] = [:]
        for entry in entries(models, catalog: catalog) { bodies[entry.id] = Array(entry.json.utf8) }
        return .sync { [bodies] request in
            let raw = request.pathParameters["model"] ?? ""
            let requested = raw.removingPercentEncoding ?? raw
            guard let body = bodies[requested] else {
                // The same 404 as a completion request for an unknown model.
                return APIError.modelNotFound(requested).response()
            }
            return HTTPResponse(headers: jsonHeaders, bytes: body)
        }
    }

    static func modelsJSON(_ models: [ServedModel], catalog: ModelCatalog = ModelCatalog(servedIDs: [], aliases: [:])) -> String {
        "{\"object\":\"list\",\"data\":[\(entries(models, catalog: catalog).map(\.json).joined(separator: ","))]}"
    }

    /// The served models, then their aliases sorted by name (an alias of a model not in `models` is skipped).
    static func entries(_ models: [ServedModel], catalog: ModelCatalog) -> [(id: String, json: String)] {
        func json(_ id: String, _ model: ServedModel, aliasOf: String?) -> String {
            let alias = aliasOf.map { ",\"\(aliasOfField)\":\(JSONText.quoted($0))" } ?? ""
            return "{\"id\":\(JSONText.quoted(id)),\"object\":\"model\",\"created\":\(model.created),\"owned_by\":\(JSONText.quoted(model.ownedBy))\(alias)}"
        }
        var result = models.map { (id: $0.id, json: json($0.id, $0, aliasOf: nil)) }
        for (alias, target) in catalog.sortedAliases {
            guard let model = models.first(where: { $0.id == target }) else { continue }
            result.append((id: alias, json: json(alias, model, aliasOf: target)))
        }
        return result
    }
}
