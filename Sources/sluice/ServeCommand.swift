import ArgumentParser
import Foundation
import Logging
import SluiceGateway

/// `sluice serve`: check the model, listen, serve until SIGINT/SIGTERM.
/// Every option can also come from `SLUICE_<NAME>` or the JSON config file;
/// resolution (flag > env > file > default) lives in `GatewayConfiguration.resolve`.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the OpenAI-compatible API.",
        discussion: """
        Each option can also be set by an environment variable SLUICE_<OPTION> (e.g. SLUICE_PORT, \
        SLUICE_MAX_BODY_BYTES) or by a key in a JSON config file given with --config or SLUICE_CONFIG \
        (e.g. {"port": 8080, "model": "m.gguf", "max_body_bytes": 1048576}). \
        Precedence: flag > environment > JSON file > default.
        """
    )

    @Option(help: "JSON config file (an object whose keys are option names with '_' for '-').")
    var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (default 8080).")
    var port: Int?
    @Option(help: "Path of the GGUF model file.")
    var model: String?
    @Option(help: "Model id clients use (default: the file name without .gguf).")
    var modelName: String?
    @Option(help: "Log format: json or text (default text).")
    var logFormat: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?
    @Option(help: "Write one access log line per request: true or false (default true).")
    var accessLog: String?
    @Option(help: "Largest request body in bytes; larger gets 413 (default 8388608).")
    var maxBodyBytes: Int?
    @Option(help: "Largest request line + header section in bytes; larger gets 431 (default 16384).")
    var maxHeaderBytes: Int?
    @Option(help: "Most header fields per request; more gets 431 (default 100).")
    var maxHeaderCount: Int?
    @Option(help: "Most open connections; more get 503 and are closed (default 1024).")
    var maxConnections: Int?
    @Option(help: "Event loop threads (default: one per core).")
    var eventLoops: Int?
    @Option(help: "Seconds to receive a request's headers (default 10).")
    var headerTimeout: Double?
    @Option(help: "Seconds to receive a request's body (default 30).")
    var bodyTimeout: Double?
    @Option(help: "Seconds an idle keep-alive connection stays open (default 60).")
    var idleTimeout: Double?
    @Option(help: "Seconds in-flight requests get to finish on shutdown (default 10).")
    var shutdownGrace: Double?
    @Option(help: "Seconds between SSE keep-alive comments on a quiet stream (default 15).")
    var sseKeepAlive: Double?
    @Option(help: "Tokens one engine step may process, decodes plus prefill chunks (default 256).")
    var maxBatchedTokens: Int?
    @Option(help: "Sequences running at once (default 32).")
    var maxSequences: Int?
    @Option(help: "KV cache blocks in the pool (default 1024, 16k tokens).")
    var kvBlocks: Int?
    @Option(help: "Tokens per KV cache block (default 16).")
    var blockSize: Int?
    @Option(help: "Context of one sequence, prompt plus output (default: the model's, at most 4096).")
    var ctxSize: Int?
    @Option(help: "Requests that may wait for the engine; beyond it 503 + Retry-After (default 256).")
    var maxWaitingRequests: Int?
    @Option(help: "Compute threads of the forward pass (default: one per core).")
    var threads: Int?
    @Option(help: "Seconds a generation may run before it is cancelled with an error (default: no limit).")
    var requestTimeout: Double?
    @Option(help: "Reuse KV blocks of identical prompt prefixes: true or false (default true).")
    var prefixCaching: String?
    @Option(help: "Who shares prefix-cache blocks: shared (every tenant: a common system prompt is computed once) or tenant (each API key its own) (default shared).")
    var prefixCacheScope: String?
    @Option(help: "Weights in memory: stored (the file's quantization, repacked) or f32 (dequantized at load) (default stored).")
    var weights: String?
    @Option(help: "Threads that sample a step's logit rows in parallel (default 1: the engine thread).")
    var samplingThreads: Int?
    @Option(help: "KV cache element type: f16 (llama.cpp's default; its flash-attention rounding, so greedy output matches llama.cpp) or f32 (default f16).")
    var kvCacheType: String?
    @Option(help: "Kernel rounding: llama.cpp (bit-identical to llama.cpp's CPU backend: same greedy output and logprobs) or fast (own rounding, faster batched matmuls) (default llama.cpp).")
    var numerics: String?
    @OptionGroup(title: "Keys, limits, store and cache")
    var keys: KeysServeOptions

    public init() {}

    /// The flags that were given, keyed by setting name.
    var givenFlags: [String: String] {
        var flags: [String: String] = [:]
        func put(_ name: String, _ value: (any CustomStringConvertible)?) {
            if let value { flags[name] = value.description }
        }
        put("config", config); put("host", host); put("port", port); put("model", model); put("model-name", modelName)
        put("log-format", logFormat); put("log-level", logLevel); put("access-log", accessLog)
        put("max-body-bytes", maxBodyBytes); put("max-header-bytes", maxHeaderBytes); put("max-header-count", maxHeaderCount)
        put("max-connections", maxConnections); put("event-loops", eventLoops)
        put("header-timeout", headerTimeout); put("body-timeout", bodyTimeout); put("idle-timeout", idleTimeout)
        put("shutdown-grace", shutdownGrace); put("sse-keep-alive", sseKeepAlive)
        put("max-batched-tokens", maxBatchedTokens); put("max-sequences", maxSequences); put("kv-blocks", kvBlocks)
        put("block-size", blockSize); put("ctx-size", ctxSize); put("max-waiting-requests", maxWaitingRequests)
        put("threads", threads); put("request-timeout", requestTimeout); put("prefix-caching", prefixCaching)
        put("prefix-cache-scope", prefixCacheScope)
        put("weights", weights); put("kv-cache-type", kvCacheType); put("numerics", numerics)
        put("sampling-threads", samplingThreads)
        flags.merge(keys.givenFlags) { given, _ in given }
        return flags
    }

    public func run() async throws {
        try await serve(extraRoutes: { _ in [] })
    }

    /// Serves until SIGINT/SIGTERM. `extraRoutes` adds routes built from the resolved
    /// configuration (behind the same access control); only `sluice-test-server` passes any.
    public func serve(extraRoutes: (GatewayConfiguration) -> [GatewayRoute]) async throws {
        let gateway: Gateway
        let port: Int
        let configuration: GatewayConfiguration
        var accessControl: AccessControl?
        do throws(GatewayError) {
            configuration = try GatewayConfiguration.resolve(flags: givenFlags, environment: ProcessInfo.processInfo.environment)
            let format = configuration.logFormat
            let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = SluiceLogHandler(label: label, format: format)
                handler.logLevel = level
                return handler
            }
            let access = try AccessControl.open(configuration.access, logger: Logger(label: "sluice.keys"))
            accessControl = access
            let inference = try InferenceServer.start(configuration: configuration)
            gateway = try Gateway(configuration: configuration, logger: Logger(label: "sluice.access"),
                                  created: Int(Date().timeIntervalSince1970), routes: inference.all + extraRoutes(configuration),
                                  access: access)
            port = try gateway.start()
        } catch {
            FileHandle.standardError.write(Data("sluice: error: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        // Handlers first: a SIGTERM right after the "listening" line must shut down gracefully.
        let signals = ShutdownSignals { gateway.shutdown() }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        // Unbuffered write: tests wait for this line on a pipe.
        FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))

        await gateway.waitUntilStopped()
        signals.cancel()
        accessControl?.shutdown()
        LogLineWriter.standardOutput.flush()
    }
}

/// SIGINT/SIGTERM trigger a graceful shutdown (once; a second signal is ignored
/// while the grace period runs).
final class ShutdownSignals {
    let sources: [any DispatchSourceSignal]

    init(onSignal: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: onSignal)
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
