import Foundation
import Testing
@testable import SluiceGateway

/// JSON and YAML config files, the `models:` list, aliases and precedence with lists.
@Suite struct GatewayConfigFileTests {
    func resolve(flags: [String: [String]] = [:], environment: [String: String] = [:], path: String = "c.yaml",
                 file: String) throws -> GatewayConfiguration {
        var flags = flags
        flags["config"] = [path]
        return try GatewayConfiguration.resolve(flagValues: flags, environment: environment) { _ in Data(file.utf8) }
    }

    let yaml = """
    # a comment
    host: ::1
    port: 9000
    access_log: false
    idle_timeout: 2.5
    cors_origins: [http://localhost:3000]
    model_aliases:
      gpt-4o-mini: smol
    models:
      - path: /m/SmolLM2.gguf
        id: smol
        aliases: [gpt-3.5-turbo]
    """

    let json = """
    {"host": "::1", "port": 9000, "access_log": false, "idle_timeout": 2.5,
     "cors_origins": ["http://localhost:3000"], "model_aliases": {"gpt-4o-mini": "smol"},
     "models": [{"path": "/m/SmolLM2.gguf", "id": "smol", "aliases": ["gpt-3.5-turbo"]}]}
    """

    @Test func yamlAndJSONSayTheSame() throws {
        let fromYAML = try resolve(file: yaml)
        let fromJSON = try resolve(path: "c.json", file: json)
        #expect(fromYAML.host == "::1")
        #expect(fromYAML.port == 9000)
        #expect(fromYAML.accessLog == false)
        #expect(fromYAML.idleTimeoutSeconds == 2.5)
        #expect(fromYAML.modelPath == "/m/SmolLM2.gguf")
        #expect(fromYAML.servedModelID == "smol")
        #expect(fromYAML.corsOrigins == ["http://localhost:3000"])
        #expect(fromYAML.modelAliases == ["gpt-4o-mini": "smol", "gpt-3.5-turbo": "smol"])
        var json = fromJSON
        json.configFile = fromYAML.configFile
        #expect(json == fromYAML)
    }

    @Test func detectsTheFormatByContentWithoutAnExtension() throws {
        #expect(try resolve(path: "sluice.conf", file: #"{"model": "a.gguf", "port": 1}"#).port == 1)
        #expect(try resolve(path: "sluice.conf", file: "model: a.gguf\nport: 2\n").port == 2)
    }

    @Test func flagBeatsEnvironmentBeatsFileForListsToo() throws {
        let file = "model: m.gguf\nmodel_aliases: [a=m]\ncors_origins: http://f.test\n"
        let fromFile = try resolve(file: file)
        #expect(fromFile.modelAliases == ["a": "m"])
        #expect(fromFile.corsOrigins == ["http://f.test"])
        let fromEnv = try resolve(environment: ["SLUICE_MODEL_ALIAS": "b=m,c", "SLUICE_CORS_ORIGINS": "http://e.test, http://e2.test"], file: file)
        #expect(fromEnv.modelAliases == ["b": "m", "c": "m"])
        #expect(fromEnv.corsOrigins == ["http://e.test", "http://e2.test"])
        let fromFlags = try resolve(flags: ["model-alias": ["d=m", "e"]], environment: ["SLUICE_MODEL_ALIAS": "b=m"], file: file)
        #expect(fromFlags.modelAliases == ["d": "m", "e": "m"])
    }

    @Test func rejectsUnknownKeysAndBadShapes() {
        let bad = [
            "model: m.gguf\nprot: 1\n",                                  // unknown top-level key
            "models:\n  - path: m.gguf\n    alias: [x]\n",               // unknown key in a model
            "models:\n  - path: a.gguf\n  - path: b.gguf\n",             // two models: not yet
            "model: m.gguf\nmodels:\n  - path: m.gguf\n",                // model twice
            "models: m.gguf\n",                                          // not a list
            "model: m.gguf\nport: [1, 2]\n",                             // list for a scalar
            "model: m.gguf\nport: {a: 1}\n",                             // object for a scalar
            "model: m.gguf\nhost: null\n",                               // null
            "- model\n",                                                 // not an object
            "model: [unclosed\n",                                        // not YAML
            "model: m.gguf\nupstreams: []\n",                            // a later issue's key: not yet
        ]
        for file in bad {
            #expect(throws: GatewayError.self, "\(file)") { try resolve(file: file) }
        }
        #expect(throws: GatewayError.self) { try resolve(path: "c.json", file: #"{"model": "m.gguf""#) }
    }

