// AVX2 + FMA + F16C kernels: activation quantization, raw GGUF-row dot
// products (Q4_0, Q4_1, Q8_0, F32, F16, BF16; also used at the AVX-512 level)
// and the packed x16 kernel for CPUs without AVX-512. Integer products use
// vpmaddubsw (u8 x s8 -> s16 pairs) then vpmaddwd with ones (-> s32).
#include "packed.h"
#if CK_X86 && CK_HAVE_SIMD
#include <immintrin.h>
#include <math.h>

#define CK_T2 __attribute__((target("avx2,fma,f16c")))
#define CK_INLINE static inline __attribute__((always_inline))

CK_INLINE CK_T2 float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_INLINE CK_T2 int hsum8i(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// Same arithmetic as the portable quantizer (amax/127, multiply by the
// reciprocal, round half to even), so both produce identical blocks.
CK_T2 void ck_quantize_row_q8_avx2(const float *x, ck_block_q8 *dst, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const int llama = ck_q8_llama_rounding();
    for (int64_t b = 0; b < n / CK_QK; b++) {
        const float *v = x + b * CK_QK;
        __m256 x0 = _mm256_loadu_ps(v), x1 = _mm256_loadu_ps(v + 8), x2 = _mm256_loadu_ps(v + 16), x3 = _mm256_loadu_ps(v + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, x0), _mm256_andnot_ps(sign, x1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, x2), _mm256_andnot_ps(sign, x3)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float amax = _mm_cvtss_f32(m4);
        float d = amax / 127.0f;
        float id = amax == 0.0f ? 0.0f : llama ? 127.0f / amax : 1.0f / d;
        __m256 vid = _mm256_set1_ps(id);
#define rnd (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(x0, vid), rnd));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(x1, vid), rnd));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(x2, vid), rnd));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(x3, vid), rnd));
        int sum = hsum8i(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
#undef rnd
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)dst[b].q, p);
        // s stays exactly d * sum(q) with the stored d: the packed Q4_0/Q8_0
        // kernels use it to undo their unsigned offset, which must cancel.
        dst[b].d = llama ? ck_round_f16(d) : d;
        dst[b].s = dst[b].d * (float)sum;
        dst[b].s_q8_1 = llama ? ck_round_f16(d * (float)sum) : dst[b].s;
    }
}

// MARK: Raw GGUF rows

/// F16C conversion of a little-endian f16 (the portable one branches).
CK_INLINE CK_T2 float f16_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// 32 nibbles of a Q4 block in element order: low nibbles (0..15) then high (16..31).
CK_INLINE CK_T2 __m256i unpack_q4(const uint8_t *qs) {
    __m128i t = _mm_loadu_si128((const __m128i *)qs);
    __m256i v = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0f));
}

CK_INLINE CK_T2 __m256i dot_u8_s8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

CK_INLINE CK_T2 float dot_q4(int64_t n, const uint8_t *p, const ck_block_q8 *a, const int BYTES, const int HAS_M) {
    __m256 acc = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int64_t b = 0; b < n / CK_QK; b++, p += BYTES) {
        float d = f16_at(p);
        __m256i q = unpack_q4(p + (HAS_M ? 4 : 2));
        __m256i s = dot_u8_s8(q, _mm256_loadu_si256((const __m256i *)a[b].q));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * a[b].d), acc);
        // (q - 8) for Q4_0; d*q + m for Q4_1: the offset times sum(a) = s/d_a.
        offset += HAS_M ? f16_at(p + 2) * a[b].s_q8_1 : -8.0f * d * a[b].s;
    }
    return hsum8(acc) + offset;
}

static CK_T2 float dot_q4_0(int64_t n, const void *w, const ck_block_q8 *a) { return dot_q4(n, w, a, CK_Q4_0_BYTES, 0); }
static CK_T2 float dot_q4_1(int64_t n, const void *w, const ck_block_q8 *a) { return dot_q4(n, w, a, CK_Q4_1_BYTES, 1); }

static CK_T2 float dot_q8_0(int64_t n, const void *w, const ck_block_q8 *a) {
    const uint8_t *p = (const uint8_t *)w;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / CK_QK; b++, p += CK_Q8_0_BYTES) {
        __m256i q = _mm256_loadu_si256((const __m256i *)(p + 2));
        __m256i av = _mm256_loadu_si256((const __m256i *)a[b].q);
        // |w| * (a with w's sign): unsigned x signed as vpmaddubsw needs.
        __m256i s = dot_u8_s8(_mm256_sign_epi8(q, q), _mm256_sign_epi8(av, q));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(f16_at(p) * a[b].d), acc);
    }
    return hsum8(acc);
}

ck_dot_q8_fn ck_dot_q8_avx2(int wtype) {
    switch (wtype) {
    case CK_TYPE_Q4_0: return dot_q4_0;
    case CK_TYPE_Q4_1: return dot_q4_1;
    case CK_TYPE_Q8_0: return dot_q8_0;
    default: return ck_dot_q8_avx2_kquant(wtype);
    }
}

static CK_T2 float dot_f32(int64_t n, const void *w, const float *x) {
    const float *v = (const float *)w;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(v + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; i++) s += v[i] * x[i];
    return s;
}

static CK_T2 float dot_f16(int64_t n, const void *w, const float *x) {
    const uint16_t *v = (const uint16_t *)w;
    __m256 a0 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i))), _mm256_loadu_ps(x + i), a0);
    float s = hsum8(a0);
    for (; i < n; i++) s += ck_f16_to_f32(v[i]) * x[i];
    return s;
}

static CK_T2 float dot_bf16(int64_t n, const void *w, const float *x) {
    const uint16_t *v = (const uint16_t *)w;
    __m256 a0 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i b = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(v + i))), 16);
        a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(b), _mm256_loadu_ps(x + i), a0);
    }
    float s = hsum8(a0);
    for (; i < n; i++) s += ck_bf16_to_f32(v[i]) * x[i];
    return s;
}

ck_dot_f32_fn ck_dot_f32_avx2(int wtype) {
    switch (wtype) {
    case CK_TYPE_F32: return dot_f32;
    case CK_TYPE_F16: return dot_f16;
    case CK_TYPE_BF16: return dot_bf16;
    default: return NULL;
    }
}

// MARK: Packed x16 kernels: one copy with vpmaddubsw, one with AVX-VNNI
// (vpdpbusd on ymm: Alder Lake and later clients without AVX-512).

#define CK_PH_SUFFIX maddubs
#define CK_PH_TARGET CK_T2
#define CK_PH_VNNI 0
#include "packed_avx2_body.h"
#undef CK_PH_SUFFIX
#undef CK_PH_TARGET
#undef CK_PH_VNNI

#define CK_PH_SUFFIX avxvnni
#define CK_PH_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define CK_PH_VNNI 1
#include "packed_avx2_body.h"
#undef CK_PH_SUFFIX
#undef CK_PH_TARGET
#undef CK_PH_VNNI

CK_T2 void ck_packed_kernel_avx2(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy) {
    packed_kernel_maddubs(pv, g, xq, nr, y, ldy);
}

__attribute__((target("avx2,fma,f16c,avxvnni")))
void ck_packed_kernel_avx_vnni(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy) {
    packed_kernel_avxvnni(pv, g, xq, nr, y, ldy);
}
#endif
