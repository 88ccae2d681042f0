import Foundation
import Yams

/// The `sluice serve` config file, JSON or YAML, read into setting name → values.
///
/// Shape (YAML shown; JSON is the same tree):
/// ```yaml
/// port: 8080                 # any option, its name with '_' for '-'
/// cors_origins: [http://localhost:3000]
/// model_aliases: {gpt-4o-mini: SmolLM2-135M-Instruct.Q4_1}
/// models:                    # the served models; today exactly one (or give `model:` instead)
///   - path: models/SmolLM2-135M-Instruct.Q4_1.gguf
///     id: smol               # optional: model_name
///     aliases: [gpt-4o-mini]
/// ```
/// `models:` is a list of objects so it can grow into several models (and `upstreams:` beside it)
/// without changing what a one-model file means. swift-configuration's JSON and YAML snapshots
/// accept only scalars and lists of scalars and cannot name the keys they were not asked for, so
/// the file is parsed here, checked key by key (unknown keys fail startup), and what it says is
/// handed to swift-configuration as an `InMemoryProvider` below flags and environment.
enum GatewayConfigFile {
    static let modelEntryKeys = ["path", "id", "aliases"]

    static func load(_ path: String, data: Data) throws(GatewayError) -> [String: [String]] {
        let root = try parse(path, data: data)
        guard case .object(let object) = root else {
            throw GatewayError(.invalidConfiguration, "config file \(path) must be an object of options (key: value)")
        }
        let byKey = Dictionary(GatewayConfiguration.settings.compactMap { setting in setting.fileKey.map { ($0, setting) } },
                               uniquingKeysWith: { first, _ in first })
        var values: [String: [String]] = [:]
        for (key, node) in object.sorted(by: { $0.key < $1.key }) where key != "models" {
            guard let setting = byKey[key] else {
                throw GatewayError(.invalidConfiguration, "config file \(path): unknown key \"\(key)\"")
            }
            values[setting.name] = try texts(of: node, for: setting, at: key, in: path)
        }
        if let models = object["models"] { try addModels(models, to: &values, in: path) }
        return values
    }

    /// `models[0]` is the served model: `path` is `model`, `id` is `model_name`, `aliases` name it.
    static func addModels(_ node: ConfigNode, to values: inout [String: [String]], in path: String) throws(GatewayError) {
        guard case .list(let entries) = node else {
            throw GatewayError(.invalidConfiguration, "config file \(path): models must be a list of {path, id, aliases}")
        }
        guard entries.count <= 1 else {
            throw GatewayError(.invalidConfiguration, "config file \(path): models has \(entries.count) entries; this version serves one model")
        }
        guard let entry = entries.first else { return }
        guard case .object(let fields) = entry else {
            throw GatewayError(.invalidConfiguration, "config file \(path): models[0] must be an object {path, id, aliases}")
        }
        for key in fields.keys.sorted() where !modelEntryKeys.contains(key) {
            throw GatewayError(.invalidConfiguration, "config file \(path): unknown key \"models[0].\(key)\"")
        }
        for (field, name) in [("path", "model"), ("id", "model-name")] {
            guard let node = fields[field] else { continue }
            guard values[name] == nil else {
                throw GatewayError(.invalidConfiguration,
                                   "config file \(path): give models[0].\(field) or \(name.replacingOccurrences(of: "-", with: "_")), not both")
            }
            guard let text = node.scalarText else {
                throw GatewayError(.invalidConfiguration, "config file \(path): models[0].\(field) must be a string")
            }
            values[name] = [text]
        }
        if let aliases = fields["aliases"] {
            guard let names = aliases.scalarList, !names.contains(where: { $0.contains("=") }) else {
                throw GatewayError(.invalidConfiguration, "config file \(path): models[0].aliases must be a list of names")
            }
            values["model-alias", default: []] += names
        }
    }

    /// A setting's value(s) as the text a flag would carry.
    static func texts(of node: ConfigNode, for setting: GatewaySetting, at key: String, in path: String) throws(GatewayError) -> [String] {
        if setting.isList {
            // model_aliases may also be the natural map form {alias: model-id}.
            if case .object(let map) = node, setting.name == "model-alias" {
                var items: [String] = []
                for (alias, target) in map.sorted(by: { $0.key < $1.key }) {
                    guard let target = target.scalarText else {
                        throw GatewayError(.invalidConfiguration, "config file \(path): \(key).\(alias) must be a model id")
                    }
                    items.append("\(alias)=\(target)")
                }
                return items
            }
            if let list = node.scalarList { return list }
            if let text = node.scalarText { return [text] }
            throw GatewayError(.invalidConfiguration, "config file \(path): \(key) must be a list of strings")
        }
        guard let text = node.scalarText else {
            throw GatewayError(.invalidConfiguration, "config file \(path): \(key) must be a string, number or boolean")
        }
        return [text]
    }

    /// JSON when the name says so or the text starts with `{`; YAML (a superset of JSON) otherwise.
    static func parse(_ path: String, data: Data) throws(GatewayError) -> ConfigNode {
        let lower = path.lowercased()
        let isYAML = lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")
        let firstByte = data.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let isJSON = lower.hasSuffix(".json") || (!isYAML && firstByte == UInt8(ascii: "{"))
        do {
            if isJSON { return try JSONDecoder().decode(ConfigNode.self, from: data) }
            guard let text = String(data: data, encoding: .utf8) else {
                throw GatewayError(.invalidConfiguration, "config file \(path) is not UTF-8")
            }
            return try YAMLDecoder().decode(ConfigNode.self, from: text)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.invalidConfiguration, "config file \(path) is not valid \(isJSON ? "JSON" : "YAML"): \(describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.typeMismatch(_, let context): context.debugDescription
        default: String(describing: error)
        }
    }
}

/// A parsed config-file value. Scalars keep the text a flag would carry, so one parser per setting
/// serves flags, environment and file alike.
enum ConfigNode: Decodable, Equatable {
    case scalar(String)
    case list([ConfigNode])
    case object([String: ConfigNode])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .scalar(value ? "true" : "false") }
        else if let value = try? container.decode(Int.self) { self = .scalar(String(value)) }
        else if let value = try? container.decode(Double.self) { self = .scalar(String(value)) }
        else if let value = try? container.decode(String.self) { self = .scalar(value) }
        else if let value = try? container.decode([ConfigNode].self) { self = .list(value) }
        else { self = .object(try container.decode([String: ConfigNode].self)) }
    }

    var scalarText: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    var scalarList: [String]? {
        guard case .list(let items) = self else { return nil }
        let texts = items.compactMap(\.scalarText)
        return texts.count == items.count ? texts : nil
    }
}
