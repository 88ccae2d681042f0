/// `sluice serve`'s command line, read against the settings table (not declared a second time
/// with ArgumentParser): `--name value` or `--name=value`; a list option may repeat. Unknown options
/// and stray words fail with the option list hint. swift-configuration's CommandLineArgumentsProvider
/// is not used for this: it ignores flags nobody asks for (a typo would pass silently) and reads a
/// bare `--flag` as `true`, where every serve option takes a value.
public enum ServeArguments {
    /// Whether the user asked for help (`--help`, `-h`) rather than a server.
    public static func wantsHelp(_ arguments: [String]) -> Bool {
        arguments.contains { $0 == "--help" || $0 == "-h" }
    }

    /// Setting name → the values given, in order.
    public static func parse(_ arguments: [String]) throws(GatewayError) -> [String: [String]] {
        let byName = Dictionary(GatewayConfiguration.settings.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var values: [String: [String]] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw GatewayError(.invalidConfiguration, "unexpected argument \"\(argument)\" (see sluice serve --help)")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let setting = byName[name] else {
                throw GatewayError(.invalidConfiguration, "unknown option --\(name) (see sluice serve --help)")
            }
            if value == nil {
                // Every option takes a value, so the next word is it even when it starts with '-'.
                guard index < arguments.endIndex else {
                    throw GatewayError(.invalidConfiguration, "option --\(name) needs a value <\(setting.valueName)>")
                }
                value = arguments[index]
                index += 1
            }
            if let value { values[name, default: []].append(value) }
        }
        return values
    }
}
