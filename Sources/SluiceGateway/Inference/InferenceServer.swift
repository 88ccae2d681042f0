import SluiceEngine
import SluiceScheduler

/// Startup of local inference for `sluice serve`: weights, KV pool, forward-pass runner, engine
/// service thread and the routes over it. Everything is checked before the server listens.
public enum InferenceServer {
    public static func start(configuration: GatewayConfiguration) throws(GatewayError) -> InferenceRoutes {
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
                                        tokenizer: model.tokenizer,
                                        samplingThreads: settings.samplingThreads)
        service.start()
        return InferenceRoutes(model: model, service: service, requestTimeoutSeconds: settings.requestTimeoutSeconds,
                               sseKeepAliveSeconds: configuration.sseKeepAliveSeconds)
    }
}
