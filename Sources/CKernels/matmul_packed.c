// ck_matmul_packed / ck_matmul_packed_many: activations are quantized once
// (rows split over the pool for big batches), then the pool's threads claim
// chunks of 16-column groups across all target matrices from one counter.
// One call for Q, K and V (or gate and up) shares the quantization and the
// pool hand-off, and keeps both cores busy even on the 192-column K/V.
#include "packed.h"
#include <stdatomic.h>

typedef struct {
    const ck_weights *cw;
    float *y;
    int64_t first_group;  // index of its first group in the job's numbering
} packed_target;

typedef struct {
    packed_target targets[CK_MATMUL_MANY_MAX];
    int count;
    int64_t total_groups;
    const ck_block_q8 *xq;
    int64_t n_rows;
    ck_packed_kernel_fn kernel;
    int64_t chunk;          // groups claimed per grab
    _Atomic int64_t next;   // first unclaimed group
} packed_job;

/// Group g of one matrix for every activation row, in row tiles of up to
/// CK_PACKED_MAX_ROWS (the group's weights stay in L1 across the tiles).
static void run_group(const packed_job *job, const packed_target *t, int64_t g) {
    const ck_packed_view *pv = &t->cw->view;
    int64_t n_out = t->cw->n_out;
    int full = (g + 1) * 16 <= n_out;
    float tail[CK_PACKED_MAX_ROWS * 16];
    for (int64_t r0 = 0; r0 < job->n_rows; r0 += CK_PACKED_MAX_ROWS) {
        int nr = (int)(job->n_rows - r0 < CK_PACKED_MAX_ROWS ? job->n_rows - r0 : CK_PACKED_MAX_ROWS);
        const ck_block_q8 *xq = job->xq + r0 * pv->nb;
        if (full) {
            job->kernel(pv, g, xq, nr, t->y + r0 * n_out + g * 16, n_out);
            continue;
        }
        job->kernel(pv, g, xq, nr, tail, 16);  // the last group is padded: copy only real columns
        for (int r = 0; r < nr; r++)
            for (int64_t c = 0; g * 16 + c < n_out; c++) t->y[(r0 + r) * n_out + g * 16 + c] = tail[r * 16 + c];
    }
}

static void packed_worker(void *ctx, int ith, int nth) {
    (void)ith;
    (void)nth;
    packed_job *job = (packed_job *)ctx;
    // Threads claim chunks dynamically: on a shared machine a descheduled
    // worker then delays the step by one chunk, not by half the work.
    for (;;) {
        int64_t begin = atomic_fetch_add_explicit(&job->next, job->chunk, memory_order_relaxed);
        if (begin >= job->total_groups) return;
        int64_t end = begin + job->chunk < job->total_groups ? begin + job->chunk : job->total_groups;
        int t = 0;
        for (int64_t i = begin; i < end; i++) {
            while (i >= job->targets[t].first_group + job->targets[t].cw->view.n_groups) t++;
            run_group(job, &job->targets[t], i - job->targets[t].first_group);
        }
    }
}

void ck_matmul_packed_many(ck_pool *pool, int count, const ck_weights *const *ws, const float *x, int64_t n_rows,
                           float *const *ys) {
    if (count <= 0 || n_rows <= 0 || !ws || !ys) return;
    if (count > CK_MATMUL_MANY_MAX) {  // more than one job holds: split
        ck_matmul_packed_many(pool, CK_MATMUL_MANY_MAX, ws, x, n_rows, ys);
        ck_matmul_packed_many(pool, count - CK_MATMUL_MANY_MAX, ws + CK_MATMUL_MANY_MAX, x, n_rows,
                              ys + CK_MATMUL_MANY_MAX);
        return;
    }
    int64_t n_in = ws[0] ? ws[0]->n_in : 0;
    for (int i = 0; i < count; i++)
        if (!ws[i] || !ys[i] || ws[i]->n_in != n_in) return;
    packed_job job = {.count = 0, .total_groups = 0, .n_rows = n_rows, .kernel = ck_select_packed_kernel()};
    for (int i = 0; i < count; i++) {
        const ck_weights *cw = ws[i];
        if (cw->view.kind == CK_PACK_NONE) {  // no packed layout: raw kernels, one call each
            ck_matmul(pool, cw->wtype, cw->data, cw->n_out, cw->n_in, x, n_rows, ys[i]);
            continue;
        }
        job.targets[job.count++] = (packed_target){.cw = cw, .y = ys[i], .first_group = job.total_groups};
        job.total_groups += cw->view.n_groups;
    }
    if (job.count == 0) return;
    job.xq = ck_quantize_activations(pool, x, n_rows, n_in);
    if (!job.xq) return;
    // About 4 chunks per thread: small enough to rebalance, large enough that
    // the shared counter is touched rarely.
    int64_t chunk = job.total_groups / (4 * ck_pool_size(pool));
    job.chunk = chunk < 1 ? 1 : chunk;
    atomic_init(&job.next, 0);
    ck_pool_run_dynamic(pool, packed_worker, &job);
}

void ck_matmul_packed(ck_pool *pool, const ck_weights *cw, const float *x, int64_t n_rows, float *y) {
    ck_matmul_packed_many(pool, 1, &cw, x, n_rows, &y);
}
