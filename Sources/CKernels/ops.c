// Forward-pass operations other than the weight matmuls. See ck_ops.h.
#include "ck_ops.h"
#include "CKernels.h"
#include "ggml_math.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>




void ck_rmsnorm(const float *x, const float *weight, float *y, int64_t n_rows, int64_t n, float eps) {
    for (int64_t r = 0; r < n_rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        // As ggml's rms_norm: float squares summed in double, the mean
        // rounded to float, so the result is bit-identical to llama.cpp's.
        double ss = 0.0;
        for (int64_t i = 0; i < n; i++) {
            ss += (double)(xr[i] * xr[i]);
        }
        const float mean = (float)(ss / (double)n);
        const float scale = 1.0f / sqrtf(mean + eps);
        for (int64_t i = 0; i < n; i++) yr[i] = xr[i] * scale * weight[i];
    }
}

void ck_rope(float *x, const int32_t *positions, int64_t n_rows, int n_heads, int head_dim, int n_rot,
             float freq_base) {
    // theta_i = pos * base^(-2i/n_rot), computed as ggml's rope cache does
    // (float powf, then theta *= theta_scale pair by pair, cosf/sinf) and
    // rotated with the same fused multiply-adds GCC emits for ggml's
    // rotate_pairs, so Q and K are bit-identical to llama.cpp's.
    const int half = n_rot / 2;
    const float theta_scale = powf(freq_base, -2.0f / (float)n_rot);
    float cs[half > 0 ? half : 1], sn[half > 0 ? half : 1];
    for (int64_t r = 0; r < n_rows; r++) {
        float theta = (float)positions[r];
        for (int i = 0; i < half; i++) {
            cs[i] = cosf(theta);
            sn[i] = sinf(theta);
            theta *= theta_scale;
        }
        float *row = x + r * (int64_t)n_heads * head_dim;
        for (int h = 0; h < n_heads; h++) {
            float *v = row + (int64_t)h * head_dim;
            for (int i = 0; i < half; i++) {
                const float a = v[2 * i], b = v[2 * i + 1];
                const float b_sin = b * sn[i];
                const float b_cos = b * cs[i];
                v[2 * i] = fmaf(a, cs[i], -b_sin);
                v[2 * i + 1] = fmaf(a, sn[i], b_cos);
            }
        }
    }
}

// SwiGLU as ggml_vec_swiglu_f32 computes it on x86 (vec.h ggml_v_silu):
// silu(x) = x / (1 + e^-x) with ggml's polynomial e^x (ggml_math.h), times up.
// Elementwise, so any vector width gives llama.cpp's exact bits.
static void silu_mul_portable(float *gate, const float *up, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + ggml_expf_portable(0.0f - g)) * up[i];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void silu_mul_avx2(float *gate, const float *up, int64_t count) {
    typedef __m256 V;
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const V g = _mm256_loadu_ps(gate + i);
        const V x = _mm256_sub_ps(_mm256_setzero_ps(), g);
        CK_EXPF_BODY(_mm256_fmadd_ps, _mm256_mul_ps, _mm256_sub_ps, _mm256_set1_ps)
        // 2^n exactly (|n| <= 126), else ggml's saturation; scalar fallback keeps it simple.
        const V big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n), _mm256_set1_ps(126.0f), _CMP_GT_OQ);
        if (_mm256_movemask_ps(big)) {
            for (int64_t k = i; k < i + 8; k++) gate[k] = gate[k] / (1.0f + ggml_expf_portable(0.0f - gate[k])) * up[k];
            continue;
        }
        const V pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
        const V e = _mm256_mul_ps(j, pow2n);
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), _mm256_loadu_ps(up + i)));
    }
    silu_mul_portable(gate + i, up + i, count - i);
}
#endif

// Sampling weights: w[i] = e^((x[i] - shift) * scale) with ggml's polynomial
// expf (fused, so AVX2 and portable agree bit for bit), summed 8 at a time as
// ((w0+w4)+(w2+w6))+((w1+w5)+(w3+w7)) into a double: one fixed order, so a
// seeded draw picks the same token on every machine.
static inline float hsum8_fixed(const float *w) {
    return ((w[0] + w[4]) + (w[2] + w[6])) + ((w[1] + w[5]) + (w[3] + w[7]));
}

