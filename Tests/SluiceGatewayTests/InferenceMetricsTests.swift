import SluiceAPI
@testable import SluiceScheduler
import Testing
@testable import SluiceGateway

@Suite("Prometheus exposition")
struct InferenceMetricsTests {
    func makeSnapshot(used: Int = 3, total: Int = 10) -> SchedulerMetrics {
        SchedulerMetrics(waitingSequences: 1, queuedRequests: 2, queuedPromptTokens: 5, runningSequences: 4,
                         kvBlocksUsed: used, kvBlocksCached: 1, kvBlocksTotal: total, prefixCacheHitTokens: 32,
                         prefixCacheQueryTokens: 64, lastBatchSequences: 4, lastBatchTokens: 4, preemptions: 0,
                         preemptedTokens: 0, cancelledSequences: 0, rejectedRequests: 0, steps: 9)
    }

    @Test func histogramBucketsAreCumulativeAndEndWithInf() {
        var histogram = PrometheusHistogram(name: "h", help: "x", bounds: [1, 2, 4])
        for value in [0.5, 1.5, 1.5, 3, 100] { histogram.observe(value) }
        var out = ""
        histogram.render(into: &out)
        #expect(out.contains("h_bucket{le=\"1\"} 1\n"))
        #expect(out.contains("h_bucket{le=\"2\"} 3\n"))
        #expect(out.contains("h_bucket{le=\"4\"} 4\n"))
        #expect(out.contains("h_bucket{le=\"+Inf\"} 5\n"))
        #expect(out.contains("h_sum 106.5\n"))
        #expect(out.contains("h_count 5\n"))
    }

    @Test func exposesSchedulerGaugesRequestsAndLatencyHistograms() {
        let metrics = InferenceMetrics()
        metrics.recordStep(seconds: 0.03, sequences: 4, tokens: 4)
        metrics.observeTimeToFirstToken(0.2)
        metrics.observeInterTokenLatency(0.012)
        metrics.requestFinished(status: "stop", usage: GenerationUsage(promptTokens: 10, completionTokens: 5, cachedPromptTokens: 2))
        metrics.requestFinished(status: "rejected_overload")
        let text = metrics.render(scheduler: makeSnapshot())
        for line in ["sluice_kv_blocks_used 3", "sluice_kv_blocks_total 10", "sluice_requests_waiting 2",
                     "sluice_sequences_running 4", "sluice_prefix_cache_hit_tokens_total 32",
                     "sluice_prompt_tokens_total 10", "sluice_generation_tokens_total 5",
                     "sluice_requests_total{status=\"stop\"} 1", "sluice_requests_total{status=\"rejected_overload\"} 1",
                     "sluice_time_to_first_token_seconds_count 1", "sluice_inter_token_latency_seconds_count 1",
                     "sluice_step_duration_seconds_count 1", "sluice_batch_size_sequences_bucket{le=\"4\"} 1"] {
            #expect(text.contains(line + "\n"), "missing \(line)")
        }
        // Every sample line is `name{labels} value` after its HELP and TYPE lines.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "bad line \(line)")
        }
    }
}
