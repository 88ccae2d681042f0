#ifndef SLUICE_CKERNELS_H
#define SLUICE_CKERNELS_H
// SIMD kernels for the inference engine: GGUF block dequantization, quantized
// matmul with 8-bit activations, a persistent thread pool, and runtime CPU
// dispatch (AVX-512 VNNI / AVX-512BW, AVX2, portable C). See README.md next to
// the sources for the block layouts and the packed weight format.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// GGML tensor type ids as stored in GGUF (`ggml_type`).
enum {
    CK_TYPE_F32 = 0,
    CK_TYPE_F16 = 1,
    CK_TYPE_Q4_0 = 2,
    CK_TYPE_Q4_1 = 3,
    CK_TYPE_Q8_0 = 8,
    CK_TYPE_Q4_K = 12,
    CK_TYPE_Q5_K = 13,
    CK_TYPE_Q6_K = 14,
    CK_TYPE_BF16 = 30,
};

// MARK: Thread pool

/// Persistent workers (n_threads - 1 of them; the caller is thread 0). Idle
/// workers spin briefly, then park on a condition variable.
typedef struct ck_pool ck_pool;
/// n_threads <= 0 means one thread per online CPU. Returns NULL on failure.
ck_pool *ck_pool_create(int n_threads);
void ck_pool_destroy(ck_pool *pool);
int ck_pool_size(const ck_pool *pool);
/// Runs fn(ctx, ith, nth) for ith in 0..<nth on all pool threads, the caller
/// participating as ith 0; returns when every thread is done. pool may be NULL
/// (runs fn(ctx, 0, 1) inline). A call made while the pool is busy (from inside
/// fn, or from another thread at the same time) also runs fn(ctx, 0, 1) inline.
void ck_pool_run(ck_pool *pool, void (*fn)(void *ctx, int ith, int nth), void *ctx);
/// For work that fn claims itself (e.g. chunks taken from an atomic counter):
/// fn runs on the caller and on each worker that is ready before the caller's
/// own call returns; then the run closes and this returns once the workers
/// already inside fn are done. A descheduled or parked worker is never waited
/// for. ith is unique per call but not every ith in 0..<nth necessarily runs.
void ck_pool_run_dynamic(ck_pool *pool, void (*fn)(void *ctx, int ith, int nth), void *ctx);

// MARK: Types and dequantization

/// 1 if the type id is one of the CK_TYPE_* above.
int ck_type_supported(int wtype);
/// Elements per block (1 for F32/F16/BF16, 32 for Q4_0/Q4_1/Q8_0, 256 for K-quants); 0 if unsupported.
int64_t ck_type_block_size(int wtype);
/// Bytes per block; 0 if unsupported.
int64_t ck_type_block_bytes(int wtype);
/// Dequantizes n elements (a multiple of the block size) from GGUF layout.
void ck_dequantize_row(int wtype, const void *src, float *dst, int64_t n);

// MARK: Matmul on raw GGUF layout

/// y[r*n_out + o] = sum_i W[o,i] * x[r*n_in + i] for r in 0..<n_rows.
/// W is row-major [n_out][n_in] in the GGUF layout of wtype (n_in a multiple of
/// the block size). Quantized types quantize x to 8-bit blocks and use integer
/// dot products; float types use f32 FMA. Each weight row is read once for all
/// rows of x; threads claim chunks of n_out. pool may be NULL (single thread).
/// Correct for every type but slower than ck_matmul_packed: prefer packing
/// Q4_0/Q4_1/Q8_0 matrices at load.
void ck_matmul(ck_pool *pool, int wtype, const void *w, int64_t n_out, int64_t n_in,
               const float *x, int64_t n_rows, float *y);

// MARK: Packed weights (faster layout, built once at load)

