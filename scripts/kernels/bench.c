// Micro-benchmark of the CKernels matmul paths on SmolLM2-135M's shapes.
// Build and run: scripts/kernels/bench.sh [threads] [seconds-per-case]
// Weights are random but laid out as the real model (30 layers of Q4_1
// attention/FFN matrices plus the tied Q8_0 output matrix, ~97 MB), so every
// step streams them from memory as decode does. Reports per path and batch
// size: ms per step, tokens/s (rows per second) and GFLOP/s.
#include "CKernels.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N_LAYER = 30, N_EMBD = 576, N_FF = 1536, N_KV = 192, N_VOCAB = 49152 };

typedef struct { int64_t n_out, n_in; int type; } shape;
static const shape layer_shapes[] = {
    {N_EMBD, N_EMBD, CK_TYPE_Q4_1}, {N_KV, N_EMBD, CK_TYPE_Q4_1}, {N_KV, N_EMBD, CK_TYPE_Q4_1},
    {N_EMBD, N_EMBD, CK_TYPE_Q4_1}, {N_FF, N_EMBD, CK_TYPE_Q4_1}, {N_FF, N_EMBD, CK_TYPE_Q4_1},
    {N_EMBD, N_FF, CK_TYPE_Q4_1},
};
#define N_SHAPES (int)(sizeof(layer_shapes) / sizeof(layer_shapes[0]))
static const shape output_shape = {N_VOCAB, N_EMBD, CK_TYPE_Q8_0};

typedef struct { shape s; void *raw; ck_weights *packed; float *f32; } matrix;

static uint64_t rng_state = 12345;
static uint32_t rnd(void) { rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL; return (uint32_t)(rng_state >> 33); }

