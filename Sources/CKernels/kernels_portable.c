// Portable C kernels: activation quantization and the dot products of every
// weight type against 8-bit (quantized types) or f32 (float types) activations.
// They define the results the SIMD paths are tested against.
#include "ck_internal.h"
#include <math.h>

void ck_quantize_row_q8_portable(const float *x, ck_block_q8 *dst, int64_t n) {
    const int llama = ck_q8_llama_rounding();
    for (int64_t b = 0; b < n / CK_QK; b++) {
        const float *v = x + b * CK_QK;
        float amax = 0.0f;
        for (int j = 0; j < CK_QK; j++) amax = fmaxf(amax, fabsf(v[j]));
        // As ggml's x86 quantize_row_q8_0/q8_1: the f32 d = amax/127 scales
        // (id = 127/amax) and the stored d is rounded to f16.
        float d = amax / 127.0f;
        float id = amax == 0.0f ? 0.0f : llama ? 127.0f / amax : 1.0f / d;
        int sum = 0;
        for (int j = 0; j < CK_QK; j++) {
            int q = (int)nearbyintf(v[j] * id);
            dst[b].q[j] = (int8_t)q;
            sum += q;
        }
        // s stays exactly d * sum(q) with the stored d: the packed Q4_0/Q8_0
        // kernels use it to undo their unsigned offset, which must cancel.
        dst[b].d = llama ? ck_round_f16(d) : d;
        dst[b].s = dst[b].d * (float)sum;
        dst[b].s_q8_1 = llama ? ck_round_f16(d * (float)sum) : dst[b].s;
    }
}

// MARK: 32-element block types

static float dot_q4_0(int64_t n, const void *w, const ck_block_q8 *a) {
    const uint8_t *p = (const uint8_t *)w;
    float acc = 0.0f;
    for (int64_t b = 0; b < n / CK_QK; b++, p += CK_Q4_0_BYTES) {
        const uint8_t *qs = p + 2;
        int isum = 0;
        for (int j = 0; j < 16; j++) {
            isum += ((qs[j] & 15) - 8) * a[b].q[j] + ((qs[j] >> 4) - 8) * a[b].q[j + 16];
        }
        acc += ck_read_f16(p) * a[b].d * (float)isum;
    }
    return acc;
}

static float dot_q4_1(int64_t n, const void *w, const ck_block_q8 *a) {
    const uint8_t *p = (const uint8_t *)w;
    float acc = 0.0f;
    for (int64_t b = 0; b < n / CK_QK; b++, p += CK_Q4_1_BYTES) {
        const uint8_t *qs = p + 4;
        int isum = 0;
        for (int j = 0; j < 16; j++) isum += (qs[j] & 15) * a[b].q[j] + (qs[j] >> 4) * a[b].q[j + 16];
        // sum (d*q + m) * da*qa = d*da*isum + m*(da*sum qa)
        acc += ck_read_f16(p) * a[b].d * (float)isum + ck_read_f16(p + 2) * a[b].s_q8_1;
    }
    return acc;
}

static float dot_q8_0(int64_t n, const void *w, const ck_block_q8 *a) {
    const uint8_t *p = (const uint8_t *)w;
    float acc = 0.0f;
    for (int64_t b = 0; b < n / CK_QK; b++, p += CK_Q8_0_BYTES) {
        const int8_t *qs = (const int8_t *)(p + 2);
        int isum = 0;
        for (int j = 0; j < 32; j++) isum += qs[j] * a[b].q[j];
        acc += ck_read_f16(p) * a[b].d * (float)isum;
    }
    return acc;
}

// MARK: K-quants (256-element super-blocks = 8 activation blocks)

/// Integer dot of 16 weights with 16 activations.
static inline int idot16(const int8_t *q, const int8_t *a) {
    int s = 0;
    for (int j = 0; j < 16; j++) s += q[j] * a[j];
    return s;
}

