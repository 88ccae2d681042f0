#ifndef SLUICE_CK_GGML_MATH_H
#define SLUICE_CK_GGML_MATH_H
// ggml's polynomial e^x (ggml-cpu/vec.h ggml_v_expf, ARM optimized-routines
// style): n = round(x/ln2), b = x - n*ln2 in two fused steps, a degree-5
// polynomial j, result j * 2^n; |n| > 192 saturates to 0 or inf. Elementwise,
// so any vector width gives llama.cpp's exact bits. CK_EXPF_BODY declares n
// and j from x for a vector type V and its FMA/MUL/SUB/SET1 operations.
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define CK_EXPF_BODY(FMA, MUL, SUB, SET1)                                                          \
    const V r = SET1(0x1.8p23f);                                                                    \
    const V z = FMA(x, SET1(0x1.715476p+0f), r);                                                    \
    const V n = SUB(z, r);                                                                          \
    const V b = FMA(SUB(SET1(0.0f), n), SET1(0x1.7f7d1cp-20f),                                      \
                    FMA(SUB(SET1(0.0f), n), SET1(0x1.62e4p-1f), x));                                \
    const V u = MUL(b, b);                                                                          \
    const V j = FMA(FMA(FMA(SET1(0x1.0e4020p-7f), b, SET1(0x1.573e2ep-5f)), u,                      \
                        FMA(SET1(0x1.555e66p-3f), b, SET1(0x1.fffdb6p-2f))),                        \
                    u, FMA(SET1(0x1.ffffecp-1f), b, SET1(1.0f)));

static inline __attribute__((always_inline)) float ggml_expf_portable(float x) {
    typedef float V;
#define P_FMA(a, b, c) fmaf(a, b, c)
#define P_MUL(a, b) ((a) * (b))
#define P_SUB(a, b) ((a) - (b))
#define P_SET1(a) (a)
    CK_EXPF_BODY(P_FMA, P_MUL, P_SUB, P_SET1)
#undef P_FMA
#undef P_MUL
#undef P_SUB
#undef P_SET1
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    return ldexpf(j, (int)n);
}

#endif
