// AVX2 raw-row dot products for the K-quants (Q4_K, Q5_K, Q6_K) against 8-bit
// activation blocks (32 per block, so a 256-element super-block spans 8).
// Layouts in ck_internal.h; arithmetic as in kernels_portable.c.
#include "ck_internal.h"
#if CK_X86 && CK_HAVE_SIMD
#include <immintrin.h>

#define CK_T2 __attribute__((target("avx2,fma,f16c")))
#define CK_INLINE static inline __attribute__((always_inline))

CK_INLINE CK_T2 float f16_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

CK_INLINE CK_T2 float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// u8 (0..31) x s8 products summed in groups of 4 -> 8 int32 lanes.
CK_INLINE CK_T2 __m256i dot_u8_s8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Q4_K / Q5_K: chunk c of 32 bytes holds sub-block 2c (low nibbles) and 2c+1
// (high); Q5_K's fifth bit of element l of sub-block j is bit j of qh[l].
CK_INLINE CK_T2 float dot_q45_k(int64_t n, const uint8_t *p, const ck_block_q8 *a, const int FIVE) {
    const int64_t bytes = FIVE ? CK_Q5_K_BYTES : CK_Q4_K_BYTES;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t sb = 0; sb < n / CK_QK_K; sb++, p += bytes, a += 8) {
        float d = f16_at(p), dmin = f16_at(p + 2);
        const uint8_t *scales = p + 4;
        const uint8_t *qs = p + (FIVE ? 48 : 16);
        __m256i qh = FIVE ? _mm256_loadu_si256((const __m256i *)(p + 16)) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i q[2] = {_mm256_and_si256(v, low4), _mm256_and_si256(_mm256_srli_epi16(v, 4), low4)};
            for (int k = 0; k < 2; k++) {
                int j = 2 * c + k;
                if (FIVE) {
                    __m256i bit = _mm256_set1_epi8((char)(1 << j));
                    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit);
                    q[k] = _mm256_or_si256(q[k], _mm256_and_si256(set, _mm256_set1_epi8(16)));
                }
                uint8_t sc, mn;
                ck_scale_min_k4(j, scales, &sc, &mn);
                __m256i s = dot_u8_s8(q[k], _mm256_loadu_si256((const __m256i *)a[j].q));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * (float)sc * a[j].d), acc);
                mins += dmin * (float)mn * a[j].s;
            }
        }
    }
    return hsum8(acc) - mins;
}

static CK_T2 float dot_q4_k(int64_t n, const void *w, const ck_block_q8 *a) { return dot_q45_k(n, w, a, 0); }
static CK_T2 float dot_q5_k(int64_t n, const void *w, const ck_block_q8 *a) { return dot_q45_k(n, w, a, 1); }

// Q6_K: activation block 4h+s covers elements 128h+32s..+31; its quants are
// the low (s < 2) or high nibble of ql[64h + 32(s&1) + l] with bits 2s..2s+1 of
// qh[32h + l] above them, minus 32; scales[8h+2s] for l < 16, [8h+2s+1] after.
static CK_T2 float dot_q6_k(int64_t n, const void *w, const ck_block_q8 *a) {
    const uint8_t *p = (const uint8_t *)w;
    const __m256i low4 = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3), off = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < n / CK_QK_K; sb++, p += CK_Q6_K_BYTES, a += 8) {
        const int8_t *scales = (const int8_t *)(p + 192);
        float d = f16_at(p + 208);
        for (int h = 0; h < 2; h++) {
            __m256i ql0 = _mm256_loadu_si256((const __m256i *)(p + 64 * h));
            __m256i ql1 = _mm256_loadu_si256((const __m256i *)(p + 64 * h + 32));
            __m256i qh = _mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h));
            for (int s = 0; s < 4; s++) {
                __m256i ql = (s & 1) ? ql1 : ql0;
                __m256i lo4 = s < 2 ? _mm256_and_si256(ql, low4) : _mm256_and_si256(_mm256_srli_epi16(ql, 4), low4);
                __m256i hi2 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * s), three);
                __m256i q = _mm256_sub_epi8(_mm256_or_si256(lo4, _mm256_slli_epi16(hi2, 4)), off);  // -32..31
                const ck_block_q8 *ab = &a[4 * h + s];
                __m256i av = _mm256_loadu_si256((const __m256i *)ab->q);
                __m256i prod = dot_u8_s8(_mm256_sign_epi8(q, q), _mm256_sign_epi8(av, q));  // lanes 0-3: l < 16
                int s0 = scales[8 * h + 2 * s], s1 = scales[8 * h + 2 * s + 1];
                prod = _mm256_mullo_epi32(prod, _mm256_setr_epi32(s0, s0, s0, s0, s1, s1, s1, s1));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), _mm256_set1_ps(d * ab->d), acc);
            }
        }
    }
    return hsum8(acc);
}

ck_dot_q8_fn ck_dot_q8_avx2_kquant(int wtype) {
    switch (wtype) {
    case CK_TYPE_Q4_K: return dot_q4_k;
    case CK_TYPE_Q5_K: return dot_q5_k;
    case CK_TYPE_Q6_K: return dot_q6_k;
    default: return NULL;
    }
}
#endif
