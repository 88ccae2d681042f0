// llama.cpp-identical packed kernel body for AVX-512 (no include guard:
// kernels_avx512.c includes it once per variant). CK_LN_SUFFIX names it,
// CK_LN_TARGET is its target attribute, CK_LN_VNNI selects vpdpbusd over
// vpmaddubsw + vpmaddwd (both give the same exact integer lanes).
#define CK_LN_CAT2(a, b) a##_##b
#define CK_LN_CAT(a, b) CK_LN_CAT2(a, b)
#define CK_LN(name) CK_LN_CAT(name, CK_LN_SUFFIX)

// ggml's x86 dot products for these types (ggml-cpu/arch/x86/quants.c, the
// AVX2 path, which llama.cpp also runs on AVX-512 machines) keep 8 float lanes
// per output: lane k accumulates fma(d_w*d_a, float(L_k), lane k) over the
// blocks, where L_k is the exact integer dot of elements 4k..4k+3, and the
// lanes are summed at the end as ((l4+l0)+(l6+l2))+((l5+l1)+(l7+l3)). Q4_1
// adds its min term in a separate chain, fma(m_w, s_a, summs), after the lane
// sum. Doing the same float operations in the same order makes every output
// bit-identical to llama.cpp's, which is what keeps greedy decoding on the same
// path as llama.cpp's: with 8-bit activations a last-bit difference upstream
// flips a rounding and moves logits by up to ~0.2 nats 30 layers later.
// One zmm still holds 16 columns: each vpdpbusd result is exactly one lane.
CK_INLINE CK_LN_TARGET void CK_LN(kernel_lanes)(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, float *y, int64_t ldy,
                                     const int NR, const int Q4, const int HAS_M) {
    const int VNNI = CK_LN_VNNI;
    const uint8_t *qs = ck_packed_qs(pv, g);
    const uint8_t *dd = ck_packed_d(pv, g);
    const uint8_t *mm = ck_packed_m(pv, g);
    const int64_t nb = pv->nb;
    const __m512i ones8 = _mm512_set1_epi8(1);
    const __m512i ones16 = _mm512_set1_epi16(1);
    // Q4_0 weights are q - 8 and Q8_0's packed quants carry +128 (VNNI
    // multiplies unsigned by signed): subtract offset * sum(a) per lane.
    const int shift = Q4 ? 3 : 7;
    const int OFFSET = !HAS_M && (Q4 || VNNI);
    __m512 acc[2][8], summ[2];
    for (int r = 0; r < NR; r++) {
        summ[r] = _mm512_setzero_ps();
        for (int k = 0; k < 8; k++) acc[r][k] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        __m512i w[8];
        __mmask64 neg[8];
        load_block_weights(qs, b, Q4, !VNNI, w, neg);
        const __m512 dw = load_scales(dd, b, 0);
        const __m512 mw = HAS_M ? load_scales(mm, b, 0) : _mm512_setzero_ps();
        for (int r = 0; r < NR; r++) {
            const ck_block_q8 *a = xq + r * nb + b;
            const __m512 dwa = _mm512_mul_ps(dw, _mm512_set1_ps(a->d));
            for (int k = 0; k < 8; k++) {
                __m512i av = _mm512_set1_epi32(load_i32(a->q + 4 * k));
                __m512i l;
                if (VNNI) {
                    #if CK_LN_VNNI
                    l = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w[k], av);
                    if (OFFSET) l = _mm512_sub_epi32(l, _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones8, av), shift));
#else
                    l = _mm512_setzero_si512();
#endif
                } else if (Q4) {
                    l = _mm512_madd_epi16(_mm512_maddubs_epi16(w[k], av), ones16);
                    if (OFFSET) l = _mm512_sub_epi32(l, _mm512_slli_epi32(_mm512_madd_epi16(_mm512_maddubs_epi16(ones8, av), ones16), shift));
                } else {
                    av = _mm512_mask_sub_epi8(av, neg[k], _mm512_setzero_si512(), av);
                    l = _mm512_madd_epi16(_mm512_maddubs_epi16(w[k], av), ones16);
                }
                acc[r][k] = _mm512_fmadd_ps(dwa, _mm512_cvtepi32_ps(l), acc[r][k]);
            }
            if (HAS_M) summ[r] = _mm512_fmadd_ps(mw, _mm512_set1_ps(a->s_q8_1), summ[r]);
        }
    }
    for (int r = 0; r < NR; r++) {
        __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(acc[r][4], acc[r][0]), _mm512_add_ps(acc[r][6], acc[r][2])),
                                 _mm512_add_ps(_mm512_add_ps(acc[r][5], acc[r][1]), _mm512_add_ps(acc[r][7], acc[r][3])));
        if (HAS_M) t = _mm512_add_ps(t, summ[r]);
        _mm512_storeu_ps(y + r * ldy, t);
    }
}

CK_INLINE CK_LN_TARGET void CK_LN(kernel_lanes_rows)(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y,
                                          int64_t ldy, const int Q4, const int HAS_M) {
    int r = 0;
    for (; r + 2 <= nr; r += 2) CK_LN(kernel_lanes)(pv, g, xq + r * pv->nb, y + r * ldy, ldy, 2, Q4, HAS_M);
    if (r < nr) CK_LN(kernel_lanes)(pv, g, xq + r * pv->nb, y + r * ldy, ldy, 1, Q4, HAS_M);
}

#undef CK_LN
#undef CK_LN_CAT
#undef CK_LN_CAT2
