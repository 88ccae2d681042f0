import Configuration
import Foundation
import Testing
@testable import SluiceGateway

/// The settings table is the one definition of every `sluice serve` option: these tests check that
/// its flag, environment variable, file key, help text and defaults agree with what the resolver
/// and the real defaults do.
@Suite struct GatewayConfigurationTableTests {
    let settings = GatewayConfiguration.settings

    @Test func namesAreUnique() {
        #expect(Set(settings.map(\.name)).count == settings.count)
        #expect(Set(settings.compactMap(\.fileKey)).count == settings.compactMap(\.fileKey).count)
    }

    @Test func everyOptionIsInTheHelpWithItsEnvironmentAndFileNames() {
        let help = GatewayConfiguration.serveHelp
        for setting in settings where !setting.isHidden {
            let entry = GatewayConfiguration.helpEntry(setting)
            #expect(help.contains(entry), "\(setting.name) missing from --help")
            #expect(entry.hasPrefix("  \(setting.flag) <"))
            #expect(entry.contains("Env: \(setting.environmentVariable)"))
            #expect(GatewayConfiguration.wrap(setting.help).allSatisfy(entry.contains))
            if let key = setting.fileKey { #expect(entry.contains("File: \(key)")) }
            #expect(entry.split(separator: "\n").allSatisfy { $0.count < 80 }, "\(setting.name): a help line is too long")
        }
        #expect(!help.contains("--test-routes"))
    }

    @Test func everyOptionButConfigHasAFileKey() {
        for setting in settings where setting.name != "config" { #expect(setting.fileKey != nil, "\(setting.name)") }
        #expect(settings.first { $0.name == "config" }?.fileKey == nil)
    }

    /// A default shown as a value is the real default: applying it to a fresh configuration
    /// changes nothing, and `--help` prints it.
    @Test func helpDefaultsAreTheRealDefaults() throws {
        var checked = 0
        for setting in settings {
            guard case .value(let text) = setting.defaultValue else { continue }
            var config = GatewayConfiguration()
            try setting.apply([text], to: &config)
            #expect(config == GatewayConfiguration(), "default of \(setting.name) in --help is not the real one")
            #expect(GatewayConfiguration.helpEntry(setting).contains(GatewayConfiguration.wrap("Default: \(text).").joined(separator: "\n")))
            checked += 1
        }
        #expect(checked >= 25)
    }

    /// Each name reaches the setting: the flag through `ServeArguments`, the variable through
    /// swift-configuration's `EnvironmentVariablesProvider`, the key through the file loader.
    @Test func flagEnvironmentAndFileNamesReachTheSetting() throws {
        for setting in settings {
            #expect(try ServeArguments.parse([setting.flag, "x"]) == [setting.name: ["x"]])
            #expect(try ServeArguments.parse(["\(setting.flag)=y"]) == [setting.name: ["y"]])
            let env = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [setting.environmentVariable: "v"]))
            let key = GatewayConfiguration.configKey(setting.name)
            let read = setting.isList ? env.stringArray(forKey: key) : env.string(forKey: key).map { [$0] }
            #expect(read == ["v"], "\(setting.environmentVariable) is not what the provider reads for \(setting.name)")
            guard let fileKey = setting.fileKey else { continue }
            let file = try GatewayConfigFile.load("c.json", data: Data(#"{"\#(fileKey)": "f"}"#.utf8))
            #expect(file == [setting.name: ["f"]])
        }
    }
}

@Suite struct ServeArgumentsTests {
    @Test func readsBothSpellingsAndRepeats() throws {
        let values = try ServeArguments.parse(["--port", "-1", "--model-alias=a=b", "--model-alias", "c", "--host", "h"])
        #expect(values == ["port": ["-1"], "model-alias": ["a=b", "c"], "host": ["h"]])
    }

    @Test func rejectsUnknownOptionsStrayWordsAndMissingValues() {
        #expect(throws: GatewayError.self) { try ServeArguments.parse(["--prot", "1"]) }
        #expect(throws: GatewayError.self) { try ServeArguments.parse(["model.gguf"]) }
        #expect(throws: GatewayError.self) { try ServeArguments.parse(["--port"]) }
        #expect(ServeArguments.wantsHelp(["--port", "1", "--help"]))
    }

    @Test func resolvesFromArguments() throws {
        let config = try GatewayConfiguration.resolve(arguments: ["--model", "m.gguf", "--port", "9", "--access-log=false"], environment: [:])
        #expect(config.port == 9)
        #expect(config.accessLog == false)
        #expect(throws: GatewayError.self) {
            try GatewayConfiguration.resolve(arguments: ["--model", "m.gguf", "--port", "x"], environment: [:])
        }
    }
}
