import Logging
import SluiceEngine
import SluiceScheduler

/// Startup of local inference for `sluice serve`: weights, KV pool, forward-pass runner, engine
/// service thread and the routes over it. Everything is checked before the server listens.
public enum InferenceServer {
    /// - Parameters:
    ///   - metrics: the registry the engine records into and `/metrics` renders (the gateway's).
    ///   - logger: where engine step failures are reported.
    public static func start(configuration: GatewayConfiguration, metrics: GatewayMetrics = GatewayMetrics(),
                             logger: Logger = Logger(label: "sluice.engine")) throws(GatewayError) -> InferenceRoutes {
        let file = try ModelFile.open(path: configuration.modelPath)
        let settings = configuration.inference
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
            throw GatewayError(.modelUnreadable, "cannot load model \(configuration.modelPath): \(error)")
        }
        let model = try ServedLanguageModel.load(id: configuration.servedModelID, file: file,
                                                 maxModelLength: scheduler.maxModelLength)
        let service = try EngineService(scheduler: scheduler, executor: ModelRunnerExecutor(runner: runner),
                                        tokenizer: model.tokenizer, metrics: InferenceMetrics(gateway: metrics),
                                        samplingThreads: settings.samplingThreads, logger: logger)
        service.start()
        return InferenceRoutes(model: model, service: service, requestTimeoutSeconds: settings.requestTimeoutSeconds,
                               sseKeepAliveSeconds: configuration.sseKeepAliveSeconds)
    }
}