    @Test func explainsTheProblem() {
        do {
            _ = try resolve(file: "model: m.gguf\nprot: 1\n")
            Issue.record("expected an error")
        } catch {
            #expect((error as? GatewayError)?.message.contains("unknown key \"prot\"") == true)
        }
        func message(flags: [String: [String]] = [:], environment: [String: String] = [:], file: String) -> String? {
            do { _ = try resolve(flags: flags, environment: environment, file: file) } catch { return (error as? GatewayError)?.message }
            return nil
        }
        #expect(message(file: "model: m.gguf\nport: x\n") == "port must be an integer in 0...65535, not x (from port in config file c.yaml)")
        #expect(message(environment: ["SLUICE_PORT": "y"], file: "model: m.gguf\n")?.hasSuffix("(from SLUICE_PORT)") == true)
        #expect(message(flags: ["port": ["z"]], file: "model: m.gguf\n")?.hasSuffix("(from --port)") == true)
    }
}

@Suite struct ModelAliasTests {
    func resolve(_ flags: [String: [String]], environment: [String: String] = [:]) throws -> GatewayConfiguration {
        try GatewayConfiguration.resolve(flagValues: flags, environment: environment) { _ in Data() }
    }

    @Test func resolvesIdsAndAliases() throws {
        let config = try resolve(["model": ["/m/SmolLM2-135M-Instruct.Q4_1.gguf"],
                                  "model-alias": ["gpt-4o-mini=SmolLM2-135M-Instruct.Q4_1", "gpt-4"]])
        #expect(config.modelCatalog.resolve("SmolLM2-135M-Instruct.Q4_1") == "SmolLM2-135M-Instruct.Q4_1")
        #expect(config.modelCatalog.resolve("gpt-4o-mini") == "SmolLM2-135M-Instruct.Q4_1")
        #expect(config.modelCatalog.resolve("gpt-4") == "SmolLM2-135M-Instruct.Q4_1")
        #expect(config.modelCatalog.resolve("gpt-5") == nil)
        #expect(config.modelCatalog.resolve("") == nil)
    }

    @Test func aliasesFollowTheModelName() throws {
        let config = try resolve(["model": ["m.gguf"], "model-name": ["smol"], "model-alias": ["x"]])
        #expect(config.modelAliases == ["x": "smol"])
    }

    @Test func refusesAliasesOfUnservedModelsAndClashes() {
        #expect(throws: GatewayError.self) { try resolve(["model": ["m.gguf"], "model-alias": ["x=other"]]) }
        #expect(throws: GatewayError.self) { try resolve(["model": ["m.gguf"], "model-alias": ["m=m"]]) }
        #expect(throws: GatewayError.self) { try resolve(["model": ["m.gguf"], "model-alias": ["=m"]]) }
        #expect(throws: GatewayError.self) { try resolve(["model": ["m.gguf"], "model-name": ["a"], "model-alias": ["x=a", "x=m"]]) }
    }

    @Test func listsAliasesAfterTheModels() throws {
        let catalog = ModelCatalog(servedIDs: ["m"], aliases: ["b": "m", "a": "m", "z": "gone"])
        let json = BasicRoutes.modelsJSON([ServedModel(id: "m", created: 7)], catalog: catalog)
        #expect(json == #"{"object":"list","data":["#
            + #"{"id":"m","object":"model","created":7,"owned_by":"sluice"},"#
            + #"{"id":"a","object":"model","created":7,"owned_by":"sluice","sluice_alias_of":"m"},"#
            + #"{"id":"b","object":"model","created":7,"owned_by":"sluice","sluice_alias_of":"m"}]}"#)
    }
}
