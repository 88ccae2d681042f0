/// Scratch activations of one forward pass, allocated once per runner.
/// Shapes are per row (token) of the batch; `rows` is the runner's maxBatchTokens.
final class ForwardBuffers {
    let tokens: UnsafeMutablePointer<Int32>  // [rows]
    let x: UnsafeMutablePointer<Float>  // [rows][nEmbd] residual stream
    let xn: UnsafeMutablePointer<Float>  // [rows][nEmbd] normalised input / FFN output
    let q: UnsafeMutablePointer<Float>  // [rows][nEmbd] queries, then attention projection
    let k: UnsafeMutablePointer<Float>  // [rows][kvDim]
    let v: UnsafeMutablePointer<Float>  // [rows][kvDim]
    let attn: UnsafeMutablePointer<Float>  // [rows][nEmbd] attention output
    let gate: UnsafeMutablePointer<Float>  // [rows][nFF]
    let up: UnsafeMutablePointer<Float>  // [rows][nFF]
    let logitInput: UnsafeMutablePointer<Float>  // [logitRows][nEmbd]
    let logits: UnsafeMutablePointer<Float>  // [logitRows][nVocab]
    let scores: UnsafeMutablePointer<Float>  // [threads][scratchPerThread]
    let scratchPerThread: Int
    let qkvOutputs: [UnsafeMutablePointer<Float>]  // [q, k, v]
    let gateUpOutputs: [UnsafeMutablePointer<Float>]  // [gate, up]
    private let all: [UnsafeMutableRawPointer]

    init(config c: ModelConfig, rows: Int, logitRows: Int, scratchPerThread: Int, threads: Int) {
        var all: [UnsafeMutableRawPointer] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 16))
            p.initialize(repeating: 0, count: max(n, 16))
            all.append(UnsafeMutableRawPointer(p))
            return p
        }
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        t.initialize(repeating: 0, count: rows)
        all.append(UnsafeMutableRawPointer(t))
        tokens = t
        x = floats(rows * c.embeddingLength)
        xn = floats(rows * c.embeddingLength)
        q = floats(rows * c.embeddingLength)
        k = floats(rows * c.kvDim)
        v = floats(rows * c.kvDim)
        attn = floats(rows * c.embeddingLength)
        gate = floats(rows * c.feedForwardLength)
        up = floats(rows * c.feedForwardLength)
        logitInput = floats(logitRows * c.embeddingLength)
        logits = floats(logitRows * c.vocabSize)
        scores = floats(threads * scratchPerThread)
        self.scratchPerThread = scratchPerThread
        qkvOutputs = [q, k, v]
        gateUpOutputs = [gate, up]
        self.all = all
    }

    deinit { for p in all { p.deallocate() } }
}
