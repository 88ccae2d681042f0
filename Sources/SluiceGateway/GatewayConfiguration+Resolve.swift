import Configuration
import Foundation

extension GatewayConfiguration {
    /// Resolves `sluice serve`'s arguments (everything after `serve`) with precedence
    /// flag > `SLUICE_*` environment > config file > default.
    public static func resolve(arguments: [String], environment: [String: String],
                               readFile: (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) })
        throws(GatewayError) -> GatewayConfiguration {
        try resolve(flagValues: ServeArguments.parse(arguments), environment: environment, readFile: readFile)
    }

    /// The same, from flags already split into setting name → value (`["max-body-bytes": "10"]`).
    public static func resolve(flags: [String: String], environment: [String: String],
                               readFile: (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) })
        throws(GatewayError) -> GatewayConfiguration {
        try resolve(flagValues: flags.mapValues { [$0] }, environment: environment, readFile: readFile)
    }

    /// Reads every setting of the table through one swift-configuration `ConfigReader` whose
    /// providers are, in precedence order: the flags, the environment (`EnvironmentVariablesProvider`
    /// maps the key `sluice.max-body-bytes` to `SLUICE_MAX_BODY_BYTES`, lists comma-separated) and
    /// the file. Values stay text until the setting's own parser sees them, so a bad value fails
    /// the same way from any source.
    static func resolve(flagValues: [String: [String]], environment: [String: String],
                        readFile: (String) throws -> Data) throws(GatewayError) -> GatewayConfiguration {
        let flags = InMemoryProvider(name: "flags", values: providerValues(flagValues))
        let env = EnvironmentVariablesProvider(environmentVariables: environment)
        var fileValues: [String: [String]] = [:]
        if let path = ConfigReader(providers: [flags, env]).string(forKey: configKey("config")) {
            let data: Data
            do { data = try readFile(path) } catch {
                throw GatewayError(.invalidConfiguration, "cannot read config file \(path): \(error.localizedDescription)")
            }
            fileValues = try GatewayConfigFile.load(path, data: data)
        }
        let file = InMemoryProvider(name: "file", values: providerValues(fileValues))
        let reader = ConfigReader(providers: [flags, env, file])
        var config = GatewayConfiguration()
        for setting in settings {
            let key = configKey(setting.name)
            let values = setting.isList
                ? reader.stringArray(forKey: key, isSecret: setting.isSecret)
                : reader.string(forKey: key, isSecret: setting.isSecret).map { [$0] }
            guard let values else { continue }
            do {
                try setting.apply(values, to: &config)
            } catch {
                // Say where the bad value came from: the reader merged three sources.
                let source = flagValues[setting.name] != nil ? setting.flag
                    : environment[setting.environmentVariable] != nil ? setting.environmentVariable
                    : "\(setting.fileKey ?? setting.name) in config file \(config.configFile ?? "")"
                throw GatewayError(error.kind, "\(error.message) (from \(source))")
            }
        }
        guard !config.modelPath.isEmpty else {
            throw GatewayError(.invalidConfiguration,
                               "no model given: use --model PATH, SLUICE_MODEL or \"model\" (or models[0].path) in the config file")
        }
        try config.modelCatalog.validate()
        try config.validateAccess()
        try config.validateCORS()
        return config
    }

    /// `sluice.<setting name>`: one key per setting for every provider.
    static func configKey(_ name: String) -> ConfigKey { ConfigKey(["sluice", name]) }

    static func providerValues(_ values: [String: [String]]) -> [AbsoluteConfigKey: ConfigValue] {
        let secret = Set(settings.filter(\.isSecret).map(\.name))
        let list = Set(settings.filter(\.isList).map(\.name))
        var result: [AbsoluteConfigKey: ConfigValue] = [:]
        for (name, texts) in values {
            guard let last = texts.last else { continue }
            let content: ConfigContent = list.contains(name) ? .stringArray(texts) : .string(last)
            result[AbsoluteConfigKey(configKey(name))] = ConfigValue(content, isSecret: secret.contains(name))
        }
        return result
    }
}
