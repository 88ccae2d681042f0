// Packed weights: a private copy of a matrix in the layout the fastest
// kernels want. See packed_layout in README.md.
#include "ck_internal.h"
#include <stdlib.h>

struct ck_weights {
    int wtype;
    int64_t n_out, n_in;
    int64_t bytes;
    uint8_t *data;  // GGUF layout copy
};

ck_weights *ck_weights_create(int wtype, const void *w, int64_t n_out, int64_t n_in) {
    int64_t bs = ck_type_block_size(wtype);
    if (bs == 0 || n_out <= 0 || n_in <= 0 || n_in % bs != 0 || !w) return NULL;
    ck_weights *cw = calloc(1, sizeof(ck_weights));
    if (!cw) return NULL;
    cw->wtype = wtype;
    cw->n_out = n_out;
    cw->n_in = n_in;
    cw->bytes = n_out * (n_in / bs) * ck_type_block_bytes(wtype);
    cw->data = aligned_alloc(64, (size_t)((cw->bytes + 63) & ~63LL));
    if (!cw->data) { free(cw); return NULL; }
    memcpy(cw->data, w, (size_t)cw->bytes);
    return cw;
}

void ck_weights_destroy(ck_weights *cw) {
    if (!cw) return;
    free(cw->data);
    free(cw);
}

int64_t ck_weights_n_out(const ck_weights *cw) { return cw->n_out; }
int64_t ck_weights_n_in(const ck_weights *cw) { return cw->n_in; }
int64_t ck_weights_bytes(const ck_weights *cw) { return cw->bytes; }

void ck_matmul_packed(ck_pool *pool, const ck_weights *cw, const float *x, int64_t n_rows, float *y) {
    ck_matmul(pool, cw->wtype, cw->data, cw->n_out, cw->n_in, x, n_rows, y);
}
