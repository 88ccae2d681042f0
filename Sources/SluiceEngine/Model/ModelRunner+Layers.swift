import CKernels

extension ModelRunner {
    /// The llama block stack for `rows` validated rows (llama.cpp `llm_build_llama`):
    /// x = embed(tokens); per layer: x += Wo·attn(rope(Wq·n), rope(Wk·n), Wv·n) with
    /// n = rmsnorm(x)·attn_norm, then x += Wdown·(silu(Wgate·m) ⊙ Wup·m) with
    /// m = rmsnorm(x)·ffn_norm; logits = Wout·(rmsnorm(x)·output_norm) for sampled rows.
    func run(_ batch: ForwardBatch, rows n: Int, logitCount: Int) {
        let c = config
        let w = weights
        let b = buffers
        let e = c.embeddingLength
        let kvDim = c.kvDim
        let f = c.feedForwardLength

        for r in 0..<n { w.embed(token: Int(b.tokens[r]), into: b.x + r * e) }

        positions.withUnsafeBufferPointer { positionsBuffer in
        tableOffsets.withUnsafeBufferPointer { offsetsBuffer in
        blockTables.withUnsafeBufferPointer { tablesBuffer in
            let positions = positionsBuffer.baseAddress
            let tableOffsets = offsetsBuffer.baseAddress
            let blockTables = tablesBuffer.baseAddress
            for (l, layer) in w.layers.enumerated() {
                // Attention block.
                ck_rmsnorm(b.x, layer.attnNorm, b.xn, Int64(n), Int64(e), c.rmsNormEpsilon)
                PackedMatrix.apply(layer.qkv, pool: pool, x: b.xn, rows: n, ys: b.qkvOutputs)
                ck_rope(b.q, positions, Int64(n), Int32(c.headCount), Int32(c.headDim),
                        Int32(c.ropeDimensionCount), c.ropeFreqBase)
                ck_rope(b.k, positions, Int64(n), Int32(c.headCountKV), Int32(c.headDim),
                        Int32(c.ropeDimensionCount), c.ropeFreqBase)
                let f16: Int32 = kvCache.storage == .f16 ? 1 : 0
                let keys = kvCache.keys(layer: l)
                let values = kvCache.values(layer: l)
                let bs = Int32(kvCache.blockSize)
                ck_kv_store(keys, f16, b.k, positions, blockTables, tableOffsets, Int64(n), Int32(kvDim), bs)
                ck_kv_store(values, f16, b.v, positions, blockTables, tableOffsets, Int64(n), Int32(kvDim), bs)
                var args = ck_attention_args(
                    q: b.q, out: b.attn, k_cache: keys, v_cache: values, kv_f16: f16,
                    positions: positions, block_tables: blockTables, table_offsets: tableOffsets,
                    n_rows: Int64(n), n_heads: Int32(c.headCount), n_kv_heads: Int32(c.headCountKV),
                    head_dim: Int32(c.headDim), block_size: bs, scale: 1 / Float(c.headDim).squareRoot(),
                    scratch: b.scores, scratch_per_thread: Int64(b.scratchPerThread))
                ck_attention(pool, &args)
                layer.wo.apply(pool: pool, x: b.attn, rows: n, y: b.q)
                ck_add(b.x, b.q, Int64(n * e))

                // Feed-forward block (SwiGLU).
                ck_rmsnorm(b.x, layer.ffnNorm, b.xn, Int64(n), Int64(e), c.rmsNormEpsilon)
                PackedMatrix.apply(layer.gateUp, pool: pool, x: b.xn, rows: n, ys: b.gateUpOutputs)
                ck_silu_mul(b.gate, b.up, Int64(n * f))
                layer.down.apply(pool: pool, x: b.gate, rows: n, y: b.xn)
                ck_add(b.x, b.xn, Int64(n * e))
            }
        }
        }
        }

        // Logits only for the rows that sample.
        guard logitCount > 0 else { return }
        for (i, r) in logitRowSources.enumerated() {
            (b.logitInput + i * e).update(from: b.x + r * e, count: e)
        }
        ck_rmsnorm(b.logitInput, w.outputNorm, b.logitInput, Int64(logitCount), Int64(e), c.rmsNormEpsilon)
        w.output.apply(pool: pool, x: b.logitInput, rows: logitCount, y: b.logits)
    }
}
