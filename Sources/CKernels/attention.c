// Paged causal attention (ck_attention, see ck_ops.h): llama.cpp's flash
// attention rounding over an f16 cache (one-chunk and tiled paths), the exact
// two-pass softmax otherwise.
#include "ck_ops.h"
#include "CKernels.h"
#include "ggml_math.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

// MARK: Attention

typedef struct {
    const ck_attention_args *a;
    _Atomic int64_t next;  // next (row, kv head) task to claim
} attention_run;

// Reductions may be reassociated so they vectorise (8 or 16 lanes); the
// result differs from a serial sum only in rounding.
static inline float dot_f32(const float *a, const float *b, int n) {
#pragma clang fp reassociate(on)
    float s = 0.0f;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}


// ggml_vec_dot_f16 as llama.cpp's AVX-512 build runs it (simd-mappings.h,
// F16 via F32x16): per 64-element step, 4 vectors of 16 fused products
// accumulated across steps; then v0+=v2, v1+=v3, v0+=v1 and GCC's
// _mm512_reduce_add_ps (halves: 16->8->4, then (m0+m2)+(m1+m3)); leftovers
// added in double. The same order gives the same bits on any ISA.
static inline __attribute__((always_inline)) float dot_f16_like_ggml(const float *x, const float *y, int n) {
    float v[4][16] = {{0}};
    const int np = n & ~63;
    for (int i = 0; i < np; i += 64)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 16; l++) v[j][l] = fmaf(x[i + 16 * j + l], y[i + 16 * j + l], v[j][l]);
    float a[16], b[8], c[4];
    for (int l = 0; l < 16; l++) a[l] = (v[0][l] + v[2][l]) + (v[1][l] + v[3][l]);
    for (int l = 0; l < 8; l++) b[l] = a[8 + l] + a[l];
    for (int l = 0; l < 4; l++) c[l] = b[4 + l] + b[l];
    double sum = (double)((c[0] + c[2]) + (c[1] + c[3]));
    for (int i = np; i < n; i++) sum += (double)(x[i] * y[i]);
    return (float)sum;
}

// f16 KV, rows of a prompt chunk of 64+ tokens: llama.cpp's tiled flash
// attention (ggml_compute_forward_flash_attn_ext_tiled, taken when a ubatch
// has >= GGML_FA_TILE_Q = 64 query rows). Per 64-position KV tile: Q stays
// f32, each score is a sequential fma chain over head_dim (simd_gemm), scaled;
// masked positions are -inf; the running max M and sum S update once per tile
// (S rescaled by libm expf, the tile's weights by ggml's polynomial expf,
// summed 16 at a time with _mm512_reduce_add_ps into a double); values are
// accumulated in f32, one fma per position in order; finally times 1/S.
enum { CK_FA_TILE = 64 };

static inline __attribute__((always_inline)) float reduce16_like_gcc(const float *v) {
    float b[8], c[4];
    for (int l = 0; l < 8; l++) b[l] = v[8 + l] + v[l];
    for (int l = 0; l < 4; l++) c[l] = b[4 + l] + b[l];
    return (c[0] + c[2]) + (c[1] + c[3]);
}

/// Tile weights: kq[i] = e^(kq[i] - m) with ggml's polynomial expf, returning
/// their sum as ggml_vec_soft_max_f32 does on AVX-512 (16 at a time, GCC's
/// _mm512_reduce_add_ps order, accumulated in double).
typedef double (*ck_tile_softmax_fn)(float *kq, float m);

static double tile_softmax_portable(float *kq, float m) {
    double sum = 0.0;
    for (int c = 0; c < CK_FA_TILE; c += 16) {
        for (int i = c; i < c + 16; i++) kq[i] = ggml_expf_portable(kq[i] - m);
        sum += (double)reduce16_like_gcc(kq + c);
    }
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double tile_softmax_avx2(float *kq, float m) {
    typedef __m256 V;
    double sum = 0.0;
    for (int c = 0; c < CK_FA_TILE; c += 16) {
        for (int i = c; i < c + 16; i += 8) {
            const V x = _mm256_sub_ps(_mm256_loadu_ps(kq + i), _mm256_set1_ps(m));
            CK_EXPF_BODY(_mm256_fmadd_ps, _mm256_mul_ps, _mm256_sub_ps, _mm256_set1_ps)
            const V big = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), n), _mm256_set1_ps(126.0f), _CMP_GT_OQ);
            if (_mm256_movemask_ps(big)) {  // masked (-inf) or extreme scores: the scalar form saturates like ggml
                for (int k = i; k < i + 8; k++) kq[k] = ggml_expf_portable(kq[k] - m);
                continue;
            }
            const V pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
            _mm256_storeu_ps(kq + i, _mm256_mul_ps(j, pow2n));
        }
        sum += (double)reduce16_like_gcc(kq + c);
    }
    return sum;
}
#endif

