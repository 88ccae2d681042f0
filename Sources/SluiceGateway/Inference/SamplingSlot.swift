import Dispatch
import SluiceEngine
import SluiceScheduler

/// One logit row to sample in a step, with a private copy of its sequence's sampler (written back
/// afterwards), so rows can be sampled on several threads without sharing any state. Measured:
/// temperature sampling over the 49,152-token vocabulary costs about a millisecond a row, a third
/// of a 32-sequence step when done serially on the engine thread.
struct SamplingSlot {
    let row: Int
    let job: JobRuntime
    let sequence: SequenceID
    var sampler: Sampler
    var token: SampledToken?

    init(row: Int, job: JobRuntime, sequence: SequenceID, sampler: Sampler) {
        self.row = row
        self.job = job
        self.sequence = sequence
        self.sampler = sampler
    }

    /// Samples every slot; rows are split across `threads` when there are enough of them.
    static func sampleAll(_ slots: inout [SamplingSlot], logits: LogitRowsView, threads: Int) {
        let parts = slots.count >= 4 ? min(threads, slots.count / 2) : 1
        slots.withUnsafeMutableBufferPointer { buffer in
            guard parts > 1 else {
                for index in buffer.indices { buffer[index].token = buffer[index].sampler.sample(logits: logits[buffer[index].row]) }
                return
            }
            // Each iteration owns the slots `part, part + parts, …`: disjoint elements of one buffer,
            // and the logit rows are only read; concurrentPerform returns after every iteration.
            let shared = ConcurrentAccess(slots: buffer, logits: logits)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for index in stride(from: part, to: shared.slots.count, by: parts) {
                    shared.slots[index].token = shared.slots[index].sampler.sample(logits: shared.logits[shared.slots[index].row])
                }
            }
        }
    }
}

/// What the sampling iterations share; safe because each touches disjoint slots (see above).
private struct ConcurrentAccess: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<SamplingSlot>
    let logits: LogitRowsView
}
