// AVX-512 kernels for the packed x16 layout (packed.h): one zmm of weights
// holds 4 consecutive weights of 16 output columns, so each int32 lane
// accumulates one column's block dot product against a broadcast 4-byte group
// of activations. Two variants: VNNI (`vpdpbusd`, Ice Lake / Sapphire Rapids /
// Zen 4) and plain AVX-512BW (`vpmaddubsw` + `vpmaddwd`, Skylake-X).
// Compiled with per-function target attributes; selected at run time.
#include "packed.h"
#if CK_X86 && CK_HAVE_SIMD
#include <immintrin.h>

#define CK_T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define CK_T512V __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define CK_INLINE static inline __attribute__((always_inline))

CK_INLINE int32_t load_i32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// 16 column scales of block b: f32, or f16 converted.
CK_INLINE CK_T512 __m512 load_scales(const uint8_t *base, int64_t b, const int S32) {
    if (S32) return _mm512_loadu_ps((const float *)(base + b * 64));
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(base + b * 32)));
}

/// The 8 weight vectors of block b (vector k: 4 consecutive weights, 4k..4k+3
/// of the block, for each of the 16 columns). Q4: nibbles 0..15. Q8: w + 128
/// unsigned, or with SIGNED_ABS |w| and w's sign in neg[k] (vpmaddubsw would
/// saturate on (w+128)*a; |w|*(+-a) <= 128*127 keeps pairs in int16).
CK_INLINE CK_T512 void load_block_weights(const uint8_t *qs, int64_t b, const int Q4, const int SIGNED_ABS,
                                          __m512i w[8], __mmask64 neg[8]) {
    if (Q4) {
        const __m512i low4 = _mm512_set1_epi8(0x0f);
        const uint8_t *p = qs + b * 256;
        for (int i = 0; i < 4; i++) {
            __m512i v = _mm512_load_si512((const void *)(p + 64 * i));
            w[2 * i] = _mm512_and_si512(v, low4);
            w[2 * i + 1] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
        }
        return;
    }
    const uint8_t *p = qs + b * 512;
    for (int i = 0; i < 8; i++) {
        w[i] = _mm512_load_si512((const void *)(p + 64 * i));
        if (SIGNED_ABS) {
            __m512i sw = _mm512_xor_si512(w[i], _mm512_set1_epi8((char)0x80));
            neg[i] = _mm512_movepi8_mask(sw);
            w[i] = _mm512_abs_epi8(sw);
        }
    }
}

// MARK: VNNI

CK_INLINE CK_T512V void kernel_vnni(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, float *y, int64_t ldy,
                                    const int NR, const int Q4, const int HAS_M, const int S32) {
    const uint8_t *qs = ck_packed_qs(pv, g);
    const uint8_t *dd = ck_packed_d(pv, g);
    const uint8_t *mm = ck_packed_m(pv, g);
    const int64_t nb = pv->nb;
    const __m512 implied = _mm512_set1_ps(pv->implied_m);
    __m512 acc[CK_PACKED_MAX_ROWS];
    for (int r = 0; r < NR; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m512i w[8];
        __mmask64 neg[8];
        load_block_weights(qs, b, Q4, 0, w, neg);
        __m512 dw = load_scales(dd, b, S32);
        __m512 mw = HAS_M ? load_scales(mm, b, S32) : _mm512_mul_ps(dw, implied);
        for (int r = 0; r < NR; r++) {
            const ck_block_q8 *a = xq + r * nb + b;
            // Two chains of 4 instead of one of 8: vpdpbusd has 4-5 cycles of
            // latency, which bounds single-row (decode) tiles.
            __m512i s = _mm512_setzero_si512(), s2 = _mm512_setzero_si512();
            for (int i = 0; i < 8; i += 2) {
                s = _mm512_dpbusd_epi32(s, w[i], _mm512_set1_epi32(load_i32(a->q + 4 * i)));
                s2 = _mm512_dpbusd_epi32(s2, w[i + 1], _mm512_set1_epi32(load_i32(a->q + 4 * i + 4)));
            }
            s = _mm512_add_epi32(s, s2);
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(a->d)), acc[r]);
            acc[r] = _mm512_fmadd_ps(mw, _mm512_set1_ps(HAS_M && !S32 ? a->s_q8_1 : a->s), acc[r]);
        }
    }
    for (int r = 0; r < NR; r++) _mm512_storeu_ps(y + r * ldy, acc[r]);
}

// MARK: AVX-512BW without VNNI

