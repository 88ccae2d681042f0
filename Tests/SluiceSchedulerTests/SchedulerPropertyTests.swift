import Foundation
import SluiceTesting
import Testing
@testable import SluiceScheduler

/// Random workloads against the deterministic fake executor, with every invariant checked after
/// every step. The fake model's output is a pure function of the token history it reads back
/// through the block tables, so any KV mix-up, lost token or wrong resume shows up as a token
/// that differs from the undisturbed reference generation.
@Suite struct SchedulerPropertyTests {
    struct Workload: Sendable, CustomTestStringConvertible {
        var name: String
        var seed: UInt64
        var config: SchedulerConfig
        var arrivals: Int
        var maxPrompt: Int
        var maxNew: Int
        var arrivalProbability: Double
        var cancelProbability: Double
        var finishProbability: Double
        var expectPreemptions: Bool
        var expectPrefixHits: Bool
        var testDescription: String { name }
    }

    static let workloads: [Workload] = [
        Workload(name: "tiny pool forces preemption", seed: 1,
                 config: makeConfig(blockSize: 4, totalBlocks: 14, maxBatchedTokens: 12, maxSequences: 6,
                                    maxModelLength: 56, maxWaitingRequests: 20),
                 arrivals: 3000, maxPrompt: 30, maxNew: 24, arrivalProbability: 0.12,
                 cancelProbability: 0.02, finishProbability: 0.01, expectPreemptions: true, expectPrefixHits: true),
        Workload(name: "roomy pool with shared prefixes", seed: 2,
                 config: makeConfig(blockSize: 4, totalBlocks: 96, maxBatchedTokens: 24, maxSequences: 10,
                                    maxModelLength: 100, maxWaitingRequests: 40),
                 arrivals: 3000, maxPrompt: 40, maxNew: 16, arrivalProbability: 0.3,
                 cancelProbability: 0.03, finishProbability: 0.02, expectPreemptions: false, expectPrefixHits: true),
        Workload(name: "long prefill threshold, watermark, block size 16", seed: 3,
                 config: makeConfig(blockSize: 16, totalBlocks: 12, maxBatchedTokens: 20, maxSequences: 5,
                                    maxModelLength: 160, longPrefillTokenThreshold: 7, maxWaitingRequests: 12,
                                    maxWaitingPromptTokens: 300, admissionWatermarkBlocks: 2),
                 arrivals: 1500, maxPrompt: 90, maxNew: 30, arrivalProbability: 0.05,
                 cancelProbability: 0.01, finishProbability: 0.0, expectPreemptions: true, expectPrefixHits: true),
        Workload(name: "prefix caching off", seed: 4,
                 config: makeConfig(blockSize: 4, totalBlocks: 20, maxBatchedTokens: 16, maxSequences: 4,
                                    maxModelLength: 64, maxWaitingRequests: 16, enablePrefixCaching: false),
                 arrivals: 2000, maxPrompt: 30, maxNew: 20, arrivalProbability: 0.1,
                 cancelProbability: 0.02, finishProbability: 0.01, expectPreemptions: true, expectPrefixHits: false),
    ]

    struct Tracked {
        var prompt: [TokenID]
        var maxNew: Int
        var choices: Int
        var generated: [[TokenID]]
        var finished: [FinishReason?]
        var cancelRequested = false
        var finishRequested: Set<Int> = []
        var usage: RequestUsage?
    }

    /// `SLUICE_PROPERTY_SCALE=N` multiplies arrivals and runs N seeds per workload (use a release build:
    /// `swift test -c release -Xswiftc -enable-testing --filter SchedulerPropertyTests`).
    static let scale = max(1, Int(ProcessInfo.processInfo.environment["SLUICE_PROPERTY_SCALE"] ?? "") ?? 1)

    @Test(arguments: workloads)
    func randomWorkloadKeepsEveryInvariant(_ workload: Workload) throws {
        for round in 0..<Self.scale {
            var scaled = workload
            scaled.seed = workload.seed &+ UInt64(round) &* 1000
            scaled.arrivals = workload.arrivals * Self.scale
            try run(scaled)
        }
    }

