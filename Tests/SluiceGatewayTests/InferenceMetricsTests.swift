import SluiceAPI
@testable import SluiceScheduler
import Testing
@testable import SluiceGateway

@Suite("Prometheus exposition")
struct InferenceMetricsTests {
    func makeSnapshot(used: Int = 3, total: Int = 10, steps: UInt64 = 9) -> SchedulerMetrics {
        SchedulerMetrics(waitingSequences: 1, queuedRequests: 2, queuedPromptTokens: 5, runningSequences: 4,
                         kvBlocksUsed: used, kvBlocksCached: 1, kvBlocksTotal: total, prefixCacheHitTokens: 32,
                         prefixCacheQueryTokens: 64, lastBatchSequences: 4, lastBatchTokens: 4, preemptions: 0,
                         preemptedTokens: 0, cancelledSequences: 0, rejectedRequests: 0, steps: steps)
    }

    // swift-prometheus writes bucket bounds, gauges and sums as Swift prints a Double ("4.0").
    @Test func histogramBucketsAreCumulativeAndEndWithInf() {
        let metrics = InferenceMetrics()
        for sequences in [1, 2, 2, 3, 100] { metrics.recordStep(seconds: 0.01, sequences: sequences, tokens: 1) }
        let out = metrics.render(scheduler: makeSnapshot())
        #expect(out.contains("# TYPE sluice_batch_size_sequences histogram\n"))
        #expect(out.contains("sluice_batch_size_sequences_bucket{le=\"1.0\"} 1\n"))
        #expect(out.contains("sluice_batch_size_sequences_bucket{le=\"2.0\"} 3\n"))
        #expect(out.contains("sluice_batch_size_sequences_bucket{le=\"4.0\"} 4\n"))
        #expect(out.contains("sluice_batch_size_sequences_bucket{le=\"64.0\"} 4\n"))
        #expect(out.contains("sluice_batch_size_sequences_bucket{le=\"+Inf\"} 5\n"))
        #expect(out.contains("sluice_batch_size_sequences_sum 108.0\n"))
        #expect(out.contains("sluice_batch_size_sequences_count 5\n"))
    }

    @Test func exposesSchedulerGaugesRequestsAndLatencyHistograms() {
        let metrics = InferenceMetrics()
        metrics.recordStep(seconds: 0.03, sequences: 4, tokens: 4)
        metrics.observeTimeToFirstToken(0.2)
        metrics.observeInterTokenLatency(0.012)
        metrics.requestFinished(status: "stop", usage: GenerationUsage(promptTokens: 10, completionTokens: 5, cachedPromptTokens: 2))
        metrics.requestFinished(status: "rejected_overload")
        let text = metrics.render(scheduler: makeSnapshot())
        for line in ["sluice_kv_blocks_used 3.0", "sluice_kv_blocks_total 10.0", "sluice_requests_waiting 2.0",
                     "sluice_sequences_running 4.0", "sluice_prefix_cache_hit_tokens_total 32",
                     "sluice_prompt_tokens_total 10", "sluice_generation_tokens_total 5",
                     "sluice_requests_total{status=\"stop\"} 1", "sluice_requests_total{status=\"rejected_overload\"} 1",
                     "sluice_requests_total{status=\"cancelled\"} 0",
                     "sluice_time_to_first_token_seconds_count 1", "sluice_inter_token_latency_seconds_count 1",
                     "sluice_step_duration_seconds_count 1", "sluice_batch_size_sequences_bucket{le=\"4.0\"} 1",
                     "# TYPE sluice_kv_blocks_used gauge", "# TYPE sluice_engine_steps_total counter",
                     "# TYPE sluice_requests_total counter", "# TYPE sluice_step_duration_seconds histogram",
                     "# HELP sluice_kv_blocks_total KV blocks in the pool."] {
            #expect(text.contains(line + "\n"), "missing \(line)")
        }
        // Every sample line is `name{labels} value` after its HELP and TYPE lines.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "bad line \(line)")
        }
        #expect(metrics.requests(status: "stop") == 1)
    }

    @Test func schedulerCountersFollowItsCumulativeValues() {
        let metrics = InferenceMetrics()
        _ = metrics.render(scheduler: makeSnapshot(steps: 9))
        _ = metrics.render(scheduler: makeSnapshot(steps: 9))
        let text = metrics.render(scheduler: makeSnapshot(steps: 12))
        #expect(text.contains("sluice_engine_steps_total 12\n"))
        #expect(text.contains("sluice_prefix_cache_query_tokens_total 64\n"))
    }

    @Test func exposesProcessMetrics() throws {
        let text = InferenceMetrics().render(scheduler: makeSnapshot())
        func value(_ name: String) throws -> Double {
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(name + " ") })
            return try #require(Double(line.split(separator: " ")[1]))
        }
        #expect(try value("process_resident_memory_bytes") > 1_000_000)
        #expect(try value("process_open_fds") >= 3)
        #expect(try value("process_cpu_seconds_total") > 0)
        #expect(text.contains("# TYPE process_cpu_seconds_total counter\n"))
    }

    @Test func twoGatewaysKeepTheirOwnCounts() {
        let first = InferenceMetrics()
        let second = InferenceMetrics()
        first.requestFinished(status: "stop")
        #expect(first.requests(status: "stop") == 1)
        #expect(second.requests(status: "stop") == 0)
    }
}