static inline __attribute__((always_inline)) void attention_task_tiled_f16(const ck_attention_args *a, int64_t r, int g,
                                                                            ck_tile_softmax_fn tile_softmax) {
    const int group = a->n_heads / a->n_kv_heads;
    const int hd = a->head_dim;
    const int32_t n_pos = a->positions[r] + 1;
    const int32_t *table = a->block_tables + a->table_offsets[r];
    const float *q = a->q + r * (int64_t)a->n_heads * hd + (int64_t)g * group * hd;
    float *out = a->out + r * (int64_t)a->n_heads * hd + (int64_t)g * group * hd;
    // kt: the tile's keys transposed [head_dim][64] as ggml packs them, so each
    // score is its own sequential fma chain over head_dim, 64 chains side by side.
    float kt[hd * CK_FA_TILE], kq[group][CK_FA_TILE], acc[group * hd], vrow[hd], M[group], S[group];
    for (int i = 0; i < group * hd; i++) acc[i] = 0.0f;
    for (int h = 0; h < group; h++) {
        M[h] = -INFINITY;
        S[h] = 0.0f;
    }
    for (int32_t t0 = 0; t0 < n_pos; t0 += CK_FA_TILE) {
        const int valid = n_pos - t0 < CK_FA_TILE ? n_pos - t0 : CK_FA_TILE;
        for (int tk = 0; tk < CK_FA_TILE; tk++) {
            if (tk >= valid) {
                for (int d = 0; d < hd; d++) kt[d * CK_FA_TILE + tk] = 0.0f;
                continue;
            }
            const int32_t p = t0 + tk;
            const int64_t block = table[p / a->block_size];
            const _Float16 *k16 = (const _Float16 *)a->k_cache +
                                  ((block * a->n_kv_heads + g) * a->block_size + p % a->block_size) * hd;
            for (int d = 0; d < hd; d++) kt[d * CK_FA_TILE + tk] = (float)k16[d];
        }
        for (int h = 0; h < group; h++) {
            float *s = kq[h];
            for (int tk = 0; tk < CK_FA_TILE; tk++) s[tk] = 0.0f;
            for (int d = 0; d < hd; d++) {
                const float qd = q[h * hd + d];
                for (int tk = 0; tk < CK_FA_TILE; tk++) s[tk] = fmaf(qd, kt[d * CK_FA_TILE + tk], s[tk]);
            }
            float tile_max = -INFINITY;
            for (int tk = 0; tk < CK_FA_TILE; tk++) {
                s[tk] = tk < valid ? s[tk] * a->scale : -INFINITY;
                tile_max = fmaxf(tile_max, s[tk]);
            }
            const float m_new = fmaxf(M[h], tile_max);
            if (m_new > M[h]) {
                const float ms = expf(M[h] - m_new);
                for (int i = 0; i < hd; i++) acc[h * hd + i] *= ms;
                S[h] *= ms;
            }
            M[h] = m_new;
            S[h] = (float)((double)S[h] + tile_softmax(s, m_new));
        }
        for (int tk = 0; tk < valid; tk++) {
            const int32_t p = t0 + tk;
            const int64_t block = table[p / a->block_size];
            const _Float16 *v16 = (const _Float16 *)a->v_cache +
                                  ((block * a->n_kv_heads + g) * a->block_size + p % a->block_size) * hd;
            for (int i = 0; i < hd; i++) vrow[i] = (float)v16[i];
            for (int h = 0; h < group; h++)
                for (int i = 0; i < hd; i++) acc[h * hd + i] = fmaf(vrow[i], kq[h][tk], acc[h * hd + i]);
        }
    }
    for (int h = 0; h < group; h++) {
        const float inv = S[h] == 0.0f ? 0.0f : 1.0f / S[h];
        for (int i = 0; i < hd; i++) out[h * hd + i] = acc[h * hd + i] * inv;
    }
}

