import SluiceScheduler

/// The logit rows of one step: row `i` belongs to the `i`-th sequence of the plan with
/// `needsLogits`, `[vocabularySize]` floats. The memory may be the executor's scratch space, valid
/// only during `execute`; rows may be read from several threads at once.
public struct LogitRowsView {
    public let count: Int
    let rowAt: (Int) -> UnsafeBufferPointer<Float>

    public init(count: Int, rowAt: @escaping (Int) -> UnsafeBufferPointer<Float>) {
        self.count = count
        self.rowAt = rowAt
    }

    public subscript(row: Int) -> UnsafeBufferPointer<Float> { rowAt(row) }
}

/// The forward pass the engine service drives, one `StepPlan` at a time (TGI's one backend
/// protocol: the service never sees the model's internals). Called only from the engine thread,
/// so implementations may keep mutable state (scratch buffers, the paged KV storage) unguarded.
public protocol InferenceExecutor: AnyObject {
    var vocabularySize: Int { get }
    /// Writes the plan's tokens into the KV blocks of its sequences and hands the logits of the rows
    /// with `needsLogits` to `body` (no per-step copy of 32 × 49k floats).
    func execute(_ plan: StepPlan, withLogits body: (LogitRowsView) -> Void) throws(GatewayError)
}