/// A weight matrix converted at load into an interleaved layout (16 output
/// columns side by side per 32-element block) that the AVX-512/AVX2 kernels
/// stream without shuffles. Owns its memory; the source may be unmapped after.
typedef struct ck_weights ck_weights;
/// Copies/repacks W [n_out][n_in] of wtype. Every supported type is accepted
/// (types without a packed layout keep a private copy in GGUF layout and use
/// the ck_matmul path). Returns NULL on allocation failure or bad arguments.
ck_weights *ck_weights_create(int wtype, const void *w, int64_t n_out, int64_t n_in);
void ck_weights_destroy(ck_weights *weights);
int64_t ck_weights_n_out(const ck_weights *weights);
int64_t ck_weights_n_in(const ck_weights *weights);
/// Bytes held by the packed copy.
int64_t ck_weights_bytes(const ck_weights *weights);
/// Same contract as ck_matmul, for packed weights. Results are bit-identical
/// whatever the thread count and whichever other rows share the call (each
/// row's arithmetic is the same in every row tile), so batching never changes
/// a sequence's output.
void ck_matmul_packed(ck_pool *pool, const ck_weights *weights, const float *x, int64_t n_rows, float *y);

#define CK_MATMUL_MANY_MAX 8
/// Several matrices applied to the same x (e.g. Q, K and V; or gate and up):
/// ys[i][r*n_out_i + o] = sum_k W_i[o,k] * x[r*n_in + k]. All weights[i] must
/// share n_in. x is quantized once and the threads share one pool run over
/// all matrices' columns (per CK_MATMUL_MANY_MAX matrices).
void ck_matmul_packed_many(ck_pool *pool, int count, const ck_weights *const *weights, const float *x,
                           int64_t n_rows, float *const *ys);

// MARK: Numerics

/// 1 (default): every operation rounds as llama.cpp's CPU backend does, so
/// logits are bit-identical to llama.cpp's for Q4_0/Q4_1/Q8_0 models
/// (README.md, "llama.cpp-identical rounding"). 0: the faster kernels with
/// their own rounding (one float conversion and two FMAs per weight block
/// instead of eight of each; two-pass f32 softmax over the f16 cache).
/// Process-wide; set it before running a model.
void ck_set_llama_numerics(int enabled);
int ck_llama_numerics(void);

// MARK: CPU dispatch

/// Which instruction set the dispatcher uses: 2 = AVX-512BW (VNNI used when
/// present), 1 = AVX2+FMA+F16C, 0 = portable C. Honors ck_force_cpu_level.
int ck_cpu_level(void);
/// Detected level, ignoring any forcing.
int ck_cpu_level_detected(void);
/// For tests and benchmarks: cap the level used by calls made from the calling
/// thread (clamped to what the CPU has); -1 restores automatic detection.
void ck_force_cpu_level(int level);
/// 1 if AVX-512 VNNI (vpdpbusd) is present (used at level 2 unless disabled).
int ck_cpu_has_vnni(void);
/// 1 if AVX-VNNI (256-bit vpdpbusd, e.g. Alder Lake) is present: used by the
/// packed kernels at level 1 unless disabled.
int ck_cpu_has_avx_vnni(void);
/// For tests and benchmarks (calling thread only): 0 makes level 2 use the
/// AVX-512BW path without VNNI (as on Skylake-X) and level 1 the AVX2
/// vpmaddubsw path; 1 restores VNNI where present.
void ck_force_vnni(int enabled);

// MARK: Activation quantization (exposed for tests)

/// One block of 32 activations quantized to int8: x[i] ~= d * q[i];
/// s = d * sum(q) (used by weight types with an offset/min term).
/// s_q8_1 is ggml's block_q8_1 sum, fp16(d_f32 * sum(q)) with the unrounded
/// scale, used only for Q4_1's min term so Q4_1 rounds as llama.cpp does;
/// the implied offsets (Q4_0's -8d, packed Q8_0's +128) need the exact s.
typedef struct {
    float d;
    float s;
    int8_t q[32];
    float s_q8_1;
} ck_block_q8;

/// Quantizes n floats (multiple of 32) into n/32 blocks (round to nearest, |q| <= 127).
void ck_quantize_row_q8(const float *x, ck_block_q8 *dst, int64_t n);

#ifdef __cplusplus
}
#endif

// This file is the target's umbrella header, so other public headers of the
// target reach Swift only through it: the engine's element-wise ops.
#if defined(__has_include)
#if __has_include("ck_ops.h")
#include "ck_ops.h"
#endif
#endif

#endif
