import Logging
import SluiceEngine
import SluiceScheduler

/// The local engine, loaded: the served model (tokenizer, template, context) and the engine
/// service over its weights, which is the pipeline's backend. `sluice serve` and `sluice generate`
/// both load it here, so the CLI runs the same generation path as the server.
public struct LocalEngine: Sendable {
    public let model: ServedLanguageModel
    public let service: EngineService

    /// Weights, KV pool, forward-pass runner and engine service thread (started). Everything is
    /// checked before it returns.
    /// - Parameters:
    ///   - metrics: the registry the engine records into and `/metrics` renders (the gateway's).
    ///   - logger: where engine step failures are reported.
    public static func load(path: String, id: String, settings: InferenceConfiguration,
                            metrics: GatewayMetrics = GatewayMetrics(),
                            logger: Logger = Logger(label: "sluice.engine")) throws(GatewayError) -> LocalEngine {
        let file = try ModelFile.open(path: path)
        settings.numerics.activate()
        let runner: ModelRunner
        let scheduler: SchedulerConfig
        do {
            let modelConfig = try ModelConfig(file: file)
            scheduler = settings.schedulerConfig(modelContextLength: modelConfig.contextLength)
            let weights = try ModelWeights(file: file, config: modelConfig, format: settings.weightsAsFloat32 ? .float32 : .asStored)
            let pool = try KVCachePool(config: modelConfig, blockCount: scheduler.totalBlocks, blockSize: scheduler.blockSize,
                                       storage: settings.kvCacheFloat32 ? .f32 : .f16)
            runner = try ModelRunner(weights: weights, kvCache: pool, threads: settings.threads ?? 0,
                                     maxBatchTokens: scheduler.maxBatchedTokens, maxLogitRows: scheduler.maxSequences)
        } catch {
            throw GatewayError(.modelUnreadable, "cannot load model \(path): \(error)")
        }
        let model = try ServedLanguageModel.load(id: id, file: file, maxModelLength: scheduler.maxModelLength)
        let service = try EngineService(scheduler: scheduler, executor: ModelRunnerExecutor(runner: runner),
                                        tokenizer: model.tokenizer, metrics: InferenceMetrics(gateway: metrics),
                                        samplingThreads: settings.samplingThreads, logger: logger)
        service.start()
        return LocalEngine(model: model, service: service)
    }
}

/// Startup of local inference for `sluice serve`: the local engine and the routes over it.
/// Everything is checked before the server listens.
public enum InferenceServer {
    /// - Parameters:
    ///   - metrics: the registry the engine records into and `/metrics` renders (the gateway's).
    ///   - logger: where engine step failures are reported.
    public static func start(configuration: GatewayConfiguration, metrics: GatewayMetrics = GatewayMetrics(),
                             logger: Logger = Logger(label: "sluice.engine")) throws(GatewayError) -> InferenceRoutes {
        let engine = try LocalEngine.load(path: configuration.modelPath, id: configuration.servedModelID,
                                          settings: configuration.inference, metrics: metrics, logger: logger)
        // Built once: deriving it from the configuration per request cost 4% of a cache hit's CPU.
        let catalog = configuration.modelCatalog
        return InferenceRoutes(model: engine.model, service: engine.service,
                               resolveModel: { catalog.resolve($0) },
                               requestTimeoutSeconds: configuration.inference.requestTimeoutSeconds,
                               sseKeepAliveSeconds: configuration.sseKeepAliveSeconds,
                               prefixCacheScope: configuration.inference.prefixCacheScope)
    }
}
