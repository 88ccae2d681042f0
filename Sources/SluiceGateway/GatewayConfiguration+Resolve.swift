import Foundation

/// One setting: its flag (`--max-body-bytes`), environment variable
/// (`SLUICE_MAX_BODY_BYTES`) and JSON key (`max_body_bytes`) all derive from
/// one name, so the three sources can never drift apart.
public struct GatewaySetting: Sendable {
    public let name: String
    let apply: @Sendable (inout GatewayConfiguration, String) throws(GatewayError) -> Void

    public var flag: String { "--" + name }
    public var environmentVariable: String { "SLUICE_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
    public var fileKey: String { name.replacingOccurrences(of: "-", with: "_") }
}

extension GatewayConfiguration {
    public static let settings: [GatewaySetting] = [
        text("host") { $0.host = $1 },
        integer("port", 0...65535) { $0.port = $1 },
        text("model") { $0.modelPath = $1 },
        text("model-name") { $0.modelName = $1 },
        GatewaySetting(name: "log-format") { config, value throws(GatewayError) in
            guard let format = LogFormat(rawValue: value.lowercased()) else {
                throw GatewayError(.invalidConfiguration, "log-format must be json or text, not \(value)")
            }
            config.logFormat = format
        },
        GatewaySetting(name: "log-level") { config, value throws(GatewayError) in
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(value.lowercased()) else {
                throw GatewayError(.invalidConfiguration, "log-level must be one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = value.lowercased()
        },
        boolean("access-log") { $0.accessLog = $1 },
        integer("max-body-bytes", 0...(1 << 40)) { $0.maxBodyBytes = $1 },
        integer("max-header-bytes", 256...(1 << 24)) { $0.maxHeaderBytes = $1 },
        integer("max-header-count", 1...10_000) { $0.maxHeaderCount = $1 },
        integer("max-connections", 1...1_000_000) { $0.maxConnections = $1 },
        integer("event-loops", 1...256) { $0.eventLoops = $1 },
        seconds("header-timeout") { $0.headerTimeoutSeconds = $1 },
        seconds("body-timeout") { $0.bodyTimeoutSeconds = $1 },
        seconds("idle-timeout") { $0.idleTimeoutSeconds = $1 },
        seconds("shutdown-grace") { $0.shutdownGraceSeconds = $1 },
        seconds("sse-keep-alive") { $0.sseKeepAliveSeconds = $1 },
    ] + inferenceSettings + accessSettings

    /// Resolves the configuration with precedence flag > environment > file > default.
    /// - Parameters:
    ///   - flags: values given on the command line, keyed by setting name (`"max-body-bytes"`).
    ///   - environment: the process environment (only `SLUICE_…` keys are read).
    ///   - configFile: path of a JSON object file, from the flag or `SLUICE_CONFIG`.
    public static func resolve(flags: [String: String], environment: [String: String],
                               readFile: (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) })
        throws(GatewayError) -> GatewayConfiguration {
        var fileValues: [String: String] = [:]
        if let path = flags["config"] ?? environment["SLUICE_CONFIG"] {
            fileValues = try loadFile(path, readFile: readFile)
        }
        var config = GatewayConfiguration()
        for setting in settings {
            let value = flags[setting.name] ?? environment[setting.environmentVariable] ?? fileValues[setting.fileKey]
            if let value { try setting.apply(&config, value) }
        }
        guard !config.modelPath.isEmpty else {
            throw GatewayError(.invalidConfiguration, "no model given: use --model PATH, SLUICE_MODEL or \"model\" in the config file")
        }
        try config.validateAccess()
        return config
    }

    /// Reads a JSON object; values may be strings, numbers or booleans.
    static func loadFile(_ path: String, readFile: (String) throws -> Data) throws(GatewayError) -> [String: String] {
        let data: Data
        do { data = try readFile(path) } catch {
            throw GatewayError(.invalidConfiguration, "cannot read config file \(path): \(error.localizedDescription)")
        }
        guard let dictionary = try? JSONDecoder().decode([String: JSONScalar].self, from: data) else {
            throw GatewayError(.invalidConfiguration, "config file \(path) is not a JSON object of strings, numbers and booleans")
        }
        let known = Set(settings.map(\.fileKey))
        var values: [String: String] = [:]
        for (key, value) in dictionary {
            guard known.contains(key) else { throw GatewayError(.invalidConfiguration, "config file \(path): unknown key \"\(key)\"") }
            values[key] = value.text
        }
        return values
    }

    static func text(_ name: String, _ set: @escaping @Sendable (inout GatewayConfiguration, String) -> Void) -> GatewaySetting {
        GatewaySetting(name: name) { config, value throws(GatewayError) in
            guard !value.isEmpty else { throw GatewayError(.invalidConfiguration, "\(name) must not be empty") }
            set(&config, value)
        }
    }

    static func integer(_ name: String, _ range: ClosedRange<Int>,
                        _ set: @escaping @Sendable (inout GatewayConfiguration, Int) -> Void) -> GatewaySetting {
        GatewaySetting(name: name) { config, value throws(GatewayError) in
            guard let number = Int(value), range.contains(number) else {
                throw GatewayError(.invalidConfiguration, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(value)")
            }
            set(&config, number)
        }
    }

    static func seconds(_ name: String, _ set: @escaping @Sendable (inout GatewayConfiguration, Double) -> Void) -> GatewaySetting {
        GatewaySetting(name: name) { config, value throws(GatewayError) in
            guard let number = Double(value), number > 0, number <= 86_400 else {
                throw GatewayError(.invalidConfiguration, "\(name) must be seconds in (0, 86400], not \(value)")
            }
            set(&config, number)
        }
    }

    static func boolean(_ name: String, _ set: @escaping @Sendable (inout GatewayConfiguration, Bool) -> Void) -> GatewaySetting {
        GatewaySetting(name: name) { config, value throws(GatewayError) in
            switch value.lowercased() {
            case "true", "1", "yes", "on": set(&config, true)
            case "false", "0", "no", "off": set(&config, false)
            default: throw GatewayError(.invalidConfiguration, "\(name) must be true or false, not \(value)")
            }
        }
    }
}

/// A JSON string, number or boolean, as the text a flag would carry.
struct JSONScalar: Decodable {
    let text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { text = value ? "true" : "false" }
        else if let value = try? container.decode(Int.self) { text = String(value) }
        else if let value = try? container.decode(Double.self) { text = String(value) }
        else { text = try container.decode(String.self) }
    }
}
