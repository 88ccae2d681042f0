import Foundation

/// One `sluice serve` option, defined once: its flag (`--max-body-bytes`), environment variable
/// (`SLUICE_MAX_BODY_BYTES`), config-file key (`max_body_bytes`), help text, default and parser all
/// come from this value, so `--help`, the environment, the file and the real defaults cannot drift
/// apart (`GatewayConfigurationTableTests` checks it).
public struct GatewaySetting: Sendable {
    /// What a setting's default is, as `--help` shows it.
    public enum Default: Sendable, Equatable {
        /// A value the parser accepts; applying it to `GatewayConfiguration()` changes nothing (tested).
        case value(String)
        /// A default that is not one fixed value ("one per core", "the file name without .gguf").
        case described(String)
        /// No default: absent means off or unset.
        case none
    }

    public enum Kind: Sendable {
        /// One value; a later source or a repeated flag replaces it.
        case scalar(@Sendable (inout GatewayConfiguration, String) throws(GatewayError) -> Void)
        /// A list: the flag repeats, the environment variable and each flag value are comma-separated,
        /// the file gives a list (or one comma-separated string).
        case list(@Sendable (inout GatewayConfiguration, [String]) throws(GatewayError) -> Void)
    }

    public let name: String
    /// Placeholder in `--help` (`<n>`, `<seconds>`).
    public let valueName: String
    public let help: String
    public let defaultValue: Default
    public let kind: Kind
    /// Not listed by `--help` (live-test switches).
    public let isHidden: Bool
    /// Redacted wherever swift-configuration reports the value.
    public let isSecret: Bool
    let fileKeyOverride: String??

    public init(_ name: String, _ valueName: String, _ help: String, default defaultValue: Default = .none,
                hidden: Bool = false, secret: Bool = false, fileKey: String?? = nil, kind: Kind) {
        self.name = name
        self.valueName = valueName
        self.help = help
        self.defaultValue = defaultValue
        self.kind = kind
        self.isHidden = hidden
        self.isSecret = secret
        self.fileKeyOverride = fileKey
    }

    public var flag: String { "--" + name }
    /// What swift-configuration's `EnvironmentVariablesProvider` reads for the key `sluice.<name>`.
    public var environmentVariable: String { "SLUICE_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
    /// The top-level key in a config file; nil for `config` itself (a file cannot name a file).
    public var fileKey: String? {
        if let fileKeyOverride { return fileKeyOverride }
        return name.replacingOccurrences(of: "-", with: "_")
    }

    public var isList: Bool {
        if case .list = kind { return true }
        return false
    }

    /// Parses `values` (one element for a scalar: the last given wins) into `config`.
    func apply(_ values: [String], to config: inout GatewayConfiguration) throws(GatewayError) {
        switch kind {
        case .scalar(let set):
            if let value = values.last { try set(&config, value) }
        case .list(let set):
            let items = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            try set(&config, items.filter { !$0.isEmpty })
        }
    }
}

// MARK: Builders: one per value type, so each table row is one line of name, help, default and target.

extension GatewaySetting {
    static func text(_ name: String, _ help: String, default defaultValue: Default = .none,
                     valueName: String = "text", secret: Bool = false,
                     _ set: @escaping @Sendable (inout GatewayConfiguration, String) -> Void) -> GatewaySetting {
        GatewaySetting(name, valueName, help, default: defaultValue, secret: secret, kind: .scalar { config, value throws(GatewayError) in
            guard !value.isEmpty else { throw GatewayError(.invalidConfiguration, "\(name) must not be empty") }
            set(&config, value)
        })
    }

    static func integer(_ name: String, _ range: ClosedRange<Int>, _ help: String, default defaultValue: Default = .none,
                        _ set: @escaping @Sendable (inout GatewayConfiguration, Int) -> Void) -> GatewaySetting {
        GatewaySetting(name, "n", help, default: defaultValue, kind: .scalar { config, value throws(GatewayError) in
            guard let number = Int(value), range.contains(number) else {
                throw GatewayError(.invalidConfiguration, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(value)")
            }
            set(&config, number)
        })
    }

    static func seconds(_ name: String, _ help: String, default defaultValue: Default = .none,
                        _ set: @escaping @Sendable (inout GatewayConfiguration, Double) -> Void) -> GatewaySetting {
        GatewaySetting(name, "seconds", help, default: defaultValue, kind: .scalar { config, value throws(GatewayError) in
            guard let number = Double(value), number > 0, number <= 86_400 else {
                throw GatewayError(.invalidConfiguration, "\(name) must be seconds in (0, 86400], not \(value)")
            }
            set(&config, number)
        })
    }

    static func boolean(_ name: String, _ help: String, default defaultValue: Bool, hidden: Bool = false,
                        _ set: @escaping @Sendable (inout GatewayConfiguration, Bool) -> Void) -> GatewaySetting {
        GatewaySetting(name, "bool", help, default: .value(String(defaultValue)), hidden: hidden,
                       kind: .scalar { config, value throws(GatewayError) in
            switch value.lowercased() {
            case "true", "1", "yes", "on": set(&config, true)
            case "false", "0", "no", "off": set(&config, false)
            default: throw GatewayError(.invalidConfiguration, "\(name) must be true or false, not \(value)")
            }
        })
    }

    static func choice(_ name: String, _ allowed: [String], _ help: String, default defaultValue: String,
                       _ set: @escaping @Sendable (inout GatewayConfiguration, String) -> Void) -> GatewaySetting {
        GatewaySetting(name, allowed.joined(separator: "|"), help, default: .value(defaultValue),
                       kind: .scalar { config, value throws(GatewayError) in
            guard allowed.contains(value.lowercased()) else {
                throw GatewayError(.invalidConfiguration, "\(name) must be one of \(allowed.joined(separator: ", ")), not \(value)")
            }
            set(&config, value.lowercased())
        })
    }
}
