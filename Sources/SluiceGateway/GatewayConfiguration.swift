import SluiceHTTP

/// Everything `sluice serve` can be told. Built by `GatewayConfiguration.resolve`
/// from flags, `SLUICE_…` environment variables and a JSON file.
public struct GatewayConfiguration: Sendable, Hashable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var modelPath = ""
    /// The model id clients use; defaults to the file name without `.gguf`.
    public var modelName: String?
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

    public init() {}

    public var servedModelID: String { modelName ?? ModelFile.defaultModelID(path: modelPath) }

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