static void *random_blocks(const shape *s) {
    int64_t bytes = s->n_out * s->n_in / ck_type_block_size(s->type) * ck_type_block_bytes(s->type);
    uint8_t *p = malloc((size_t)bytes);
    for (int64_t i = 0; i < bytes; i++) p[i] = (uint8_t)rnd();
    int64_t bb = ck_type_block_bytes(s->type);
    for (int64_t off = 0; off < bytes; off += bb) {  // finite, small f16 scales
        p[off] = (uint8_t)rnd(); p[off + 1] = 0x1c;                                // ~0.004
        if (s->type == CK_TYPE_Q4_1) { p[off + 2] = (uint8_t)rnd(); p[off + 3] = 0xa0; }  // ~ -0.008
    }
    return p;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
// Process CPU time: with 1 thread, a measure of the kernel that other
// processes competing for the cores (a shared machine) do not inflate.
static double cpu_now(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

typedef enum { PATH_RAW, PATH_PACKED, PATH_MANY, PATH_SGEMM } path_kind;

static void run_step(ck_pool *pool, matrix *m, int n_mats, path_kind path, const float *x, float *y, int64_t rows, int with_output) {
    if (path == PATH_MANY) {  // as the engine would: QKV in one call, gate+up in one call
        for (int l = 0; l < N_LAYER; l++) {
            matrix *lm = m + l * N_SHAPES;
            const ck_weights *qkv[3] = {lm[0].packed, lm[1].packed, lm[2].packed};
            float *yq[3] = {y, y + rows * N_EMBD, y + rows * (N_EMBD + N_KV)};
            ck_matmul_packed_many(pool, 3, qkv, x, rows, yq);
            ck_matmul_packed(pool, lm[3].packed, x, rows, y);
            const ck_weights *gu[2] = {lm[4].packed, lm[5].packed};
            float *yg[2] = {y, y + rows * N_FF};
            ck_matmul_packed_many(pool, 2, gu, x, rows, yg);
            ck_matmul_packed(pool, lm[6].packed, x, rows, y);
        }
        if (with_output) ck_matmul_packed(pool, m[n_mats - 1].packed, x, rows, y);
        return;
    }
    for (int i = 0; i < n_mats; i++) {
        if (!with_output && m[i].s.n_out == N_VOCAB) continue;
        const shape *s = &m[i].s;
        if (path == PATH_RAW) ck_matmul(pool, s->type, m[i].raw, s->n_out, s->n_in, x, rows, y);
        else if (path == PATH_PACKED) ck_matmul_packed(pool, m[i].packed, x, rows, y);
        else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)s->n_out, (int)s->n_in, 1.0f, x,
                         (int)s->n_in, m[i].f32, (int)s->n_in, 0.0f, y, (int)s->n_out);
    }
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    int with_sgemm = argc > 3 ? atoi(argv[3]) : 1;
    ck_pool *pool = ck_pool_create(threads);
    openblas_set_num_threads(threads);
    int n_mats = N_LAYER * N_SHAPES + 1;
    matrix *m = calloc((size_t)n_mats, sizeof(matrix));
    double flop_per_row = 0, flop_body = 0;
    for (int i = 0; i < n_mats; i++) {
        m[i].s = i < N_LAYER * N_SHAPES ? layer_shapes[i % N_SHAPES] : output_shape;
        m[i].raw = random_blocks(&m[i].s);
        m[i].packed = ck_weights_create(m[i].s.type, m[i].raw, m[i].s.n_out, m[i].s.n_in);
        flop_per_row += 2.0 * m[i].s.n_out * m[i].s.n_in;
        if (m[i].s.n_out != N_VOCAB) flop_body += 2.0 * m[i].s.n_out * m[i].s.n_in;
        if (with_sgemm) {
            m[i].f32 = malloc((size_t)(m[i].s.n_out * m[i].s.n_in) * 4);
            for (int64_t r = 0; r < m[i].s.n_out; r++) {
                int64_t rb = m[i].s.n_in / ck_type_block_size(m[i].s.type) * ck_type_block_bytes(m[i].s.type);
                ck_dequantize_row(m[i].s.type, (uint8_t *)m[i].raw + r * rb, m[i].f32 + r * m[i].s.n_in, m[i].s.n_in);
            }
        }
    }
    printf("threads %d, cpu level %d, vnni %d; model matmuls %.3f GFLOP/token (%.3f without output)\n",
           ck_pool_size(pool), ck_cpu_level(), ck_cpu_has_vnni(), flop_per_row * 1e-9, flop_body * 1e-9);
    const int64_t row_counts[] = {1, 4, 16, 32, 128};
    float *x = malloc(128 * N_FF * 4), *y = malloc((size_t)128 * N_VOCAB * 4 + (size_t)128 * 4 * N_FF * 4);
    for (int i = 0; i < 128 * N_FF; i++) x[i] = (float)((int)(rnd() % 2001) - 1000) / 1000.0f;
    struct { const char *name; path_kind kind; int level; int vnni; } paths[] = {
        {"packed-many avx512-vnni", PATH_MANY, 2, 1}, {"packed avx512-vnni", PATH_PACKED, 2, 1},
        {"packed-many avx512bw", PATH_MANY, 2, 0}, {"packed avx512bw", PATH_PACKED, 2, 0},
        {"packed avx-vnni (ymm)", PATH_PACKED, 1, 1}, {"packed avx2", PATH_PACKED, 1, 0}, {"raw avx2", PATH_RAW, 1, 0},
        {"sgemm f32 (openblas)", PATH_SGEMM, 2, 1}, {"packed portable", PATH_PACKED, 0, 0},
    };
    int n_paths = sizeof(paths) / sizeof(paths[0]);
    const char *only = getenv("CK_BENCH_PATH");
    for (int wo = 1; wo >= 0; wo--) {
        printf("\n%s\n%-24s %5s %10s %10s %9s %12s %12s\n", wo ? "all matmuls incl. 49152x576 output" : "body only (no output matrix)",
               "path", "rows", "ms/step", "tokens/s", "GFLOP/s", "cpu-ms/step", "tok/cpu-s");
        for (int p = 0; p < n_paths; p++) {
            if (paths[p].kind == PATH_SGEMM && !with_sgemm) continue;
            if (only && !strstr(paths[p].name, only)) continue;
            ck_force_cpu_level(paths[p].level);
            ck_force_vnni(paths[p].vnni);
            if (paths[p].vnni && !(paths[p].level == 2 ? ck_cpu_has_vnni() : ck_cpu_has_avx_vnni())) continue;
            for (size_t rc = 0; rc < sizeof(row_counts) / sizeof(row_counts[0]); rc++) {
                int64_t rows = row_counts[rc];
                if (paths[p].level == 0 && rows > 4) continue;  // portable is only a reference
                run_step(pool, m, n_mats, paths[p].kind, x, y, rows, wo);  // warm up
                int iters = 0;
                double t0 = now(), c0 = cpu_now(), t;
                do { run_step(pool, m, n_mats, paths[p].kind, x, y, rows, wo); iters++; t = now() - t0; } while (t < seconds);
                double step = t / iters, cpu_step = (cpu_now() - c0) / iters;
                double fl = (wo ? flop_per_row : flop_body) * rows;
                printf("%-24s %5lld %10.3f %10.1f %9.1f %12.3f %12.1f\n", paths[p].name, (long long)rows, step * 1e3, rows / step,
                       fl / step * 1e-9, cpu_step * 1e3, rows / cpu_step);
                fflush(stdout);
            }
        }
    }
    ck_pool_destroy(pool);
    return 0;
}
