import SluiceAPI
import SluiceScheduler
import Synchronization

/// Serving metrics the engine thread records and `GET /metrics` renders (names follow vLLM's
/// `vllm:` set, under a `sluice_` prefix). Scheduler gauges come from its last-step snapshot.
public final class InferenceMetrics: @unchecked Sendable {
    struct State {
        var stepSeconds = PrometheusHistogram(
            name: "sluice_step_duration_seconds", help: "Wall time of one engine step (schedule, forward, sample, update).",
            bounds: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12])
        // The service's own share of a step, to tell it apart from the forward pass.
        var samplingSeconds = PrometheusHistogram(
            name: "sluice_step_sampling_seconds", help: "Time of one step spent sampling its logit rows.",
            bounds: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
        var deliverySeconds = PrometheusHistogram(
            name: "sluice_step_delivery_seconds", help: "Time of one step spent detokenizing, matching stops and delivering events.",
            bounds: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
        var batchSequences = PrometheusHistogram(
            name: "sluice_batch_size_sequences", help: "Sequences in one engine step.",
            bounds: [1, 2, 4, 8, 16, 32, 64, 128])
        var batchTokens = PrometheusHistogram(
            name: "sluice_batch_size_tokens", help: "Tokens processed in one engine step.",
            bounds: [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048])
        var timeToFirstToken = PrometheusHistogram(
            name: "sluice_time_to_first_token_seconds", help: "Submission to first generated token.",
            bounds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40])
        var interTokenLatency = PrometheusHistogram(
            name: "sluice_inter_token_latency_seconds", help: "Time between two tokens of one sequence.",
            bounds: [0.005, 0.01, 0.015, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1, 2.5])
        var promptTokens = 0
        var cachedPromptTokens = 0
        var generationTokens = 0
        var requestsByStatus: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func recordStep(seconds: Double, sequences: Int, tokens: Int, samplingSeconds: Double = 0, deliverySeconds: Double = 0) {
        state.withLock { state in
            state.stepSeconds.observe(seconds)
            state.samplingSeconds.observe(samplingSeconds)
            state.deliverySeconds.observe(deliverySeconds)
            state.batchSequences.observe(Double(sequences))
            state.batchTokens.observe(Double(tokens))
        }
    }

    func observeTimeToFirstToken(_ seconds: Double) { state.withLock { $0.timeToFirstToken.observe(seconds) } }

    func observeInterTokenLatency(_ seconds: Double) { state.withLock { $0.interTokenLatency.observe(seconds) } }

    func requestFinished(status: String, usage: Usage? = nil) {
        state.withLock { state in
            state.requestsByStatus[status, default: 0] += 1
            if let usage {
                state.promptTokens += usage.promptTokens
                state.cachedPromptTokens += usage.promptTokensDetails?.cachedTokens ?? 0
                state.generationTokens += usage.completionTokens
            }
        }
    }

    func requestRejected(code: String) {
        requestFinished(status: code == "engine_overloaded" ? "rejected_overload" : "rejected")
    }

    /// Count of finished requests with a status (tests).
    public func requests(status: String) -> Int { state.withLock { $0.requestsByStatus[status] ?? 0 } }

    /// The whole exposition.
    public func render(scheduler: SchedulerMetrics) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        func gauge(_ name: String, _ help: String, _ value: Int) {
            PrometheusText.metric(name, type: "gauge", help: help, Double(value), into: &out)
        }
        func counter(_ name: String, _ help: String, _ value: Int) {
            PrometheusText.metric(name, type: "counter", help: help, Double(value), into: &out)
        }
        gauge("sluice_requests_waiting", "Requests admitted but not yet started.", scheduler.queuedRequests)
        gauge("sluice_sequences_waiting", "Sequences waiting (new or preempted).", scheduler.waitingSequences)
        gauge("sluice_sequences_running", "Sequences holding KV blocks.", scheduler.runningSequences)
        gauge("sluice_kv_blocks_used", "KV blocks owned by sequences.", scheduler.kvBlocksUsed)
        gauge("sluice_kv_blocks_cached", "Idle KV blocks kept for prefix-cache hits.", scheduler.kvBlocksCached)
        gauge("sluice_kv_blocks_total", "KV blocks in the pool.", scheduler.kvBlocksTotal)
        counter("sluice_prefix_cache_hit_tokens_total", "Prompt tokens served from the prefix cache.", scheduler.prefixCacheHitTokens)
        counter("sluice_prefix_cache_query_tokens_total", "Prompt tokens looked up in the prefix cache.", scheduler.prefixCacheQueryTokens)
        counter("sluice_preemptions_total", "Sequences preempted for lack of KV blocks.", scheduler.preemptions)
        counter("sluice_engine_steps_total", "Engine steps run.", Int(scheduler.steps))
        counter("sluice_prompt_tokens_total", "Prompt tokens of finished requests.", snapshot.promptTokens)
        counter("sluice_generation_tokens_total", "Tokens generated by finished requests.", snapshot.generationTokens)
        out += "# HELP sluice_requests_total Requests by how they ended.\n# TYPE sluice_requests_total counter\n"
        for status in ["stop", "length", "cancelled", "timeout", "error", "rejected", "rejected_overload"] {
            out += "sluice_requests_total{status=\"\(status)\"} \(snapshot.requestsByStatus[status] ?? 0)\n"
        }
        for histogram in [snapshot.stepSeconds, snapshot.samplingSeconds, snapshot.deliverySeconds, snapshot.batchSequences, snapshot.batchTokens,
                          snapshot.timeToFirstToken, snapshot.interTokenLatency] {
            histogram.render(into: &out)
        }
        return out
    }
}
