// Packed x16 kernel body for AVX2 (no include guard: kernels_avx2.c includes it once per
// variant). CK_PH_SUFFIX names it, CK_PH_TARGET is its target attribute and
// CK_PH_VNNI selects vpdpbusd (AVX-VNNI) over vpmaddubsw + vpmaddwd.
// Each 64-byte vector of the layout is taken as two halves of 8 columns.
#define CK_PH_CAT2(a, b) a##_##b
#define CK_PH_CAT(a, b) CK_PH_CAT2(a, b)
#define CK_PH(name) CK_PH_CAT(name, CK_PH_SUFFIX)

static inline __attribute__((always_inline)) CK_PH_TARGET void CK_PH(packed_half)(
    const ck_packed_view *pv, int64_t g, int half, const ck_block_q8 *xq, float *y, int64_t ldy, const int NR,
    const int Q4, const int HAS_M, const int S32) {
    const uint8_t *qs = ck_packed_qs(pv, g) + 32 * half;
    const uint8_t *dd = ck_packed_d(pv, g) + 8 * half * (S32 ? 4 : 2);
    const uint8_t *mm = ck_packed_m(pv, g) + 8 * half * (S32 ? 4 : 2);
    const int64_t nb = pv->nb;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    const __m256i ones16 = _mm256_set1_epi16(1);
    // Q8 with vpmaddubsw works on signed weights (|w| times a carrying w's
    // sign) and needs no offset; every other case adds m * s_a.
    const int SIGNED_Q8 = !Q4 && !CK_PH_VNNI;
    __m256 acc[4];
    for (int r = 0; r < NR; r++) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m256i w[8];
        if (Q4) {
            for (int i = 0; i < 4; i++) {
                __m256i v = _mm256_load_si256((const __m256i *)(qs + b * 256 + 64 * i));
                w[2 * i] = _mm256_and_si256(v, low4);
                w[2 * i + 1] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
            }
        } else {
            for (int i = 0; i < 8; i++) {
                w[i] = _mm256_load_si256((const __m256i *)(qs + b * 512 + 64 * i));  // w + 128, unsigned
                if (SIGNED_Q8) w[i] = _mm256_xor_si256(w[i], bias);
            }
        }
        // 8 of the block's 16 column scales: f32, or f16 converted.
        __m256 dw = S32 ? _mm256_loadu_ps((const float *)(dd + b * 64))
                        : _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(dd + b * 32)));
        __m256 mw = !HAS_M ? _mm256_mul_ps(dw, _mm256_set1_ps(pv->implied_m))
                    : S32  ? _mm256_loadu_ps((const float *)(mm + b * 64))
                           : _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mm + b * 32)));
        for (int r = 0; r < NR; r++) {
            const ck_block_q8 *a = xq + r * nb + b;
            __m256i s = _mm256_setzero_si256();
            if (CK_PH_VNNI) {
#if CK_PH_VNNI
                for (int i = 0; i < 8; i++) {
                    int32_t ai;
                    memcpy(&ai, a->q + 4 * i, 4);
                    s = _mm256_dpbusd_avx_epi32(s, w[i], _mm256_set1_epi32(ai));
                }
#endif
            } else if (Q4) {
                // 15*127*2 per pair of products; 8 pairs summed stay below 2^15.
                __m256i s16 = _mm256_setzero_si256();
                for (int i = 0; i < 8; i++) {
                    int32_t ai;
                    memcpy(&ai, a->q + 4 * i, 4);
                    s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(w[i], _mm256_set1_epi32(ai)));
                }
                s = _mm256_madd_epi16(s16, ones16);
            } else {
                for (int i = 0; i < 8; i++) {
                    int32_t ai;
                    memcpy(&ai, a->q + 4 * i, 4);
                    __m256i av = _mm256_sign_epi8(_mm256_set1_epi32(ai), w[i]);
                    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w[i], w[i]), av), ones16));
                }
            }
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, _mm256_set1_ps(a->d)), acc[r]);
            if (!SIGNED_Q8) acc[r] = _mm256_fmadd_ps(mw, _mm256_set1_ps(HAS_M && !S32 ? a->s_q8_1 : a->s), acc[r]);
        }
    }
    for (int r = 0; r < NR; r++) _mm256_storeu_ps(y + r * ldy + 8 * half, acc[r]);
}

