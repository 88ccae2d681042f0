import Metrics
import SluiceAPI
import SluiceScheduler
import Synchronization

/// Serving metrics the engine thread records and `GET /metrics` renders (names follow vLLM's
/// `vllm:` set, under a `sluice_` prefix), through swift-metrics into the gateway's Prometheus
/// registry. Scheduler gauges and counters are copied from its last-step snapshot at scrape time.
///
/// The engine thread records five histograms per step: each is one short lock inside the
/// Prometheus histogram, nothing else.
public final class InferenceMetrics: Sendable {
    public let gateway: GatewayMetrics
    private let stepSeconds, samplingSeconds, deliverySeconds: Recorder
    private let batchSequences, batchTokens: Recorder
    private let timeToFirstToken, interTokenLatency: Recorder
    private let promptTokens, generationTokens: Counter
    private let requestsByStatus: [String: Counter]
    private let scheduler: SchedulerSeries

    static let statuses = ["stop", "length", "cancelled", "timeout", "error", "rejected", "rejected_overload"]

    /// - Parameter gateway: the registry `/metrics` renders; shared with the HTTP server's metrics
    ///   in `sluice serve`, a fresh one otherwise.
    public init(gateway: GatewayMetrics = GatewayMetrics()) {
        self.gateway = gateway
        let factory = gateway.factory
        func histogram(_ label: String) -> Recorder { Recorder(label: label, aggregate: true, factory: factory) }
        stepSeconds = histogram("sluice_step_duration_seconds")
        samplingSeconds = histogram("sluice_step_sampling_seconds")
        deliverySeconds = histogram("sluice_step_delivery_seconds")
        batchSequences = histogram("sluice_batch_size_sequences")
        batchTokens = histogram("sluice_batch_size_tokens")
        timeToFirstToken = histogram("sluice_time_to_first_token_seconds")
        interTokenLatency = histogram("sluice_inter_token_latency_seconds")
        promptTokens = Counter(label: "sluice_prompt_tokens_total", factory: factory)
        generationTokens = Counter(label: "sluice_generation_tokens_total", factory: factory)
        // Made up front so every status is exposed (as 0) before it first happens.
        var byStatus: [String: Counter] = [:]
        for status in Self.statuses {
            byStatus[status] = Counter(label: "sluice_requests_total", dimensions: [("status", status)], factory: factory)
        }
        requestsByStatus = byStatus
        scheduler = SchedulerSeries(factory: factory)
    }

    func recordStep(seconds: Double, sequences: Int, tokens: Int, samplingSeconds: Double = 0, deliverySeconds: Double = 0) {
        stepSeconds.record(seconds)
        self.samplingSeconds.record(samplingSeconds)
        self.deliverySeconds.record(deliverySeconds)
        batchSequences.record(sequences)
        batchTokens.record(tokens)
    }

    func observeTimeToFirstToken(_ seconds: Double) { timeToFirstToken.record(seconds) }

    func observeInterTokenLatency(_ seconds: Double) { interTokenLatency.record(seconds) }

    func requestFinished(status: String, usage: GenerationUsage? = nil) {
        let counter = requestsByStatus[status]
            ?? Counter(label: "sluice_requests_total", dimensions: [("status", status)], factory: gateway.factory)
        counter.increment()
        if let usage {
            promptTokens.increment(by: usage.promptTokens)
            generationTokens.increment(by: usage.completionTokens)
        }
    }

    /// Count of finished requests with a status (tests), read back from the exposition.
    public func requests(status: String) -> Int {
        let prefix = "sluice_requests_total{status=\"\(status)\"} "
        let line = gateway.registry.emitToString().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    /// The whole exposition of the gateway's registry, scheduler series as of `scheduler`.
    public func render(scheduler snapshot: SchedulerMetrics) -> String {
        scheduler.update(snapshot)
        return gateway.render()
    }
}

/// The scheduler's figures as Prometheus series. Its counters are cumulative already; a
/// Prometheus counter only goes up, so each scrape adds the growth since the last one.
private final class SchedulerSeries: Sendable {
    let requestsWaiting, sequencesWaiting, sequencesRunning, blocksUsed, blocksCached, blocksTotal: Gauge
    let prefixHitTokens, prefixQueryTokens, preemptions, steps: Counter
    /// Counter values already added, guarded so two scrapes at once cannot both add a step.
    private let counted = Mutex([Int](repeating: 0, count: 4))

    init(factory: any MetricsFactory) {
        func gauge(_ label: String) -> Gauge { Gauge(label: label, factory: factory) }
        func counter(_ label: String) -> Counter { Counter(label: label, factory: factory) }
        requestsWaiting = gauge("sluice_requests_waiting")
        sequencesWaiting = gauge("sluice_sequences_waiting")
        sequencesRunning = gauge("sluice_sequences_running")
        blocksUsed = gauge("sluice_kv_blocks_used")
        blocksCached = gauge("sluice_kv_blocks_cached")
        blocksTotal = gauge("sluice_kv_blocks_total")
        prefixHitTokens = counter("sluice_prefix_cache_hit_tokens_total")
        prefixQueryTokens = counter("sluice_prefix_cache_query_tokens_total")
        preemptions = counter("sluice_preemptions_total")
        steps = counter("sluice_engine_steps_total")
    }

    func update(_ snapshot: SchedulerMetrics) {
        requestsWaiting.record(snapshot.queuedRequests)
        sequencesWaiting.record(snapshot.waitingSequences)
        sequencesRunning.record(snapshot.runningSequences)
        blocksUsed.record(snapshot.kvBlocksUsed)
        blocksCached.record(snapshot.kvBlocksCached)
        blocksTotal.record(snapshot.kvBlocksTotal)
        let now = [snapshot.prefixCacheHitTokens, snapshot.prefixCacheQueryTokens, snapshot.preemptions, Int(snapshot.steps)]
        let series = [prefixHitTokens, prefixQueryTokens, preemptions, steps]
        counted.withLock { counted in
            for index in now.indices where now[index] > counted[index] {
                series[index].increment(by: now[index] - counted[index])
                counted[index] = now[index]
            }
        }
    }
}
