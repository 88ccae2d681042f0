import SluiceEngine
import SluiceScheduler

/// The real executor: the engine's batched forward pass over the paged KV pool. A `StepPlan`
/// maps one-to-one onto a `ForwardBatch` (same token chunks, positions and block tables; the
/// scheduler's block ids index the runner's `KVCachePool`).
public final class ModelRunnerExecutor: InferenceExecutor {
    let runner: ModelRunner
    private var batch = ForwardBatch()

    public init(runner: ModelRunner) { self.runner = runner }

    public var vocabularySize: Int { runner.config.vocabSize }

    public func execute(_ plan: StepPlan, withLogits body: (LogitRowsView) -> Void) throws(GatewayError) {
        batch.chunks.removeAll(keepingCapacity: true)
        for (index, entry) in plan.sequences.enumerated() {
            batch.chunks.append(ForwardBatch.Chunk(sequenceID: index, tokens: entry.tokens, startPosition: entry.startPosition,
                                                   blockTable: entry.blockTable, wantsLogits: entry.needsLogits))
        }
        do {
            try runner.forward(batch) { rows in
                withoutActuallyEscaping({ (row: Int) in rows[row] }) { rowAt in
                    body(LogitRowsView(count: rows.count, rowAt: rowAt))
                }
            }
        } catch {
            throw GatewayError(.engineFailed, "forward pass: \(error)")
        }
    }
}