    private func run(_ workload: Workload) throws {
        var rng = SplitMix64(seed: workload.seed)
        var scheduler = try makeScheduler(workload.config)
        var executor = FakeExecutor(config: workload.config, stopAtEOS: true)
        let config = workload.config
        // Shared prefixes (system prompts) so the prefix cache gets hits, including across salts.
        let prefixes: [[TokenID]] = (0..<4).map { p in promptTokens(Int.random(in: 0...(workload.maxPrompt / 2), using: &rng), start: p * 97) }
        let salts: [String?] = [nil, nil, "tenant-a", "tenant-b"]
        var tracked: [RequestID: Tracked] = [:]
        var live: [RequestID] = []
        var submitted = 0
        var rejectedTooLong = 0
        var rejectedOverloaded = 0
        var steps = 0
        // Bounded wait: a sequence that is the oldest live one finishes within this many steps
        // (running sequences drain within maxSequences * maxLength steps, then it runs alone at
        // one token per step at worst), plus one step for deferred cancellations.
        let maxLength = workload.maxPrompt + workload.maxNew
        let starvationBound = (config.maxSequences + 1) * maxLength + 2
        var oldest: (SequenceID, since: Int)?
        var maxBatch = 0

        while submitted < workload.arrivals || scheduler.hasWork {
            steps += 1
            try #require(steps < 400_000, "the workload did not drain")
            // Arrivals: bursts of up to three, so the bounded queue overflows now and then.
            let burst = Double.random(in: 0..<1, using: &rng) < workload.arrivalProbability ? Int.random(in: 1...3, using: &rng) : 0
            for _ in 0..<burst where submitted < workload.arrivals {
                submitted += 1
                let prefix = prefixes[Int.random(in: 0..<prefixes.count, using: &rng)]
                // Half the suffixes use a two-token alphabet: equal blocks then recur after different
                // prefixes, which only the hash chain (not the block's own tokens) tells apart.
                let alphabet: TokenID = Bool.random(using: &rng) ? 2 : 2000
                let suffix = (0..<Int.random(in: 1...max(1, workload.maxPrompt - prefix.count), using: &rng))
                    .map { _ in TokenID.random(in: 0..<alphabet, using: &rng) }
                let prompt = Array((prefix + suffix).prefix(workload.maxPrompt))
                var maxNew = Int.random(in: 1...workload.maxNew, using: &rng)
                if Int.random(in: 0..<20, using: &rng) == 0 { maxNew = config.maxModelLength }  // never fits
                let choices = Int.random(in: 0..<6, using: &rng) == 0 ? Int.random(in: 2...3, using: &rng) : 1
                let request = GenerationRequest(promptTokens: prompt, maxNewTokens: maxNew, choices: choices,
                                                cacheSalt: salts[Int.random(in: 0..<salts.count, using: &rng)])
                let before = scheduler.metrics
                switch scheduler.submit(request) {
                case .success(let id):
                    #expect(prompt.count + maxNew <= config.maxModelLength)
                    tracked[id] = Tracked(prompt: prompt, maxNew: maxNew, choices: choices,
                                          generated: Array(repeating: [], count: choices),
                                          finished: Array(repeating: nil, count: choices))
                    live.append(id)
                case .failure(.contextLengthExceeded):
                    let blocksNeeded = (prompt.count + maxNew + config.blockSize - 1) / config.blockSize
                    #expect(prompt.count + maxNew > config.maxModelLength || blocksNeeded > config.totalBlocks)
                    rejectedTooLong += 1
                case .failure(.overloaded):
                    #expect(before.queuedRequests + 1 > config.maxWaitingRequests
                            || before.queuedPromptTokens + prompt.count > config.maxWaitingPromptTokens)
                    rejectedOverloaded += 1
                case .failure(let other):
                    Issue.record("unexpected rejection \(other)")
                }
            }
            // Client-side aborts and service-side stops (stop strings).
            if !live.isEmpty, Double.random(in: 0..<1, using: &rng) < workload.cancelProbability {
                let id = live[Int.random(in: 0..<live.count, using: &rng)]
                scheduler.cancel(id)
                tracked[id]?.cancelRequested = true
            }
            if !live.isEmpty, Double.random(in: 0..<1, using: &rng) < workload.finishProbability {
                let id = live[Int.random(in: 0..<live.count, using: &rng)]
                if let entry = tracked[id] {
                    let choice = Int.random(in: 0..<entry.choices, using: &rng)
                    scheduler.finish(SequenceID(request: id, choice: choice), reason: .stop)
                    tracked[id]?.finishRequested.insert(choice)
                }
            }

            // One step.
            let plan = scheduler.schedule()
            #expect(plan.totalTokens <= config.maxBatchedTokens)
            #expect(plan.sequences.count <= config.maxSequences)
            #expect(Set(plan.sequences.map(\.sequenceID)).count == plan.sequences.count)
            for entry in plan.sequences {
                #expect(!entry.tokens.isEmpty)
                if let cap = config.longPrefillTokenThreshold { #expect(entry.tokens.count <= cap) }
            }
            maxBatch = max(maxBatch, plan.sequences.count)
            scheduler.update(with: executor.run(plan))
            for event in scheduler.takeEvents() {
                switch event {
                case let .tokenAppended(id, token, index):
                    #expect(tracked[id.request]?.generated[id.choice].count == index)
                    tracked[id.request]?.generated[id.choice].append(token)
                case let .finished(id, reason):
                    #expect(tracked[id.request]?.finished[id.choice] == nil, "finished twice")
                    tracked[id.request]?.finished[id.choice] = reason
                case .preempted:
                    break
                case let .requestFinished(id, usage):
                    #expect(tracked[id]?.usage == nil, "request finished twice")
                    tracked[id]?.usage = usage
                    live.removeAll { $0 == id }
                }
            }
            let violations = scheduler.invariantViolations()
            #expect(violations == [], "step \(steps)")
            if !violations.isEmpty { return }
            #expect(executor.problems == [], "step \(steps)")
            if !executor.problems.isEmpty { return }

            // Bounded wait of the oldest live sequence.
            let oldestNow = scheduler.sequences.keys.min()
            if let current = oldestNow {
                if let (previous, since) = oldest, previous == current {
                    #expect(steps - since <= starvationBound, "\(current) starved")
                } else {
                    oldest = (current, steps)
                }
            } else {
                oldest = nil
            }
        }

        // Every accepted request ended exactly once, with the undisturbed generation (or a prefix of it).
        var completedNormally = 0
        for (id, entry) in tracked {
            let usage = try #require(entry.usage, "\(id) never finished")
            #expect(usage.promptTokens == entry.prompt.count)
            #expect(usage.completionTokens == entry.generated.reduce(0) { $0 + $1.count })
            for choice in 0..<entry.choices {
                let reason = try #require(entry.finished[choice], "\(id).\(choice) has no finish event")
                let reference = FakeModel.reference(prompt: entry.prompt, choice: choice, maxNewTokens: entry.maxNew, stopAtEOS: true)
                let produced = entry.generated[choice]
                switch reason {
                case .stop where !entry.finishRequested.contains(choice), .length:
                    #expect(produced == reference.tokens, "\(id).\(choice)")
                    #expect(reason == reference.reason)
                    completedNormally += 1
                case .stop, .cancelled:
                    #expect(reason == .stop ? entry.finishRequested.contains(choice) : entry.cancelRequested)
                    #expect(Array(reference.tokens.prefix(produced.count)) == produced, "\(id).\(choice)")
                case .failed:
                    Issue.record("\(id).\(choice) failed")
                }
            }
        }
        let metrics = scheduler.metrics
        #expect(metrics.kvBlocksUsed == 0)
        #expect(metrics.queuedRequests == 0 && metrics.queuedPromptTokens == 0)
        #expect(completedNormally > tracked.count / 2)
        #expect(tracked.count > workload.arrivals / 2)
        #expect(rejectedTooLong > 0)
        if workload.expectPreemptions { #expect(metrics.preemptions > 0) }
        if workload.expectPrefixHits { #expect(metrics.prefixCacheHitTokens > 0) } else { #expect(metrics.prefixCacheHitTokens == 0) }
        #expect(maxBatch > 1)
        print("[\(workload.name)] steps \(steps), accepted \(tracked.count), rejected too long \(rejectedTooLong), overloaded \(rejectedOverloaded), preemptions \(metrics.preemptions), prefix hit tokens \(metrics.prefixCacheHitTokens)/\(metrics.prefixCacheQueryTokens), cancelled \(metrics.cancelledSequences)")
    }
}