// llama.cpp-identical rounding for Q4_0, Q4_1 and Q8_0 (see packed_lanes_avx512.h):
// 8 float lanes per output, lane k = exact int dot of elements 4k..4k+3. One
// row at a time: 8 lane accumulators fill half the 16 ymm, so the weights are
// re-read from L1 per lane instead of held in registers.
static inline __attribute__((always_inline)) CK_PH_TARGET void CK_PH(lanes_half)(
    const ck_packed_view *pv, int64_t g, int half, const ck_block_q8 *a0, float *y, const int Q4, const int HAS_M) {
    const uint8_t *qs = ck_packed_qs(pv, g) + 32 * half;
    const uint8_t *dd = ck_packed_d(pv, g) + 16 * half;
    const uint8_t *mm = ck_packed_m(pv, g) + 16 * half;
    const int64_t nb = pv->nb;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    const __m256i ones8 = _mm256_set1_epi8(1);
    const __m256i ones16 = _mm256_set1_epi16(1);
    const int OFFSET = !HAS_M && (Q4 || CK_PH_VNNI);  // Q4_0's -8, VNNI Q8_0's +128
    const int shift = Q4 ? 3 : 7;
    __m256 acc[8], summ = _mm256_setzero_ps();
    for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const ck_block_q8 *a = a0 + b;
        const __m256 dwa = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(dd + b * 32))),
                                         _mm256_set1_ps(a->d));
        for (int k = 0; k < 8; k++) {
            __m256i w;
            if (Q4) {
                __m256i v = _mm256_load_si256((const __m256i *)(qs + b * 256 + 64 * (k / 2)));
                w = (k & 1) ? _mm256_and_si256(_mm256_srli_epi16(v, 4), low4) : _mm256_and_si256(v, low4);
            } else {
                w = _mm256_load_si256((const __m256i *)(qs + b * 512 + 64 * k));  // w + 128, unsigned
            }
            int32_t ai;
            memcpy(&ai, a->q + 4 * k, 4);
            __m256i av = _mm256_set1_epi32(ai);
            __m256i l;
#if CK_PH_VNNI
            l = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), w, av);
            if (OFFSET) l = _mm256_sub_epi32(l, _mm256_slli_epi32(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), ones8, av), shift));
#else
            if (Q4) {
                l = _mm256_madd_epi16(_mm256_maddubs_epi16(w, av), ones16);
                if (OFFSET) l = _mm256_sub_epi32(l, _mm256_slli_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(ones8, av), ones16), shift));
            } else {
                __m256i sw = _mm256_xor_si256(w, bias);  // signed w: |w| times a carrying w's sign
                l = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(sw, sw), _mm256_sign_epi8(av, sw)), ones16);
            }
#endif
            acc[k] = _mm256_fmadd_ps(dwa, _mm256_cvtepi32_ps(l), acc[k]);
        }
        if (HAS_M)
            summ = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mm + b * 32))),
                                   _mm256_set1_ps(a->s_q8_1), summ);
    }
    __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(acc[4], acc[0]), _mm256_add_ps(acc[6], acc[2])),
                             _mm256_add_ps(_mm256_add_ps(acc[5], acc[1]), _mm256_add_ps(acc[7], acc[3])));
    if (HAS_M) t = _mm256_add_ps(t, summ);
    _mm256_storeu_ps(y + 8 * half, t);
}

static inline __attribute__((always_inline)) CK_PH_TARGET void CK_PH(lanes_rows)(
    const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy, const int Q4,
    const int HAS_M) {
    for (int r = 0; r < nr; r++)
        for (int half = 0; half < 2; half++)
            CK_PH(lanes_half)(pv, g, half, xq + r * pv->nb, y + r * ldy, Q4, HAS_M);
}

static inline __attribute__((always_inline)) CK_PH_TARGET void CK_PH(packed_rows)(
    const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy, const int Q4,
    const int HAS_M, const int S32) {
    // 4 rows per register tile: 8 weight vectors + 4 accumulators + temporaries fill the 16 ymm.
    for (int r0 = 0; r0 < nr; r0 += 4) {
        int n = nr - r0 < 4 ? nr - r0 : 4;
        for (int half = 0; half < 2; half++) {
            const ck_block_q8 *x = xq + r0 * pv->nb;
            float *yy = y + r0 * ldy;
            switch (n) {
            case 1: CK_PH(packed_half)(pv, g, half, x, yy, ldy, 1, Q4, HAS_M, S32); break;
            case 2: CK_PH(packed_half)(pv, g, half, x, yy, ldy, 2, Q4, HAS_M, S32); break;
            case 3: CK_PH(packed_half)(pv, g, half, x, yy, ldy, 3, Q4, HAS_M, S32); break;
            default: CK_PH(packed_half)(pv, g, half, x, yy, ldy, 4, Q4, HAS_M, S32); break;
            }
        }
    }
}

static CK_PH_TARGET void CK_PH(packed_kernel)(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr,
                                              float *y, int64_t ldy) {
    if (pv->scale_f32) CK_PH(packed_rows)(pv, g, xq, nr, y, ldy, 1, 1, 1);
    else if (!ck_llama_numerics()) {
        if (pv->kind == CK_PACK_Q8) CK_PH(packed_rows)(pv, g, xq, nr, y, ldy, 0, 0, 0);
        else if (pv->has_m) CK_PH(packed_rows)(pv, g, xq, nr, y, ldy, 1, 1, 0);
        else CK_PH(packed_rows)(pv, g, xq, nr, y, ldy, 1, 0, 0);
    } else if (pv->kind == CK_PACK_Q8) CK_PH(lanes_rows)(pv, g, xq, nr, y, ldy, 0, 0);
    else if (pv->has_m) CK_PH(lanes_rows)(pv, g, xq, nr, y, ldy, 1, 1);
    else CK_PH(lanes_rows)(pv, g, xq, nr, y, ldy, 1, 0);
}

#undef CK_PH
#undef CK_PH_CAT
#undef CK_PH_CAT2