CK_INLINE CK_T512 void kernel_bw(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, float *y, int64_t ldy,
                                 const int NR, const int Q4, const int HAS_M, const int S32) {
    const uint8_t *qs = ck_packed_qs(pv, g);
    const uint8_t *dd = ck_packed_d(pv, g);
    const uint8_t *mm = ck_packed_m(pv, g);
    const int64_t nb = pv->nb;
    const __m512i ones16 = _mm512_set1_epi16(1);
    const __m512 implied = _mm512_set1_ps(pv->implied_m);
    __m512 acc[CK_PACKED_MAX_ROWS];
    for (int r = 0; r < NR; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m512i w[8];
        __mmask64 neg[8];
        load_block_weights(qs, b, Q4, 1, w, neg);
        __m512 dw = load_scales(dd, b, S32);
        __m512 mw = HAS_M ? load_scales(mm, b, S32) : _mm512_mul_ps(dw, implied);
        for (int r = 0; r < NR; r++) {
            const ck_block_q8 *a = xq + r * nb + b;
            __m512i s;
            if (Q4) {
                // 15*127*2 per product pair; 8 pairs summed stay below 2^15.
                __m512i s16 = _mm512_maddubs_epi16(w[0], _mm512_set1_epi32(load_i32(a->q)));
                for (int i = 1; i < 8; i++)
                    s16 = _mm512_add_epi16(s16, _mm512_maddubs_epi16(w[i], _mm512_set1_epi32(load_i32(a->q + 4 * i))));
                s = _mm512_madd_epi16(s16, ones16);
            } else {
                s = _mm512_setzero_si512();
                for (int i = 0; i < 8; i++) {
                    __m512i av = _mm512_set1_epi32(load_i32(a->q + 4 * i));
                    av = _mm512_mask_sub_epi8(av, neg[i], _mm512_setzero_si512(), av);
                    s = _mm512_add_epi32(s, _mm512_madd_epi16(_mm512_maddubs_epi16(w[i], av), ones16));
                }
            }
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(a->d)), acc[r]);
            if (Q4) acc[r] = _mm512_fmadd_ps(mw, _mm512_set1_ps(HAS_M && !S32 ? a->s_q8_1 : a->s), acc[r]);  // Q8 here is already signed
        }
    }
    for (int r = 0; r < NR; r++) _mm512_storeu_ps(y + r * ldy, acc[r]);
}

// MARK: llama.cpp-identical rounding (Q4_0, Q4_1, Q8_0): packed_lanes_avx512.h

#define CK_LN_SUFFIX vnni
#define CK_LN_TARGET CK_T512V
#define CK_LN_VNNI 1
#include "packed_lanes_avx512.h"
#undef CK_LN_SUFFIX
#undef CK_LN_TARGET
#undef CK_LN_VNNI
#define CK_LN_SUFFIX bw
#define CK_LN_TARGET CK_T512
#define CK_LN_VNNI 0
#include "packed_lanes_avx512.h"
#undef CK_LN_SUFFIX
#undef CK_LN_TARGET
#undef CK_LN_VNNI

// MARK: Entry points: specialise on rows (1..8) and format at compile time.

#define CK_ROW_CASES(FN, ...)                                          \
    switch (nr) {                                                      \
    case 1: FN(pv, g, xq, y, ldy, 1, __VA_ARGS__); break;              \
    case 2: FN(pv, g, xq, y, ldy, 2, __VA_ARGS__); break;              \
    case 3: FN(pv, g, xq, y, ldy, 3, __VA_ARGS__); break;              \
    case 4: FN(pv, g, xq, y, ldy, 4, __VA_ARGS__); break;              \
    case 5: FN(pv, g, xq, y, ldy, 5, __VA_ARGS__); break;              \
    case 6: FN(pv, g, xq, y, ldy, 6, __VA_ARGS__); break;              \
    case 7: FN(pv, g, xq, y, ldy, 7, __VA_ARGS__); break;              \
    default: FN(pv, g, xq, y, ldy, 8, __VA_ARGS__); break;             \
    }

CK_T512V void ck_packed_kernel_avx512_vnni(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr,
                                           float *y, int64_t ldy) {
    if (pv->scale_f32) {
        CK_ROW_CASES(kernel_vnni, 1, 1, 1)
    } else if (!ck_llama_numerics()) {
        if (pv->kind == CK_PACK_Q8) {
            CK_ROW_CASES(kernel_vnni, 0, 0, 0)
        } else if (pv->has_m) {
            CK_ROW_CASES(kernel_vnni, 1, 1, 0)
        } else {
            CK_ROW_CASES(kernel_vnni, 1, 0, 0)
        }
    } else if (pv->kind == CK_PACK_Q8) {
        kernel_lanes_rows_vnni(pv, g, xq, nr, y, ldy, 0, 0);
    } else if (pv->has_m) {
        kernel_lanes_rows_vnni(pv, g, xq, nr, y, ldy, 1, 1);
    } else {
        kernel_lanes_rows_vnni(pv, g, xq, nr, y, ldy, 1, 0);
    }
}

CK_T512 void ck_packed_kernel_avx512(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr,
                                     float *y, int64_t ldy) {
    if (pv->scale_f32) {
        CK_ROW_CASES(kernel_bw, 1, 1, 1)
    } else if (!ck_llama_numerics()) {
        if (pv->kind == CK_PACK_Q8) {
            CK_ROW_CASES(kernel_bw, 0, 0, 0)
        } else if (pv->has_m) {
            CK_ROW_CASES(kernel_bw, 1, 1, 0)
        } else {
            CK_ROW_CASES(kernel_bw, 1, 0, 0)
        }
    } else if (pv->kind == CK_PACK_Q8) {
        kernel_lanes_rows_bw(pv, g, xq, nr, y, ldy, 0, 0);
    } else if (pv->has_m) {
        kernel_lanes_rows_bw(pv, g, xq, nr, y, ldy, 1, 1);
    } else {
        kernel_lanes_rows_bw(pv, g, xq, nr, y, ldy, 1, 0);
    }
}

#endif