static double exp_weights_portable(const float *x, int64_t n, float shift, float scale, float *w) {
    double total = 0.0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) w[i + k] = ggml_expf_portable((x[i + k] - shift) * scale);
        total += (double)hsum8_fixed(w + i);
    }
    for (; i < n; i++) {
        w[i] = ggml_expf_portable((x[i] - shift) * scale);
        total += (double)w[i];
    }
    return total;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double exp_weights_avx2(const float *xs, int64_t count, float shift,
                                                                    float scale_f, float *w) {
    typedef __m256 V;
    double total = 0.0;
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const V x = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xs + i), _mm256_set1_ps(shift)), _mm256_set1_ps(scale_f));
        CK_EXPF_BODY(_mm256_fmadd_ps, _mm256_mul_ps, _mm256_sub_ps, _mm256_set1_ps)
        const V big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n), _mm256_set1_ps(126.0f), _CMP_GT_OQ);
        if (_mm256_movemask_ps(big)) {
            for (int k = 0; k < 8; k++) w[i + k] = ggml_expf_portable((xs[i + k] - shift) * scale_f);
        } else {
            const V pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
            _mm256_storeu_ps(w + i, _mm256_mul_ps(j, pow2n));
        }
        total += (double)hsum8_fixed(w + i);
    }
    for (; i < count; i++) {
        w[i] = ggml_expf_portable((xs[i] - shift) * scale_f);
        total += (double)w[i];
    }
    return total;
}
#endif

double ck_exp_weights(const float *x, int64_t n, float shift, float scale, float *w) {
#if defined(__x86_64__)
    if (ck_cpu_level() >= 1) return exp_weights_avx2(x, n, shift, scale, w);
#endif
    return exp_weights_portable(x, n, shift, scale, w);
}

void ck_silu_mul(float *gate, const float *up, int64_t n) {
#if defined(__x86_64__)
    if (ck_cpu_level() >= 1) {
        silu_mul_avx2(gate, up, n);
        return;
    }
#endif
    silu_mul_portable(gate, up, n);
}

void ck_add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

// MARK: KV cache

static inline _Float16 to_half(float f) { return (_Float16)f; }

static inline __attribute__((always_inline)) void kv_store(void *cache, int kv_f16, const float *src,
        const int32_t *positions, const int32_t *block_tables, const int32_t *table_offsets, int64_t n_rows, int n,
        int n_kv_heads, int block_size) {
    const int hd = n / n_kv_heads;
    for (int64_t r = 0; r < n_rows; r++) {
        const int32_t pos = positions[r];
        const int64_t block = block_tables[table_offsets[r] + pos / block_size];
        const int64_t slot = pos % block_size;
        for (int g = 0; g < n_kv_heads; g++) {
            // Head-major inside a block: [block][head][slot][head_dim].
            const int64_t off = ((block * n_kv_heads + g) * block_size + slot) * hd;
            const float *s = src + r * (int64_t)n + (int64_t)g * hd;
            if (kv_f16) {
                _Float16 *d = (_Float16 *)cache + off;
                for (int i = 0; i < hd; i++) d[i] = (_Float16)s[i];
            } else {
                memcpy((float *)cache + off, s, sizeof(float) * (size_t)hd);
            }
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c"))) static void kv_store_avx2(void *cache, int kv_f16, const float *src,
        const int32_t *positions, const int32_t *block_tables, const int32_t *table_offsets, int64_t n_rows, int n,
        int n_kv_heads, int block_size) {
    kv_store(cache, kv_f16, src, positions, block_tables, table_offsets, n_rows, n, n_kv_heads, block_size);
}
#endif

void ck_kv_store(void *cache, int kv_f16, const float *src, const int32_t *positions,
                 const int32_t *block_tables, const int32_t *table_offsets, int64_t n_rows, int n,
                 int n_kv_heads, int block_size) {
#if defined(__x86_64__)
    if (ck_cpu_level() >= 1) {
        kv_store_avx2(cache, kv_f16, src, positions, block_tables, table_offsets, n_rows, n, n_kv_heads, block_size);
        return;
    }
#endif
    kv_store(cache, kv_f16, src, positions, block_tables, table_offsets, n_rows, n, n_kv_heads, block_size);
}
