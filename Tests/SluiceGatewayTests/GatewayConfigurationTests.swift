import Foundation
import Testing
@testable import SluiceGateway

@Suite struct GatewayConfigurationTests {
    func resolve(flags: [String: String] = ["model": "m.gguf"], environment: [String: String] = [:],
                 file: String? = nil) throws -> GatewayConfiguration {
        try GatewayConfiguration.resolve(flags: flags, environment: environment) { _ in
            guard let file else { throw CocoaError(.fileNoSuchFile) }
            return Data(file.utf8)
        }
    }

    @Test func usesDefaultsWhenOnlyModelIsGiven() throws {
        let config = try resolve()
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.maxBodyBytes == 8 * 1024 * 1024)
        #expect(config.logFormat == .text)
        #expect(config.servedModelID == "m")
    }

    @Test func flagBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let file = #"{"port": 1111, "host": "0.0.0.0", "max_body_bytes": 10, "log_format": "json", "model": "file.gguf"}"#
        let env = ["SLUICE_PORT": "2222", "SLUICE_HOST": "::1", "SLUICE_CONFIG": "/cfg.json"]
        let config = try resolve(flags: ["port": "3333"], environment: env, file: file)
        #expect(config.port == 3333)
        #expect(config.host == "::1")
        #expect(config.maxBodyBytes == 10)
        #expect(config.logFormat == .json)
        #expect(config.modelPath == "file.gguf")
        #expect(config.idleTimeoutSeconds == 60)
    }

    @Test func readsEveryOptionFromItsEnvironmentVariable() throws {
        let env = ["SLUICE_MODEL": "/x/y.gguf", "SLUICE_MODEL_NAME": "smol", "SLUICE_MAX_CONNECTIONS": "7",
                   "SLUICE_ACCESS_LOG": "false", "SLUICE_IDLE_TIMEOUT": "2.5", "SLUICE_LOG_LEVEL": "WARNING"]
        let config = try resolve(flags: [:], environment: env)
        #expect(config.modelPath == "/x/y.gguf")
        #expect(config.servedModelID == "smol")
        #expect(config.maxConnections == 7)
        #expect(config.accessLog == false)
        #expect(config.idleTimeoutSeconds == 2.5)
        #expect(config.logLevel == "warning")
    }

    @Test func namesDeriveFromOneSettingName() throws {
        let setting = try #require(GatewayConfiguration.settings.first { $0.name == "max-body-bytes" })
        #expect(setting.flag == "--max-body-bytes")
        #expect(setting.environmentVariable == "SLUICE_MAX_BODY_BYTES")
        #expect(setting.fileKey == "max_body_bytes")
    }

    @Test func acceptsBooleansInTheFile() throws {
        let config = try resolve(flags: ["model": "m.gguf", "config": "c.json"], file: #"{"access_log": false}"#)
        #expect(config.accessLog == false)
    }

    @Test func rejectsInvalidValues() {
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "port": "70000"]) }
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "log-format": "xml"]) }
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "idle-timeout": "-1"]) }
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "access-log": "maybe"]) }
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m"], environment: ["SLUICE_MAX_BODY_BYTES": "lots"]) }
    }

    @Test func rejectsUnknownKeysAndNonObjectFiles() {
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "config": "c"], file: #"{"prot": 1}"#) }
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "config": "c"], file: "[1,2]") }
        #expect(throws: GatewayError.self) { try resolve(flags: ["model": "m", "config": "missing"], file: nil) }
    }

    @Test func requiresAModel() {
        #expect(throws: GatewayError.self) { try resolve(flags: [:]) }
    }

    @Test func mapsToHTTPServerConfiguration() throws {
        let http = try resolve(flags: ["model": "m", "max-body-bytes": "99", "max-header-count": "5", "header-timeout": "1.5"]).httpConfiguration
        #expect(http.limits.maxBodyBytes == 99)
        #expect(http.limits.maxHeaderCount == 5)
        #expect(http.timeouts.readHead == .milliseconds(1500))
    }
}
