#ifndef SLUICE_CK_INTERNAL_H
#define SLUICE_CK_INTERNAL_H
// Internal declarations shared by the kernel translation units.
#include "CKernels.h"
#include <string.h>

// CK_FORCE_PORTABLE builds without any x86 code, as on other architectures
// (used to check that build: scripts/kernels/check_portable_build.sh).
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(CK_FORCE_PORTABLE)
#define CK_X86 1
#else
#define CK_X86 0
#endif

// MARK: GGUF block layouts (ggml-common.h; little-endian, packed, no padding)
// Q4_0: {f16 d; u8 qs[16]}            x[j] = d*((qs[j]&15)-8), x[j+16] = d*((qs[j]>>4)-8)
// Q4_1: {f16 d; f16 m; u8 qs[16]}     x[j] = d*(qs[j]&15)+m,  x[j+16] = d*(qs[j]>>4)+m
// Q8_0: {f16 d; i8 qs[32]}            x[j] = d*qs[j]
// Q4_K: {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}            (256 elements, 8 sub-blocks of 32, 6-bit scale/min)
// Q5_K: {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]} (as Q4_K plus a 5th bit per element)
// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}          (16 sub-blocks of 16, x = d*sc*(q-32))
#define CK_QK 32
#define CK_QK_K 256
#define CK_Q4_0_BYTES 18
#define CK_Q4_1_BYTES 20
#define CK_Q8_0_BYTES 34
#define CK_Q4_K_BYTES 144
#define CK_Q5_K_BYTES 176
#define CK_Q6_K_BYTES 210

static inline uint16_t ck_read_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/// IEEE binary16 -> binary32, exact for every input (subnormals, inf, NaN).
static inline float ck_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        // Subnormal: normalise the mantissa.
        int e = -1;
        do { man <<= 1; e++; } while ((man & 0x400) == 0);
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// Rounds to the nearest binary16 (ties to even, like ggml's FP32_TO_FP16)
/// and back: the scales of 8-bit activation blocks are stored as f16 in
/// ggml's block_q8_0/q8_1, which moves llama.cpp's logits by up to ~0.1 nats.
static inline float ck_round_f16(float f) { return (float)(_Float16)f; }

/// With llama.cpp numerics (ck_llama_numerics, the default) 8-bit activation
/// blocks round as ggml's (f16 d and s, id = 127/amax); else f32 scales.
int ck_q8_llama_rounding(void);

static inline float ck_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float ck_read_f16(const uint8_t *p) { return ck_f16_to_f32(ck_read_u16(p)); }

/// K-quant 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes
/// (ggml `get_scale_min_k4`): j < 4 use the low 6 bits of bytes j and j+4;
/// j >= 4 combine a nibble of byte j+4 with the top 2 bits of bytes j-4 / j.
static inline void ck_scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *mn) {
    if (j < 4) {
        *sc = q[j] & 63;
        *mn = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
        *mn = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// MARK: Dispatch tables

/// Dot product of one quantized weight row (n elements, GGUF layout) with one
/// row of quantized activations (n/32 blocks).
typedef float (*ck_dot_q8_fn)(int64_t n, const void *w, const ck_block_q8 *a);
/// Dot product of one float-typed weight row with f32 activations.
typedef float (*ck_dot_f32_fn)(int64_t n, const void *w, const float *x);
typedef void (*ck_quantize_q8_fn)(const float *x, ck_block_q8 *dst, int64_t n);

/// Per-level function for a weight type (NULL = not specialised at that level).
ck_dot_q8_fn ck_dot_q8_portable(int wtype);
ck_dot_f32_fn ck_dot_f32_portable(int wtype);
void ck_quantize_row_q8_portable(const float *x, ck_block_q8 *dst, int64_t n);
// SIMD paths need per-function target attributes (GCC/Clang on x86-64).
#if CK_X86 && (defined(__GNUC__) || defined(__clang__))
#define CK_HAVE_SIMD 1
#else
#define CK_HAVE_SIMD 0
#endif
#if CK_X86 && CK_HAVE_SIMD
ck_dot_q8_fn ck_dot_q8_avx2(int wtype);
ck_dot_q8_fn ck_dot_q8_avx2_kquant(int wtype);
ck_dot_f32_fn ck_dot_f32_avx2(int wtype);
void ck_quantize_row_q8_avx2(const float *x, ck_block_q8 *dst, int64_t n);
#endif

ck_dot_q8_fn ck_select_dot_q8(int wtype);
ck_dot_f32_fn ck_select_dot_f32(int wtype);
ck_quantize_q8_fn ck_select_quantize_q8(void);
/// 1 if VNNI should be used now (detected and not disabled for tests).
int ck_use_vnni(void);

static inline int ck_type_is_float(int wtype) {
    return wtype == CK_TYPE_F32 || wtype == CK_TYPE_F16 || wtype == CK_TYPE_BF16;
}

/// Quantizes x [n_rows][n_in] into the calling thread's scratch (on the pool
/// for big batches); NULL if the scratch cannot grow.
ck_block_q8 *ck_quantize_activations(ck_pool *pool, const float *x, int64_t n_rows, int64_t n_in);

/// Thread-local scratch that grows as needed (never shrinks); 64-byte aligned.
void *ck_scratch(size_t bytes);


#endif
