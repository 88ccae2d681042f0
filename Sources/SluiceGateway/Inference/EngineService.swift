import Foundation
import Logging
import SluiceAPI
import SluiceEngine
import SluiceScheduler
import SluiceSync

/// The engine service: one dedicated thread (never the I/O loop, never Swift's cooperative pool)
/// runs `schedule → execute → sample → update` for as long as there is work, and parks on a
/// condition variable when there is none (vLLM v1's engine core loop, llama.cpp's slot loop).
///
/// Handlers call `submit` and `cancel` from any thread. Both take the service lock only briefly:
/// the scheduler is pure and fast, so admission errors (context length, overload → 503) are
/// known synchronously, before any response byte is written. The forward pass and sampling run
/// outside the lock, so submissions never wait for a step.
public final class EngineService: InferenceBackend, @unchecked Sendable {
    public struct Clock: Sendable {
        /// Monotonic seconds.
        public var now: @Sendable () -> Double
        /// A seed for requests without `seed` (tests inject a constant).
        public var entropy: @Sendable () -> UInt64

        public init(now: @escaping @Sendable () -> Double, entropy: @escaping @Sendable () -> UInt64) {
            self.now = now
            self.entropy = entropy
        }

        public static let system = Clock(
            now: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
            entropy: { UInt64.random(in: .min ... .max) })
    }

    public let metrics: InferenceMetrics
    let tokenizer: Tokenizer
    let executor: any InferenceExecutor
    let clock: Clock
    /// Threads that sample a step's logit rows (each row has its own sampler, so rows are independent).
    let samplingThreads: Int
    /// Step failures go here (the failed requests answer 500 whatever the log level).
    let logger: Logger

    // Guarded by `signal`'s lock.
    private let signal = ConditionLock()
    private var scheduler: ContinuousBatchScheduler
    private var jobs: [UInt64: JobRuntime] = [:]
    private var jobOfRequest: [RequestID: JobRuntime] = [:]
    private var nextJobID: UInt64 = 0
    private var stopping = false
    private var threadRunning = false
    private var schedulerSnapshot: SchedulerMetrics

    public init(scheduler config: SchedulerConfig, executor: any InferenceExecutor, tokenizer: Tokenizer,
                metrics: InferenceMetrics = InferenceMetrics(), clock: Clock = .system,
                samplingThreads: Int = 1, logger: Logger = Logger(label: "sluice.engine")) throws(GatewayError) {
        do {
            scheduler = try ContinuousBatchScheduler(config: config)
        } catch {
            throw GatewayError(.invalidConfiguration, "scheduler: \(error)")
        }
        schedulerSnapshot = scheduler.metrics
        self.executor = executor
        self.tokenizer = tokenizer
        self.metrics = metrics
        self.clock = clock
        self.samplingThreads = max(1, min(samplingThreads, 8))
        self.logger = logger
    }

    public var schedulerConfig: SchedulerConfig { scheduler.config }

    /// The scheduler's counters as of the last step (for `/metrics`).
    public var schedulerMetrics: SchedulerMetrics { signal.withLock { schedulerSnapshot } }

    // MARK: Lifecycle