// Q4_K and Q5_K: sub-block j covers activation block j; value = d*sc*q - dmin*m.
static float dot_q45_k(int64_t n, const void *w, const ck_block_q8 *a, int five_bit) {
    const uint8_t *p = (const uint8_t *)w;
    int64_t bytes = five_bit ? CK_Q5_K_BYTES : CK_Q4_K_BYTES;
    float acc = 0.0f;
    for (int64_t sb = 0; sb < n / CK_QK_K; sb++, p += bytes, a += 8) {
        float d = ck_read_f16(p), dmin = ck_read_f16(p + 2);
        const uint8_t *scales = p + 4;
        const uint8_t *qh = p + 16;
        const uint8_t *qs = p + (five_bit ? 48 : 16);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, mn;
            ck_scale_min_k4(j, scales, &sc, &mn);
            int8_t q[32];
            for (int l = 0; l < 32; l++) {
                uint8_t byte = qs[32 * (j / 2) + l];
                int v = (j & 1) ? (byte >> 4) : (byte & 15);
                if (five_bit) v |= ((qh[l] >> j) & 1) << 4;
                q[l] = (int8_t)v;
            }
            int isum = idot16(q, a[j].q) + idot16(q + 16, a[j].q + 16);
            acc += d * (float)sc * a[j].d * (float)isum - dmin * (float)mn * a[j].s;
        }
    }
    return acc;
}

static float dot_q4_k(int64_t n, const void *w, const ck_block_q8 *a) { return dot_q45_k(n, w, a, 0); }
static float dot_q5_k(int64_t n, const void *w, const ck_block_q8 *a) { return dot_q45_k(n, w, a, 1); }

// Q6_K: activation block 4h+s holds elements 128h+32s..; its two halves of 16
// have scales scales[8h+2s] and scales[8h+2s+1].
static float dot_q6_k(int64_t n, const void *w, const ck_block_q8 *a) {
    const uint8_t *p = (const uint8_t *)w;
    float acc = 0.0f;
    for (int64_t sb = 0; sb < n / CK_QK_K; sb++, p += CK_Q6_K_BYTES, a += 8) {
        const uint8_t *ql = p, *qh = p + 128;
        const int8_t *scales = (const int8_t *)(p + 192);
        float d = ck_read_f16(p + 208);
        for (int h = 0; h < 2; h++) {
            for (int s = 0; s < 4; s++) {
                int8_t q[32];
                for (int l = 0; l < 32; l++) {
                    uint8_t byte = ql[64 * h + l + 32 * (s & 1)];
                    int lo4 = (s < 2) ? (byte & 15) : (byte >> 4);
                    q[l] = (int8_t)((lo4 | (((qh[32 * h + l] >> (2 * s)) & 3) << 4)) - 32);
                }
                const ck_block_q8 *ab = &a[4 * h + s];
                int i0 = idot16(q, ab->q), i1 = idot16(q + 16, ab->q + 16);
                int isum = scales[8 * h + 2 * s] * i0 + scales[8 * h + 2 * s + 1] * i1;
                acc += d * ab->d * (float)isum;
            }
        }
    }
    return acc;
}

ck_dot_q8_fn ck_dot_q8_portable(int wtype) {
    switch (wtype) {
    case CK_TYPE_Q4_0: return dot_q4_0;
    case CK_TYPE_Q4_1: return dot_q4_1;
    case CK_TYPE_Q8_0: return dot_q8_0;
    case CK_TYPE_Q4_K: return dot_q4_k;
    case CK_TYPE_Q5_K: return dot_q5_k;
    case CK_TYPE_Q6_K: return dot_q6_k;
    default: return NULL;
    }
}

// MARK: Float weights

static float dot_f32(int64_t n, const void *w, const float *x) {
    const float *v = (const float *)w;
    float acc[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) acc[k] += v[i + k] * x[i + k];
    for (; i < n; i++) acc[0] += v[i] * x[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static float dot_f16(int64_t n, const void *w, const float *x) {
    const uint8_t *p = (const uint8_t *)w;
    float acc = 0.0f;
    for (int64_t i = 0; i < n; i++) acc += ck_read_f16(p + 2 * i) * x[i];
    return acc;
}

static float dot_bf16(int64_t n, const void *w, const float *x) {
    const uint8_t *p = (const uint8_t *)w;
    float acc = 0.0f;
    for (int64_t i = 0; i < n; i++) acc += ck_bf16_to_f32(ck_read_u16(p + 2 * i)) * x[i];
    return acc;
}

ck_dot_f32_fn ck_dot_f32_portable(int wtype) {
    switch (wtype) {
    case CK_TYPE_F32: return dot_f32;
    case CK_TYPE_F16: return dot_f16;
    case CK_TYPE_BF16: return dot_bf16;
    default: return NULL;
    }
}
