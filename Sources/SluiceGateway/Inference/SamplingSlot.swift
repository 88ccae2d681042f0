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
    /// The choice's grammar state (copied in, written back like the sampler): its mask is
    /// computed here, on the sampling threads, so constrained rows cost the others nothing.
    var constraint: ChoiceConstraint?
    var token: SampledToken?
    /// The grammar is complete and allows nothing more: the choice ends with this token.
    var mustEnd = false

    init(row: Int, job: JobRuntime, sequence: SequenceID, sampler: Sampler, constraint: ChoiceConstraint? = nil) {
        self.row = row
        self.job = job
        self.sequence = sequence
        self.sampler = sampler
        self.constraint = constraint
    }

    /// Samples this slot's row: under its grammar's mask when it has an active one.
    mutating func sample(_ logits: LogitRowsView, tokenBytes: (Int) -> [UInt8]) {
        let row = logits[self.row]
        guard var constraint else {
            token = sampler.sample(logits: row)
            return
        }
        var words = [UInt64](repeating: 0, count: (row.count + 63) / 64)
        let constrained = words.withUnsafeMutableBufferPointer { constraint.fillMask($0) }
        let sampled = constrained ? words.withUnsafeBufferPointer { sampler.sample(logits: row, allowed: $0) } : sampler.sample(logits: row)
        mustEnd = constraint.accept(token: sampled.token, bytes: tokenBytes(sampled.token))
        token = sampled
        self.constraint = constraint
    }

    /// Samples every slot; rows are split across `threads` when there are enough of them.
    static func sampleAll(_ slots: inout [SamplingSlot], logits: LogitRowsView, threads: Int,
                          tokenBytes: @escaping @Sendable (Int) -> [UInt8]) {
        let parts = slots.count >= 4 ? min(threads, slots.count / 2) : 1
        slots.withUnsafeMutableBufferPointer { buffer in
            guard parts > 1 else {
                for index in buffer.indices { buffer[index].sample(logits, tokenBytes: tokenBytes) }
                return
            }
            // Each iteration owns the slots `part, part + parts, …`: disjoint elements of one buffer,
            // and the logit rows are only read; concurrentPerform returns after every iteration.
            let shared = ConcurrentAccess(slots: buffer, logits: logits)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for index in stride(from: part, to: shared.slots.count, by: parts) {
                    shared.slots[index].sample(shared.logits, tokenBytes: tokenBytes)
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