    /// Starts the engine thread (once).
    public func start() {
        let alreadyRunning = signal.withLock { () -> Bool in
            defer { threadRunning = true }
            return threadRunning
        }
        guard !alreadyRunning else { return }
        let thread = Thread { [self] in runLoop() }
        thread.name = "sluice-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops the thread after its current step; unfinished jobs fail with 503. Blocks until it exits.
    public func stop() {
        signal.withLock {
            stopping = true
            signal.signal()
            while threadRunning { signal.wait() }
        }
    }

    // MARK: Requests in

    /// Admits a job or rejects it at once (context too long, overloaded, shutting down).
    public func submit(_ job: InferenceJob) -> Result<InferenceHandle, InferenceFailure> {
        let (events, continuation) = AsyncStream.makeStream(of: InferenceEvent.self)
        let now = clock.now()
        let entropy = clock.entropy()
        let wantsLogprobs = job.sampling.logprobs || job.sampling.topLogprobs > 0
        let result: Result<JobRuntime, InferenceFailure> = signal.withLock {
            guard !stopping else { return .failure(.shuttingDown) }
            let runtime = JobRuntime(id: nextJobID, continuation: continuation, submittedAt: now,
                                     deadline: job.timeoutSeconds.map { now + $0 }, wantsLogprobs: wantsLogprobs,
                                     progress: GenerationProgress(promptTokens: job.promptTokenCount))
            for (promptIndex, prompt) in job.prompts.enumerated() {
                let request = GenerationRequest(promptTokens: prompt, maxNewTokens: job.maxNewTokens,
                                                choices: job.choicesPerPrompt, cacheSalt: job.cacheSalt)
                switch scheduler.submit(request) {
                case .failure(let error):
                    runtime.requests.forEach { scheduler.cancel($0) }  // all prompts or none
                    if !runtime.requests.isEmpty { signal.signal() }
                    return .failure(Self.failure(error))
                case .success(let requestID):
                    runtime.requests.append(requestID)
                    for choice in 0..<job.choicesPerPrompt {
                        var parameters = job.sampling
                        parameters.seed = job.sampling.seed.map { $0.mixed(withChoice: promptIndex * job.choicesPerPrompt + choice) }
                        runtime.choices[SequenceID(request: requestID, choice: choice)] = ChoiceRuntime(
                            choiceIndex: promptIndex * job.choicesPerPrompt + choice,
                            sampler: Sampler(parameters: parameters, fallbackSeed: entropy.mixed(withChoice: choice)),
                            detokenizer: IncrementalDetokenizer(tokenizer: tokenizer),
                            assembler: ChoiceTextAssembler(stops: job.stops),
                            constraint: job.constraint.map {
                                ChoiceConstraint($0, budget: min(job.maxNewTokens, scheduler.config.maxModelLength - prompt.count))
                            })
                    }
                }
            }
            nextJobID += 1
            runtime.unfinishedRequests = runtime.requests.count
            jobs[runtime.id] = runtime
            for request in runtime.requests { jobOfRequest[request] = runtime }
            signal.signal()
            return .success(runtime)
        }
        switch result {
        case .failure(let error):
            if case .overloaded = error {
                metrics.requestFinished(status: "rejected_overload")
            } else {
                metrics.requestFinished(status: "rejected")
            }
            continuation.finish()
            return .failure(error)
        case .success(let runtime):
            let jobID = runtime.id
            continuation.onTermination = { [weak self] termination in
                if case .cancelled = termination { self?.cancel(jobID: jobID) }
            }
            return .success(InferenceHandle(events: events, progress: runtime.progress) { [weak self] in self?.cancel(jobID: jobID) })
        }
    }

    /// Aborts a job at the next step boundary (client gone). Unknown or finished ids are ignored.
    func cancel(jobID: UInt64) {
        signal.withLock {
            guard let job = jobs[jobID] else { return }
            job.requests.forEach { scheduler.cancel($0) }
            signal.signal()
        }
    }

    static func failure(_ error: SchedulerError) -> InferenceFailure {
        switch error {
        case let .contextLengthExceeded(requested, limit):
            return .contextLengthExceeded(requestedTokens: requested, limit: limit)
        case .overloaded:
            return .overloaded(retryAfterSeconds: 1)
        case let .invalidRequest(message):
            return .invalidJob(message)
        case let .invalidConfiguration(message):
            return .backendFailed(message)
        }
    }

    // MARK: The loop

    private func runLoop() {
        while true {
            let keepGoing = signal.withLock { () -> Bool in
                while !stopping && !scheduler.hasWork { signal.wait() }
                return !stopping
            }
            guard keepGoing else { break }
            if !step() {
                // Work exists but nothing could be scheduled (cannot happen with a valid config:
                // the oldest sequence always fits). Back off instead of spinning.
                signal.withLock { signal.wait(seconds: 0.001) }
            }
        }
        failRemainingJobs()
        signal.withLock {
            threadRunning = false
            signal.signal()
        }
    }

    /// One iteration. Returns false when the plan was empty.
    @discardableResult
    func step() -> Bool {
        let started = clock.now()
        let (plan, earlyEvents, rows) = signal.withLock { () -> (StepPlan, [SchedulerEvent], [JobRuntime?]) in
            expireDeadlines(now: started)
            let plan = scheduler.schedule()
            let events = scheduler.takeEvents()
            schedulerSnapshot = scheduler.metrics
            let rows = plan.sequences.filter(\.needsLogits).map { jobOfRequest[$0.sequenceID.request] }
            return (plan, events, rows)
        }
        deliver(earlyEvents, sampled: [:])
        guard !plan.isEmpty else { return false }

        let logitRows = plan.sequences.filter(\.needsLogits)
        var samples: [SequenceSample] = []
        var sampled: [SequenceID: SampledToken] = [:]
        var samplingSeconds = 0.0
        do {
            try executor.execute(plan) { logits in
                let sampleStarted = clock.now()
                defer { samplingSeconds = clock.now() - sampleStarted }
                var slots: [SamplingSlot] = []
                slots.reserveCapacity(logitRows.count)
                for (index, entry) in logitRows.enumerated() where index < logits.count {
                    guard let job = rows[index], let choice = job.choices[entry.sequenceID] else { continue }
                    slots.append(SamplingSlot(row: index, job: job, sequence: entry.sequenceID, sampler: choice.sampler,
                                              constraint: choice.constraint))
                }
                let tokenizer = self.tokenizer
                SamplingSlot.sampleAll(&slots, logits: logits, threads: samplingThreads) { tokenizer.bytes(of: $0) }
                for slot in slots {
                    guard let token = slot.token else { continue }
                    slot.job.choices[slot.sequence]?.sampler = slot.sampler
                    slot.job.choices[slot.sequence]?.constraint = slot.constraint
                    sampled[slot.sequence] = token
                    let ends = tokenizer.isEndOfGeneration(token.token) || slot.mustEnd
                    // A document closed early to fit the budget reports `length`, like a cut one.
                    let reason: FinishReason = slot.constraint?.closedByBudget == true ? .length : .stop
                    samples.append(SequenceSample(sequenceID: slot.sequence, token: TokenID(token.token),
                                                  finishReason: ends ? reason : nil))
                }
            }
        } catch {
            abandon(plan, error: error)
            return true
        }
        let events = signal.withLock { () -> [SchedulerEvent] in
            scheduler.update(with: StepOutput(samples: samples))
            schedulerSnapshot = scheduler.metrics
            return scheduler.takeEvents()
        }
        let delivering = clock.now()
        deliver(events, sampled: sampled)
        metrics.recordStep(seconds: clock.now() - started, sequences: plan.sequences.count, tokens: plan.totalTokens,
                           samplingSeconds: samplingSeconds, deliverySeconds: clock.now() - delivering)
        return true
    }

    /// The executor failed: nothing of the step is committed; the jobs in it fail with a 500.
    private func abandon(_ plan: StepPlan, error: any Error) {
        logger.error("engine step failed", metadata: [
            "error": "\(error)", "step.sequences": "\(plan.sequences.count)", "step.tokens": "\(plan.totalTokens)",
        ])
        let failed = signal.withLock { () -> [JobRuntime] in
            scheduler.abandonStep()
            var failed: [UInt64: JobRuntime] = [:]
            for entry in plan.sequences {
                guard let job = jobOfRequest[entry.sequenceID.request] else { continue }
                job.requests.forEach { scheduler.cancel($0) }
                failed[job.id] = job
            }
            return Array(failed.values)
        }
        for job in failed where job.failure == nil {
            job.failure = .backendFailed("The engine failed while running this request: \(error)")
        }
    }

    /// Cancels jobs past their deadline (under the lock); they end with a timeout error.
    private func expireDeadlines(now: Double) {
        for job in jobs.values where job.failure == nil {
            guard let deadline = job.deadline, now >= deadline else { continue }
            job.failure = .timedOut
            job.requests.forEach { scheduler.cancel($0) }
        }
    }

    private func failRemainingJobs() {
        let remaining = signal.withLock { () -> [JobRuntime] in
            defer {
                jobs = [:]
                jobOfRequest = [:]
            }
            return Array(jobs.values)
        }
        for job in remaining {
            job.continuation.yield(.failed(.shuttingDown))
            job.continuation.finish()
            metrics.requestFinished(status: "error")
        }
    }

    // MARK: Called from `deliver` (engine thread)

    func lookUp(_ request: RequestID) -> JobRuntime? { signal.withLock { jobOfRequest[request] } }

    func finishInScheduler(_ sequence: SequenceID) { signal.withLock { scheduler.finish(sequence, reason: .stop) } }

    func forget(_ job: JobRuntime) {
        signal.withLock {
            jobs[job.id] = nil
            for request in job.requests { jobOfRequest[request] = nil }
        }
    }
}
