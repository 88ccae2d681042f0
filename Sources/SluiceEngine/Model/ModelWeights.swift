import CKernels

/// How matrices are held in memory.
public enum WeightFormat: Sendable {
    /// The file's quantization, repacked by the kernels (8-bit activations, integer dots).
    case asStored
    /// Dequantized to f32 at load (4x-8x the memory; exact f32 matmuls).
    case float32
}

/// One weight matrix `W [nOut][nIn]` (GGUF shape `[nIn, nOut]`), repacked at
/// load by the kernels into their fastest layout.
final class PackedMatrix: @unchecked Sendable {
    // @unchecked: immutable after init; the kernels only read it.
    let handle: OpaquePointer
    let nOut: Int
    let nIn: Int

    init(file: GGUFFile, name: String, nOut: Int, nIn: Int, format: WeightFormat) throws(ModelError) {
        guard let info = file.tensor(named: name) else { throw .file(.missingTensor(name)) }
        guard info.shape == [nIn, nOut] else { throw .tensorShape(name: name, expected: [nIn, nOut], actual: info.shape) }
        guard ck_type_supported(Int32(info.type.id)) != 0 else {
            throw .unsupportedTensorType(name: name, type: info.type.name)
        }
        let created: OpaquePointer?
        switch format {
        case .asStored:
            created = ck_weights_create(Int32(info.type.id), file.data(of: info).baseAddress, Int64(nOut), Int64(nIn))
        case .float32:
            // Dequantize once at load; matmuls then run in f32 without activation quantization.
            var dense = [Float](repeating: 0, count: nOut * nIn)
            let src = file.data(of: info)
            let rowBytes = info.byteCount / nOut
            dense.withUnsafeMutableBufferPointer { d in
                for o in 0..<nOut {
                    ck_dequantize_row(Int32(info.type.id), src.baseAddress.map { $0 + o * rowBytes },
                                      d.baseAddress.map { $0 + o * nIn }, Int64(nIn))
                }
            }
            created = ck_weights_create(Int32(CK_TYPE_F32), dense, Int64(nOut), Int64(nIn))
        }
        guard let w = created else { throw .outOfMemory(what: "packed weights of \(name)") }
        handle = w
        // The packed copy is all the matmuls read: let the mapped pages go.
        file.dropResidentPages(of: info)
        self.nOut = nOut
        self.nIn = nIn
    }

    deinit { ck_weights_destroy(handle) }

    var byteCount: Int { Int(ck_weights_bytes(handle)) }

    /// Applies several matrices sharing nIn to the same x in one pool run
    /// (x quantized once): Q/K/V, gate/up. No heap allocation.
    static func apply(_ matrices: [PackedMatrix], pool: OpaquePointer?, x: UnsafePointer<Float>, rows: Int,
                      ys: [UnsafeMutablePointer<Float>]) {
        withUnsafeTemporaryAllocation(of: OpaquePointer?.self, capacity: matrices.count) { ws in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: ys.count) { outs in
                for i in matrices.indices {
                    ws[i] = matrices[i].handle
                    outs[i] = ys[i]
                }
                ck_matmul_packed_many(pool, Int32(matrices.count), ws.baseAddress, x, Int64(rows), outs.baseAddress)
            }
        }
    }

    /// y[r][nOut] = W x[r] for `rows` rows (x is [rows][nIn]).
    func apply(pool: OpaquePointer?, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>) {
        ck_matmul_packed(pool, handle, x, Int64(rows), y)
    }
}

/// Weights of one transformer block (llama.cpp tensor names `blk.N.*`).
struct LayerWeights: Sendable {
    let attnNorm: [Float]  // [nEmbd]
    let wq: PackedMatrix  // [nEmbd] -> [nHead * headDim]
    let wk: PackedMatrix  // [nEmbd] -> [kvDim]
    let wv: PackedMatrix  // [nEmbd] -> [kvDim]
    let wo: PackedMatrix  // [nEmbd] -> [nEmbd]
    let ffnNorm: [Float]  // [nEmbd]
    let gate: PackedMatrix  // [nEmbd] -> [nFF]
    let up: PackedMatrix  // [nEmbd] -> [nFF]
    let down: PackedMatrix  // [nFF] -> [nEmbd]

    /// Matrices applied together to the same normalised input (stored, so a
    /// step builds no arrays).
    let qkv: [PackedMatrix]
    let gateUp: [PackedMatrix]

