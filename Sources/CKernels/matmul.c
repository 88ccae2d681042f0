// ck_matmul on raw GGUF layout: activations are quantized once per call to
// 8-bit blocks (quantized weight types) and every weight row is dotted with
// all activation rows while it is hot in L1, so the matrix streams from memory
// once per call. Threads claim chunks of output columns.
#include "ck_internal.h"
#include <stdatomic.h>

typedef struct {
    const uint8_t *w;
    int64_t row_bytes;
    int64_t n_out, n_in, n_rows;
    const float *x;
    const ck_block_q8 *xq;
    float *y;
    ck_dot_q8_fn dot_q8;
    ck_dot_f32_fn dot_f32;
    int64_t chunk;          // output rows claimed per grab
    _Atomic int64_t next;   // first unclaimed output row
} raw_job;

static void raw_rows(const raw_job *job, int64_t begin, int64_t end) {
    int64_t nb = job->n_in / CK_QK;
    for (int64_t o = begin; o < end; o++) {
        const uint8_t *row = job->w + o * job->row_bytes;
        if (job->dot_q8) {
            for (int64_t r = 0; r < job->n_rows; r++)
                job->y[r * job->n_out + o] = job->dot_q8(job->n_in, row, job->xq + r * nb);
        } else {
            for (int64_t r = 0; r < job->n_rows; r++)
                job->y[r * job->n_out + o] = job->dot_f32(job->n_in, row, job->x + r * job->n_in);
        }
    }
}

static void raw_worker(void *ctx, int ith, int nth) {
    (void)ith;
    (void)nth;
    raw_job *job = (raw_job *)ctx;
    for (;;) {
        int64_t begin = atomic_fetch_add_explicit(&job->next, job->chunk, memory_order_relaxed);
        if (begin >= job->n_out) return;
        raw_rows(job, begin, begin + job->chunk < job->n_out ? begin + job->chunk : job->n_out);
    }
}

typedef struct {
    const float *x;
    ck_block_q8 *xq;
    int64_t n_in, n_rows;
    ck_quantize_q8_fn quantize;
    _Atomic int64_t next;
} quantize_job;

static void quantize_worker(void *ctx, int ith, int nth) {
    (void)ith;
    (void)nth;
    quantize_job *job = (quantize_job *)ctx;
    int64_t nb = job->n_in / CK_QK;
    for (;;) {
        int64_t r = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (r >= job->n_rows) return;
        job->quantize(job->x + r * job->n_in, job->xq + r * nb, job->n_in);
    }
}

/// Quantizes x [n_rows][n_in] into scratch; on the pool when the batch is big
/// enough for the hand-off to pay (~16k values).
ck_block_q8 *ck_quantize_activations(ck_pool *pool, const float *x, int64_t n_rows, int64_t n_in) {
    int64_t nb = n_in / CK_QK;
    ck_block_q8 *xq = ck_scratch((size_t)(n_rows * nb) * sizeof(ck_block_q8));
    if (!xq) return NULL;
    quantize_job job = {.x = x, .xq = xq, .n_in = n_in, .n_rows = n_rows, .quantize = ck_select_quantize_q8()};
    atomic_init(&job.next, 0);
    if (n_rows * n_in >= 16384 && ck_pool_size(pool) > 1) ck_pool_run_dynamic(pool, quantize_worker, &job);
    else quantize_worker(&job, 0, 1);
    return xq;
}



void ck_matmul(ck_pool *pool, int wtype, const void *w, int64_t n_out, int64_t n_in,
               const float *x, int64_t n_rows, float *y) {
    int64_t bs = ck_type_block_size(wtype);
    if (bs == 0 || n_out <= 0 || n_rows <= 0 || n_in <= 0 || n_in % bs != 0) return;
    raw_job job = {
        .w = (const uint8_t *)w,
        .row_bytes = n_in / bs * ck_type_block_bytes(wtype),
        .n_out = n_out, .n_in = n_in, .n_rows = n_rows,
        .x = x, .xq = NULL, .y = y, .dot_q8 = NULL, .dot_f32 = NULL,
    };
    if (ck_type_is_float(wtype)) {
        job.dot_f32 = ck_select_dot_f32(wtype);
    } else {
        job.xq = ck_quantize_activations(pool, x, n_rows, n_in);
        if (!job.xq) return;
        job.dot_q8 = ck_select_dot_q8(wtype);
    }
    int64_t chunk = n_out / (8 * ck_pool_size(pool));
    job.chunk = chunk < 1 ? 1 : chunk;
    atomic_init(&job.next, 0);
    ck_pool_run_dynamic(pool, raw_worker, &job);
}
