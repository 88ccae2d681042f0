// ck_matmul on raw GGUF layout: activations are quantized once per call to
// 8-bit blocks (quantized weight types) and every weight row is dotted with
// all activation rows while it is hot in L1, so the matrix streams from memory
// once per call. Threads split the output columns.
#include "ck_internal.h"

typedef struct {
    const uint8_t *w;
    int64_t row_bytes;
    int64_t n_out, n_in, n_rows;
    const float *x;
    const ck_block_q8 *xq;
    float *y;
    ck_dot_q8_fn dot_q8;
    ck_dot_f32_fn dot_f32;
} raw_job;

static void raw_worker(void *ctx, int ith, int nth) {
    const raw_job *job = (const raw_job *)ctx;
    int64_t begin, end;
    ck_split(job->n_out, ith, nth, &begin, &end);
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
        int64_t nb = n_in / CK_QK;
        ck_block_q8 *xq = ck_scratch((size_t)(n_rows * nb) * sizeof(ck_block_q8));
        if (!xq) return;
        ck_quantize_q8_fn quantize = ck_select_quantize_q8();
        for (int64_t r = 0; r < n_rows; r++) quantize(x + r * n_in, xq + r * nb, n_in);
        job.xq = xq;
        job.dot_q8 = ck_select_dot_q8(wtype);
    }
    ck_pool_run(pool, raw_worker, &job);
}
