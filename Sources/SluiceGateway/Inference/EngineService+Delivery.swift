import SluiceAPI
import SluiceEngine
import SluiceScheduler

// Turns scheduler events into per-job `InferenceEvent`s on the engine thread: detokenize
// incrementally (never half a UTF-8 character), run stop strings (a match ends the sequence in the
// scheduler at once, so its blocks are freed at the next step), attach logprobs, send usage.
extension EngineService {
    func deliver(_ events: [SchedulerEvent], sampled: [SequenceID: SampledToken]) {
        for event in events {
            switch event {
            case let .tokenAppended(id, token, _):
                guard let job = lookUp(id.request) else { continue }
                job.progress.tokenAppended()
                appendToken(token, to: id, of: job, sampled: sampled[id])
            case let .finished(id, reason):
                guard let job = lookUp(id.request) else { continue }
                finishChoice(id, of: job, reason: reason)
            case .preempted:
                continue  // the stream just pauses; recomputation is invisible to the client
            case let .requestFinished(request, usage):
                guard let job = lookUp(request) else { continue }
                job.add(usage)
                job.unfinishedRequests -= 1
                if job.unfinishedRequests == 0 { complete(job) }
            }
        }
    }

    private func appendToken(_ token: TokenID, to id: SequenceID, of job: JobRuntime, sampled: SampledToken?) {
        guard var choice = job.choices[id], !choice.finished else { return }
        let now = clock.now()
        if job.firstTokenAt == nil {
            job.firstTokenAt = now
            metrics.observeTimeToFirstToken(now - job.submittedAt)
        }
        if let last = choice.lastTokenAt { metrics.observeInterTokenLatency(now - last) }
        choice.lastTokenAt = now
        defer { job.choices[id] = choice }
        // An end-of-generation token is not text; the scheduler's `finished(.stop)` follows.
        guard !tokenizer.isEndOfGeneration(Int(token)) else { return }
        let text = choice.detokenizer.append(Int(token))
        let logprobs = job.wantsLogprobs ? [wireLogprob(token, sampled)] : []
        let release = choice.assembler.append(text, logprobs: logprobs)
        emit(release, choice: choice.choiceIndex, to: job)
        if release.stopMatched {
            choice.finished = true
            finishInScheduler(id)
            job.continuation.yield(.finished(choice: choice.choiceIndex, reason: .stop))
            job.finishReasons.append(.stop)
        }
    }

    private func finishChoice(_ id: SequenceID, of job: JobRuntime, reason: FinishReason) {
        guard var choice = job.choices[id], !choice.finished else { return }
        choice.finished = true
        defer { job.choices[id] = choice }
        switch reason {
        case .stop, .length:
            // Bytes held for an incomplete character, then text held for a partial stop match.
            let tail = choice.assembler.append(choice.detokenizer.finish())
            emit(tail, choice: choice.choiceIndex, to: job)
            var finishReason: GenerationFinishReason = reason == .stop ? .stop : .length
            if tail.stopMatched {
                finishReason = .stop
            } else {
                emit(choice.assembler.finish(), choice: choice.choiceIndex, to: job)
            }
            job.continuation.yield(.finished(choice: choice.choiceIndex, reason: finishReason))
            job.finishReasons.append(finishReason)
        case .cancelled:
            job.sawCancel = true
        case .failed:
            if job.failure == nil { job.failure = .backendFailed("The engine produced no token for a running sequence.") }
        }
    }

    private func emit(_ release: ChoiceTextAssembler.Release, choice: Int, to job: JobRuntime) {
        guard !release.text.isEmpty || !release.logprobs.isEmpty else { return }
        job.continuation.yield(.delta(choice: choice, text: release.text, logprobs: release.logprobs))
    }

    private func complete(_ job: JobRuntime) {
        forget(job)
        let status: String
        if let failure = job.failure {
            status = failure == .timedOut ? "timeout" : "error"
        } else if job.sawCancel {
            status = "cancelled"
        } else {
            status = job.finishReasons.contains(.length) ? "length" : "stop"
        }
        // Counted before the last event goes out, so whoever sees the stream end sees the metric.
        metrics.requestFinished(status: status, usage: job.usage)
        if let failure = job.failure {
            job.continuation.yield(.failed(failure))
        } else if !job.sawCancel {
            job.continuation.yield(.completed(job.usage))
        }
        job.continuation.finish()
    }

    /// OpenAI reports each token's text and exact bytes; alternatives likewise.
    private func wireLogprob(_ token: TokenID, _ sampled: SampledToken?) -> SluiceAPI.TokenLogprob {
        let bytes = tokenizer.bytes(of: Int(token))
        let top = (sampled?.topLogprobs ?? []).map { alternative in
            let altBytes = tokenizer.bytes(of: alternative.token)
            return SluiceAPI.TokenLogprob.Alternative(token: String(decoding: altBytes, as: UTF8.self), bytes: altBytes,
                                                      logprob: Double(alternative.logprob))
        }
        return SluiceAPI.TokenLogprob(token: String(decoding: bytes, as: UTF8.self), bytes: bytes,
                                      logprob: Double(sampled?.logprob ?? 0), top: top)
    }
}
