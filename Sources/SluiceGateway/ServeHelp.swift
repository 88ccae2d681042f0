/// `sluice serve --help`, generated from the settings table so help text, defaults and the
/// environment and file names shown are the ones the resolver uses.
extension GatewayConfiguration {
    public static var serveHelp: String {
        let header = """
        Every option is also an environment variable and a config-file key.
        Precedence: flag > environment > config file > default.
        List options repeat, or take a comma list.

        OPTIONS:
        """
        return ([header] + settings.filter { !$0.isHidden }.map(helpEntry)).joined(separator: "\n")
    }

    /// One option: `--name <value>`, its help, default, then variable and file key, each line
    /// under 80 columns (ArgumentParser re-wraps longer lines of a discussion without the indent).
    public static func helpEntry(_ setting: GatewaySetting) -> String {
        var lines = ["  \(setting.flag) <\(setting.valueName)>"] + wrap(setting.help)
        switch setting.defaultValue {
        case .value(let value): lines += wrap("Default: \(value).")
        case .described(let text): lines += wrap("Default: \(text).")
        case .none: break
        }
        lines.append(indent + "Env: \(setting.environmentVariable)" + (setting.fileKey.map { "  File: \($0)" } ?? ""))
        return lines.joined(separator: "\n")
    }

    static let indent = String(repeating: " ", count: 8)

    /// Word-wraps `text` to 79 columns under the 8-space indent.
    static func wrap(_ text: String, width: Int = 79) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent.count + line.count + 1 + word.count > width {
                lines.append(indent + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(indent + line) }
        return lines
    }
}