    init(attnNorm: [Float], wq: PackedMatrix, wk: PackedMatrix, wv: PackedMatrix, wo: PackedMatrix,
         ffnNorm: [Float], gate: PackedMatrix, up: PackedMatrix, down: PackedMatrix) {
        self.attnNorm = attnNorm
        self.wq = wq
        self.wk = wk
        self.wv = wv
        self.wo = wo
        self.ffnNorm = ffnNorm
        self.gate = gate
        self.up = up
        self.down = down
        qkv = [wq, wk, wv]
        gateUp = [gate, up]
    }
}

/// All weights of a `llama` model, validated against its config.
public final class ModelWeights: @unchecked Sendable {
    // @unchecked: immutable after init; `embeddingBase` points into `file`'s read-only mapping.
    public let config: ModelConfig
    let layers: [LayerWeights]
    let outputNorm: [Float]  // [nEmbd]
    /// [nEmbd] -> [nVocab]; `token_embd.weight` when the file ties them.
    let output: PackedMatrix
    /// `token_embd.weight` stays in the mapped file: one row is dequantized per token.
    let embedding: GGUFTensorInfo  // [nEmbd, nVocab]
    let embeddingRowBytes: Int
    let embeddingBase: UnsafeRawPointer
    /// Keeps the mapping alive for `embedding`.
    let file: GGUFFile

    public init(file: GGUFFile, config: ModelConfig, format: WeightFormat = .asStored) throws(ModelError) {
        self.config = config
        self.file = file
        let e = config.embeddingLength
        let f = config.feedForwardLength
        let kv = config.kvDim

        guard let embd = file.tensor(named: "token_embd.weight") else { throw .file(.missingTensor("token_embd.weight")) }
        guard embd.shape == [e, config.vocabSize] else {
            throw .tensorShape(name: embd.name, expected: [e, config.vocabSize], actual: embd.shape)
        }
        guard ck_type_supported(Int32(embd.type.id)) != 0 else {
            throw .unsupportedTensorType(name: embd.name, type: embd.type.name)
        }
        embedding = embd
        guard let embeddingBase = file.data(of: embd).baseAddress else {
            throw .tensorShape(name: embd.name, expected: [e, config.vocabSize], actual: embd.shape)
        }
        self.embeddingBase = embeddingBase
        embeddingRowBytes = embd.byteCount / config.vocabSize

        func vector(_ name: String) throws(ModelError) -> [Float] {
            guard let info = file.tensor(named: name) else { throw .file(.missingTensor(name)) }
            guard info.shape == [e] else { throw .tensorShape(name: name, expected: [e], actual: info.shape) }
            guard info.type == .f32 else { throw .unsupportedTensorType(name: name, type: info.type.name) }
            return Array(file.data(of: info).bindMemory(to: Float.self))
        }
        var layers: [LayerWeights] = []
        for i in 0..<config.blockCount {
            let p = "blk.\(i)."
            layers.append(LayerWeights(
                attnNorm: try vector(p + "attn_norm.weight"),
                wq: try PackedMatrix(file: file, name: p + "attn_q.weight", nOut: e, nIn: e, format: format),
                wk: try PackedMatrix(file: file, name: p + "attn_k.weight", nOut: kv, nIn: e, format: format),
                wv: try PackedMatrix(file: file, name: p + "attn_v.weight", nOut: kv, nIn: e, format: format),
                wo: try PackedMatrix(file: file, name: p + "attn_output.weight", nOut: e, nIn: e, format: format),
                ffnNorm: try vector(p + "ffn_norm.weight"),
                gate: try PackedMatrix(file: file, name: p + "ffn_gate.weight", nOut: f, nIn: e, format: format),
                up: try PackedMatrix(file: file, name: p + "ffn_up.weight", nOut: f, nIn: e, format: format),
                down: try PackedMatrix(file: file, name: p + "ffn_down.weight", nOut: e, nIn: f, format: format)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight")
        let outputName = file.tensor(named: "output.weight") != nil ? "output.weight" : "token_embd.weight"
        output = try PackedMatrix(file: file, name: outputName, nOut: config.vocabSize, nIn: e, format: format)
    }

    /// Loads config and weights from a GGUF file.
    public convenience init(file: GGUFFile, format: WeightFormat = .asStored) throws(ModelError) {
        try self.init(file: file, config: ModelConfig(file: file), format: format)
    }

    /// Bytes held by the repacked matrices.
    public var packedByteCount: Int {
        layers.reduce(output.byteCount) { sum, l in
            sum + [l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down].reduce(0) { $0 + $1.byteCount }
        }
    }

    /// Writes the embedding of `token` (already range-checked) to `dst` [nEmbd].
    func embed(token: Int, into dst: UnsafeMutablePointer<Float>) {
        let row = embeddingBase + token * embeddingRowBytes
        ck_dequantize_row(Int32(embedding.type.id), row, dst, Int64(config.embeddingLength))
    }
}