/// True when row r belongs to a chunk of at least CK_FA_TILE rows (rows of one
/// chunk are contiguous and share a block-table offset), where llama.cpp
/// switches to its tiled flash attention.
static inline int attention_row_in_long_chunk(const ck_attention_args *a, int64_t r) {
    const int32_t off = a->table_offsets[r];
    int64_t lo = r, hi = r;
    while (lo > 0 && r - lo < CK_FA_TILE && a->table_offsets[lo - 1] == off) lo--;
    while (hi + 1 < a->n_rows && hi - lo + 1 < CK_FA_TILE && a->table_offsets[hi + 1] == off) hi++;
    return hi - lo + 1 >= CK_FA_TILE;
}

// f16 KV: llama.cpp's CPU flash attention (ggml_compute_forward_flash_attn_ext_f16
// with an f16 cache, on by default in llama-server) so our logits round as
// its do: Q is rounded to f16 before the Q.K dot (accumulated in f32), the
// softmax is online in f32 (running max M, sum S), and the V accumulator is
// f16, rounded after every rescale (ggml_vec_scale_f16) and every
// fused multiply-add of a value row (ggml_vec_mad_f16); the result is that
// accumulator widened and divided by S. The f16 round trips are F16C vector
// conversions in the AVX2 wrapper.
#if defined(__x86_64__)
// The one-chunk path for head_dim 64 with AVX2/F16C intrinsics: the same
// operations as attention_task_flash_f16 in the same order (products of Q16
// and K, the 16-lane tree (p0+p4)+(p2+p6) | (p1+p5)+(p3+p7), halves, then
// (c0+c2)+(c1+c3); f16 rounding after each accumulator update), with each
// head's f16 accumulator held as 8 ymm of f16-exact floats.
__attribute__((target("avx2,fma,f16c"))) static void attention_task_flash_f16_hd64(const ck_attention_args *a,
                                                                                    int64_t r, int g) {
    enum { HD = 64, MAX_GROUP = 8 };
    const int group = a->n_heads / a->n_kv_heads;
    const int32_t n_pos = a->positions[r] + 1;
    const int32_t *table = a->block_tables + a->table_offsets[r];
    const float *q = a->q + r * (int64_t)a->n_heads * HD + (int64_t)g * group * HD;
    float *out = a->out + r * (int64_t)a->n_heads * HD + (int64_t)g * group * HD;
    __m256 qv[MAX_GROUP][8];
    float acc[MAX_GROUP][HD] __attribute__((aligned(32)));
    float m[MAX_GROUP], sum[MAX_GROUP];
    for (int h = 0; h < group; h++) {
        for (int i = 0; i < 8; i++)
            qv[h][i] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(q + h * HD + 8 * i), _MM_FROUND_TO_NEAREST_INT));
        for (int i = 0; i < HD; i++) acc[h][i] = 0.0f;
        m[h] = -INFINITY;
        sum[h] = 0.0f;
    }
    for (int32_t p = 0; p < n_pos; p++) {
        const int64_t block = table[p / a->block_size];
        const int64_t off = ((block * a->n_kv_heads + g) * a->block_size + p % a->block_size) * HD;
        const uint16_t *k16 = (const uint16_t *)a->k_cache + off;
        const uint16_t *v16 = (const uint16_t *)a->v_cache + off;
        __m256 k[8];
        for (int i = 0; i < 8; i++) k[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k16 + 8 * i)));
        float s[MAX_GROUP];
        for (int h = 0; h < group; h++) {
            __m256 pr[8];
            for (int i = 0; i < 8; i++) pr[i] = _mm256_mul_ps(qv[h][i], k[i]);
            const __m256 lo = _mm256_add_ps(_mm256_add_ps(pr[0], pr[4]), _mm256_add_ps(pr[2], pr[6]));
            const __m256 hi = _mm256_add_ps(_mm256_add_ps(pr[1], pr[5]), _mm256_add_ps(pr[3], pr[7]));
            const __m256 b = _mm256_add_ps(hi, lo);
            __m128 c = _mm_add_ps(_mm256_extractf128_ps(b, 1), _mm256_castps256_ps128(b));
            c = _mm_add_ps(c, _mm_movehl_ps(c, c));
            c = _mm_add_ss(c, _mm_movehdup_ps(c));
            s[h] = _mm_cvtss_f32(c) * a->scale;
        }
        __m256 v[8];
        for (int i = 0; i < 8; i++) v[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v16 + 8 * i)));
        for (int h = 0; h < group; h++) {
            float ms = 1.0f, vs = 1.0f;
            float *o = acc[h];
            if (s[h] > m[h]) {
                const float old = m[h];
                m[h] = s[h];
                ms = expf(old - s[h]);
                const __m256 msv = _mm256_set1_ps(ms);
                for (int i = 0; i < 8; i++)
                    _mm256_store_ps(o + 8 * i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(_mm256_load_ps(o + 8 * i), msv),
                                                                             _MM_FROUND_TO_NEAREST_INT)));
            } else {
                vs = expf(s[h] - m[h]);
            }
            const __m256 vsv = _mm256_set1_ps(vs);
            for (int i = 0; i < 8; i++)
                _mm256_store_ps(o + 8 * i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_fmadd_ps(v[i], vsv, _mm256_load_ps(o + 8 * i)),
                                                                         _MM_FROUND_TO_NEAREST_INT)));
            sum[h] = fmaf(sum[h], ms, vs);
        }
    }
    for (int h = 0; h < group; h++) {
        const float inv = sum[h] == 0.0f ? 0.0f : 1.0f / sum[h];
        for (int i = 0; i < HD; i++) out[h * HD + i] = acc[h][i] * inv;
    }
}
#endif

