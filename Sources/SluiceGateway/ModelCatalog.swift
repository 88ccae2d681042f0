import Foundation

/// The model ids the gateway serves and the aliases clients may use instead (`--model-alias`), so an
/// app hard-wired to `gpt-4o-mini` can talk to a local model. Pure value: built from the configuration,
/// consulted by `/v1/models` and by the inference pipeline (built once at startup: `GatewayConfiguration.modelCatalog` derives it anew on each call).
public struct ModelCatalog: Sendable, Hashable {
    public let servedIDs: [String]
    /// Alias → served id.
    public let aliases: [String: String]

    public init(servedIDs: [String], aliases: [String: String]) {
        self.servedIDs = servedIDs
        self.aliases = aliases
    }

    /// The served id `requested` names: itself when served, its target when an alias, else nil.
    public func resolve(_ requested: String) -> String? {
        if servedIDs.contains(requested) { return requested }
        return aliases[requested]
    }

    /// Aliases sorted by name, so `/v1/models` lists them in a stable order.
    public var sortedAliases: [(alias: String, target: String)] {
        aliases.sorted { $0.key < $1.key }.map { (alias: $0.key, target: $0.value) }
    }

    /// Parses `alias=target` items; a bare `alias` names `defaultTarget` (the one served model).
    static func parseAliases(_ items: [String], defaultTarget: String) throws(GatewayError) -> [String: String] {
        var aliases: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let alias = parts[0].trimmingCharacters(in: .whitespaces)
            let target = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : defaultTarget
            guard !alias.isEmpty, !target.isEmpty else {
                throw GatewayError(.invalidConfiguration, "model-alias must be alias=model-id, not \"\(item)\"")
            }
            if let earlier = aliases[alias], earlier != target {
                throw GatewayError(.invalidConfiguration, "model-alias \(alias) names two models: \(earlier) and \(target)")
            }
            aliases[alias] = target
        }
        return aliases
    }

    /// Start-up check: every alias names a served model and no alias hides a served id.
    func validate() throws(GatewayError) {
        for (alias, target) in sortedAliases {
            guard servedIDs.contains(target) else {
                throw GatewayError(.invalidConfiguration,
                                   "model-alias \(alias)=\(target): \(target) is not a served model (served: \(servedIDs.joined(separator: ", ")))")
            }
            guard !servedIDs.contains(alias) else {
                throw GatewayError(.invalidConfiguration, "model-alias \(alias) is already the id of a served model")
            }
        }
    }
}
