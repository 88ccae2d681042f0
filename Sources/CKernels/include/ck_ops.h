#ifndef SLUICE_CK_OPS_H
#define SLUICE_CK_OPS_H
// Elementwise and attention operations of the transformer forward pass
// (everything except the weight matmuls, which live in CKernels.h). Plain C
// loops written so the compiler vectorises them; attention fans out over the
// thread pool.
#include <stdint.h>
#include "CKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// y[r] = x[r] / rms(x[r]) * weight, for n_rows rows of n floats (RMSNorm,
/// Zhang & Sennrich 2019). x and y may alias.
void ck_rmsnorm(const float *x, const float *weight, float *y, int64_t n_rows, int64_t n, float eps);

/// Rotary position embedding, llama.cpp's "normal" mode (LLAMA_ROPE_TYPE_NORM):
/// inside each head, adjacent pairs (2i, 2i+1) for i < n_rot/2 are rotated by
/// pos * base^(-2i/n_rot). x is [n_rows][n_heads * head_dim], positions[r] is
/// row r's position. In place.
void ck_rope(float *x, const int32_t *positions, int64_t n_rows, int n_heads, int head_dim, int n_rot,
             float freq_base);

/// SwiGLU: gate[i] = silu(gate[i]) * up[i] for n floats. In place on gate.
void ck_silu_mul(float *gate, const float *up, int64_t n);

/// Sampling weights w[i] = e^((x[i] - shift) * scale) (x[i] <= shift; -inf gives 0) with
/// ggml's polynomial expf, returning their sum in a fixed order (same on every CPU).
double ck_exp_weights(const float *x, int64_t n, float shift, float scale, float *w);

/// y[i] += x[i] for n floats.
void ck_add(float *y, const float *x, int64_t n);

/// Arguments of paged causal attention for a batch of rows (tokens).
/// The KV cache of one layer is [n_blocks][n_kv_heads][block_size][head_dim]
/// for K and V separately: head-major inside a block, so one head's keys of
/// a block are one contiguous run (block_size * head_dim values). Row r belongs to a sequence whose block table is
/// block_tables[table_offsets[r] ...]; it attends to positions 0...positions[r]
/// of that sequence (its own K/V must already be written).
typedef struct {
    const float *q;            // [n_rows][n_heads * head_dim]
    float *out;                // [n_rows][n_heads * head_dim]
    const void *k_cache;       // layer base, f32 or f16 (kv_f16)
    const void *v_cache;
    int kv_f16;                // 1 if the cache stores IEEE half floats
    const int32_t *positions;  // [n_rows]
    const int32_t *block_tables;
    const int32_t *table_offsets;  // [n_rows]
    int64_t n_rows;
    int n_heads;
    int n_kv_heads;
    int head_dim;
    int block_size;
    float scale;               // 1/sqrt(head_dim)
    float *scratch;            // n_threads * scratch_per_thread floats
    int64_t scratch_per_thread;  // >= (n_heads / n_kv_heads) * (max position + 1)
} ck_attention_args;

/// Runs attention for all rows and heads, split over the pool by (row, KV head)
/// so each thread reads one head's K/V once for all query heads sharing it.
void ck_attention(ck_pool *pool, const ck_attention_args *args);

/// Stores n_rows rows of width n = n_kv_heads * head_dim (f32) into a cache
/// laid out as in ck_attention_args: row r goes to block
/// block_tables[table_offsets[r] + positions[r] / block_size], slot
/// positions[r] % block_size, each head to its own run inside the block.
void ck_kv_store(void *cache, int kv_f16, const float *src, const int32_t *positions,
                 const int32_t *block_tables, const int32_t *table_offsets, int64_t n_rows, int n,
                 int n_kv_heads, int block_size);

#ifdef __cplusplus
}
#endif
#endif