static inline __attribute__((always_inline)) void attention_task_flash_f16(const ck_attention_args *a, int64_t r, int g) {
    const int group = a->n_heads / a->n_kv_heads;
    const int hd = a->head_dim;
    const int32_t n_pos = a->positions[r] + 1;
    const int32_t *table = a->block_tables + a->table_offsets[r];
    const float *q = a->q + r * (int64_t)a->n_heads * hd + (int64_t)g * group * hd;
    float *out = a->out + r * (int64_t)a->n_heads * hd + (int64_t)g * group * hd;

    float qh[group * hd], row[hd], acc[group * hd], m[group], sum[group];
    for (int i = 0; i < group * hd; i++) {
        qh[i] = (float)(_Float16)q[i];
        acc[i] = 0.0f;
    }
    for (int h = 0; h < group; h++) {
        m[h] = -INFINITY;
        sum[h] = 0.0f;
    }
    for (int32_t p = 0; p < n_pos; p++) {
        const int64_t block = table[p / a->block_size];
        const int64_t off = ((block * a->n_kv_heads + g) * a->block_size + p % a->block_size) * hd;
        const _Float16 *k16 = (const _Float16 *)a->k_cache + off;
        const _Float16 *v16 = (const _Float16 *)a->v_cache + off;
        for (int i = 0; i < hd; i++) row[i] = (float)k16[i];
        float s[group];
        for (int h = 0; h < group; h++) s[h] = dot_f16_like_ggml(qh + h * hd, row, hd) * a->scale;
        for (int i = 0; i < hd; i++) row[i] = (float)v16[i];
        for (int h = 0; h < group; h++) {
            float *o = acc + h * hd;
            float ms = 1.0f, vs = 1.0f;
            if (s[h] > m[h]) {
                const float old = m[h];
                m[h] = s[h];
                ms = expf(old - s[h]);
                for (int i = 0; i < hd; i++) o[i] = (float)(_Float16)(o[i] * ms);
            } else {
                vs = expf(s[h] - m[h]);
            }
            for (int i = 0; i < hd; i++) o[i] = (float)(_Float16)fmaf(row[i], vs, o[i]);
            sum[h] = fmaf(sum[h], ms, vs);  // GCC contracts ggml's S = S*ms + vs
        }
    }
    for (int h = 0; h < group; h++) {
        const float inv = sum[h] == 0.0f ? 0.0f : 1.0f / sum[h];
        for (int i = 0; i < hd; i++) out[h * hd + i] = acc[h * hd + i] * inv;
    }
}

