import SluiceScheduler

/// The forward pass the engine service drives, one `StepPlan` at a time (TGI's one backend
/// protocol: the service never sees the model's internals). Called only from the engine thread,
/// so implementations may keep mutable state (scratch buffers, the paged KV storage) unguarded.
public protocol InferenceExecutor: AnyObject {
    var vocabularySize: Int { get }
    /// Writes the plan's tokens into the KV blocks of its sequences and hands over the logits of
    /// the rows with `needsLogits`: `body(i, row)` for the `i`-th such sequence in plan order, each
    /// row `[vocabularySize]`. The rows may live in the executor's scratch memory, valid only
    /// during the call (no per-step allocation of 32 × 49k floats).
    func execute(_ plan: StepPlan, forEachLogitRow body: (_ index: Int, _ logits: UnsafeBufferPointer<Float>) -> Void) throws(GatewayError)
}
