import SluiceHTTP

/// Everything `sluice serve` can be told. Built by `GatewayConfiguration.resolve`
/// from flags, `SLUICE_…` environment variables and a JSON or YAML file; every field
/// is set by one row of `GatewayConfiguration.settings`.
public struct GatewayConfiguration: Sendable, Hashable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var modelPath = ""
    /// The model id clients use; defaults to the file name without `.gguf`.
    public var modelName: String?
    /// Alias → served model id (`--model-alias`), checked at resolve time.
    public var modelAliases: [String: String] = [:]
    /// The config file that was read, if any.
    public var configFile: String?
    public var logFormat: LogFormat = .text
    public var logLevel = "info"
    public var accessLog = true
    public var maxBodyBytes = 8 * 1024 * 1024
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 100
    public var maxConnections = 1024
    public var eventLoops = HTTPServerConfiguration.coreCount
    public var headerTimeoutSeconds = 10.0
    public var bodyTimeoutSeconds = 30.0
    public var idleTimeoutSeconds = 60.0
    public var shutdownGraceSeconds = 10.0
    public var sseKeepAliveSeconds = 15.0
    /// Scheduler and engine settings (Inference/InferenceConfiguration.swift).
    public var inference = InferenceConfiguration()
    /// Keys, limits, store and cache (Access/AccessConfiguration.swift).
    public var access = AccessConfiguration()
    /// Browser origins allowed to call the OpenAI routes (`--cors-origins`, CORSPolicy.swift).
    public var corsOrigins: [String] = []

    public init() {}

    public var servedModelID: String { modelName ?? ModelFile.defaultModelID(path: modelPath) }

    /// The served ids and their aliases, derived anew on each call: per-request callers keep one.
    public var modelCatalog: ModelCatalog { ModelCatalog(servedIDs: [servedModelID], aliases: modelAliases) }

    /// The HTTP server settings these options imply.
    public var httpConfiguration: HTTPServerConfiguration {
        HTTPServerConfiguration(
            host: host, port: port, eventLoopCount: eventLoops,
            limits: HTTPParserLimits(maxHeaderSectionBytes: maxHeaderBytes, maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes),
            timeouts: HTTPTimeouts(readHead: .seconds(headerTimeoutSeconds), readBody: .seconds(bodyTimeoutSeconds),
                                   idle: .seconds(idleTimeoutSeconds)),
            maxConnections: maxConnections)
    }
}