// One task: row r, KV head g, and the `group` query heads that share it.
// Always inlined into per-ISA wrappers below: with F16C the half<->float
// conversions are single instructions instead of library calls.
static inline __attribute__((always_inline)) void attention_task(const ck_attention_args *a, int64_t r, int g, float *scores) {
    const int group = a->n_heads / a->n_kv_heads;
    const int hd = a->head_dim;
    const int32_t n_pos = a->positions[r] + 1;
    const int32_t *table = a->block_tables + a->table_offsets[r];
    const float *q = a->q + r * (int64_t)a->n_heads * hd + (int64_t)g * group * hd;
    float *out = a->out + r * (int64_t)a->n_heads * hd + (int64_t)g * group * hd;

    // scores[h * n_pos + p] = q_h . k_p * scale. An f16 key (value) row is
    // widened once and reused by every query head of the group.
    float row[hd];
    for (int32_t p = 0; p < n_pos; p++) {
        const int64_t block = table[p / a->block_size];
        const int64_t off = ((block * a->n_kv_heads + g) * a->block_size + p % a->block_size) * hd;
        const float *k;
        if (a->kv_f16) {
            const _Float16 *k16 = (const _Float16 *)a->k_cache + off;
            for (int i = 0; i < hd; i++) row[i] = (float)k16[i];
            k = row;
        } else {
            k = (const float *)a->k_cache + off;
        }
        for (int h = 0; h < group; h++) scores[(int64_t)h * n_pos + p] = dot_f32(q + h * hd, k, hd) * a->scale;
    }
    for (int h = 0; h < group; h++) {
        float *s = scores + (int64_t)h * n_pos;
        float m = s[0];
        for (int32_t p = 1; p < n_pos; p++) m = s[p] > m ? s[p] : m;
        float sum = 0.0f;
        for (int32_t p = 0; p < n_pos; p++) {
            s[p] = expf(s[p] - m);
            sum += s[p];
        }
        const float inv = 1.0f / sum;
        for (int32_t p = 0; p < n_pos; p++) s[p] *= inv;
        memset(out + h * hd, 0, sizeof(float) * (size_t)hd);
    }
    for (int32_t p = 0; p < n_pos; p++) {
        const int64_t block = table[p / a->block_size];
        const int64_t off = ((block * a->n_kv_heads + g) * a->block_size + p % a->block_size) * hd;
        const float *v;
        if (a->kv_f16) {
            const _Float16 *v16 = (const _Float16 *)a->v_cache + off;
            for (int i = 0; i < hd; i++) row[i] = (float)v16[i];
            v = row;
        } else {
            v = (const float *)a->v_cache + off;
        }
        for (int h = 0; h < group; h++) {
            const float w = scores[(int64_t)h * n_pos + p];
            float *o = out + h * hd;
            for (int i = 0; i < hd; i++) o[i] += w * v[i];
        }
    }
}

#define ATTENTION_WORKER_BODY(TILE_SOFTMAX, FLASH_HD64)                         \
    (void)nth;                                                                  \
    attention_run *run = ctx;                                                   \
    const ck_attention_args *a = run->a;                                        \
    float *scores = a->scratch + (int64_t)ith * a->scratch_per_thread;          \
    const int64_t n_tasks = a->n_rows * a->n_kv_heads;                          \
    const int llama = ck_llama_numerics();                                      \
    for (;;) {                                                                  \
        const int64_t t = atomic_fetch_add(&run->next, 1);                      \
        if (t >= n_tasks) break;                                                \
        if (a->kv_f16 && llama)                                \
            (attention_row_in_long_chunk(a, t / a->n_kv_heads)                  \
                 ? attention_task_tiled_f16(a, t / a->n_kv_heads, (int)(t % a->n_kv_heads), TILE_SOFTMAX) \
                 : (FLASH_HD64 && a->head_dim == 64 && a->n_heads / a->n_kv_heads <= 8) \
                       ? FLASH_HD64(a, t / a->n_kv_heads, (int)(t % a->n_kv_heads))          \
                       : attention_task_flash_f16(a, t / a->n_kv_heads, (int)(t % a->n_kv_heads))); \
        else                                                                    \
            attention_task(a, t / a->n_kv_heads, (int)(t % a->n_kv_heads), scores); \
    }

static void attention_worker(void *ctx, int ith, int nth) { ATTENTION_WORKER_BODY(tile_softmax_portable, attention_task_flash_f16) }

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c"))) static void attention_worker_avx2(void *ctx, int ith, int nth) {
    ATTENTION_WORKER_BODY(tile_softmax_avx2, attention_task_flash_f16_hd64)
}
#endif

void ck_attention(ck_pool *pool, const ck_attention_args *args) {
    attention_run run = {.a = args};
    atomic_init(&run.next, 0);
#if defined(__x86_64__)
    if (ck_cpu_level() >= 1) {
        ck_pool_run_dynamic(pool, attention_worker_avx2, &run);
        return;
    }
#endif
    ck_pool_run_dynamic(pool, attention_worker, &run);
}
