import SluiceHTTP

extension GatewayConfiguration {
    /// Every `sluice serve` option, in `--help` order: this table is the only place an option's
    /// flag, environment variable, file key, help text and default are written down.
    public static let settings: [GatewaySetting] = coreSettings + modelSettings + inferenceSettings
        + accessSettings + corsSettings

    static let coreSettings: [GatewaySetting] = [
        GatewaySetting("config", "path",
                       "Config file, JSON or YAML (by extension; otherwise by content): top-level keys are option names with '_' for '-', plus a `models:` list.",
                       fileKey: .some(nil), kind: .scalar { config, value throws(GatewayError) in
            guard !value.isEmpty else { throw GatewayError(.invalidConfiguration, "config must not be empty") }
            config.configFile = value
        }),
        .text("host", "Address to listen on.", default: .value("127.0.0.1"), valueName: "address") { $0.host = $1 },
        .integer("port", 0...65535, "Port to listen on; 0 picks a free one.", default: .value("8080")) { $0.port = $1 },
        GatewaySetting("log-format", "json|text", "Log format.", default: .value("text"), kind: .scalar { config, value throws(GatewayError) in
            guard let format = LogFormat(rawValue: value.lowercased()) else {
                throw GatewayError(.invalidConfiguration, "log-format must be json or text, not \(value)")
            }
            config.logFormat = format
        }),
        GatewaySetting("log-level", "level", "Log level: trace, debug, info, notice, warning, error, critical.",
                       default: .value("info"), kind: .scalar { config, value throws(GatewayError) in
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(value.lowercased()) else {
                throw GatewayError(.invalidConfiguration, "log-level must be one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = value.lowercased()
        }),
        .boolean("access-log", "Write one access log line per request.", default: true) { $0.accessLog = $1 },
        .integer("max-body-bytes", 0...(1 << 40), "Largest request body in bytes; larger gets 413.",
                 default: .value("8388608")) { $0.maxBodyBytes = $1 },
        .integer("max-header-bytes", 256...(1 << 24), "Largest request line + header section in bytes; larger gets 431.",
                 default: .value("16384")) { $0.maxHeaderBytes = $1 },
        .integer("max-header-count", 1...10_000, "Most header fields per request; more gets 431.",
                 default: .value("100")) { $0.maxHeaderCount = $1 },
        .integer("max-connections", 1...1_000_000, "Most open connections; more get 503 and are closed.",
                 default: .value("1024")) { $0.maxConnections = $1 },
        .integer("event-loops", 1...256, "Event loop threads.", default: .described("one per core")) { $0.eventLoops = $1 },
        .seconds("header-timeout", "Seconds to receive a request's headers.", default: .value("10")) { $0.headerTimeoutSeconds = $1 },
        .seconds("body-timeout", "Seconds to receive a request's body.", default: .value("30")) { $0.bodyTimeoutSeconds = $1 },
        .seconds("idle-timeout", "Seconds an idle keep-alive connection stays open.", default: .value("60")) { $0.idleTimeoutSeconds = $1 },
        .seconds("shutdown-grace", "Seconds in-flight requests get to finish on shutdown.", default: .value("10")) {
            $0.shutdownGraceSeconds = $1
        },
        .seconds("sse-keep-alive", "Seconds between SSE keep-alive comments on a quiet stream.", default: .value("15")) {
            $0.sseKeepAliveSeconds = $1
        },
    ]

    /// The served model and its aliases. `model-alias` comes after `model` and `model-name`, so an
    /// alias without a target can name the served model (settings apply in table order).
    static let modelSettings: [GatewaySetting] = [
        .text("model", "Path of the GGUF model file (required; in a file also models[0].path).", valueName: "path") {
            $0.modelPath = $1
        },
        .text("model-name", "Model id clients use (in a file also models[0].id).",
              default: .described("the file name without .gguf"), valueName: "id") { $0.modelName = $1 },
        GatewaySetting("model-alias", "alias=id",
                       "Another name clients may use for a served model, e.g. gpt-4o-mini=SmolLM2-135M-Instruct.Q4_1 (repeatable, comma list; a bare alias names the served model; in a file model_aliases: {alias: id} or models[0].aliases).",
                       fileKey: "model_aliases", kind: .list { config, values throws(GatewayError) in
            config.modelAliases = try ModelCatalog.parseAliases(values, defaultTarget: config.servedModelID)
        }),
    ]
}
