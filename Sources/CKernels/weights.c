// Packed weights (ck_weights): Q4_0, Q4_1, Q4_K and Q8_0 matrices are
// repacked at load into the x16-interleaved layout of packed.h; other types
// keep a private GGUF-layout copy and run through ck_matmul's kernels.
#include "packed.h"
#include <math.h>
#include <stdlib.h>

static int pack_kind(int wtype) {
    switch (wtype) {
    case CK_TYPE_Q4_0: case CK_TYPE_Q4_1: case CK_TYPE_Q4_K: return CK_PACK_Q4;
    case CK_TYPE_Q8_0: return CK_PACK_Q8;
    default: return CK_PACK_NONE;
    }
}

/// One 32-element block of column col: its quants (unsigned; Q8_0 + 128) and
/// its scale and offset, as f16 bits (Q4_0/Q4_1/Q8_0) or f32 (Q4_K).
typedef struct {
    uint8_t q[32];
    uint16_t d16, m16;
    float d32, m32;
} source_block;

static void read_source_block(const ck_weights *cw, const uint8_t *src, int64_t col, int64_t b, source_block *out) {
    int64_t bs = ck_type_block_size(cw->wtype);
    int64_t row_bytes = cw->n_in / bs * ck_type_block_bytes(cw->wtype);
    const uint8_t *row = src + col * row_bytes;
    memset(out, 0, sizeof *out);
    if (cw->wtype == CK_TYPE_Q4_K) {
        // Block b is sub-block j of super-block b/8: low (j even) or high nibbles
        // of qs[32*(j/2)..], value d*sc*q - dmin*min (ggml dequantize_row_q4_K).
        const uint8_t *sb = row + (b / 8) * CK_Q4_K_BYTES;
        int j = (int)(b % 8);
        uint8_t sc, mn;
        ck_scale_min_k4(j, sb + 4, &sc, &mn);
        out->d32 = ck_read_f16(sb) * (float)sc;
        out->m32 = -ck_read_f16(sb + 2) * (float)mn;
        const uint8_t *qs = sb + 16 + 32 * (j / 2);
        for (int l = 0; l < 32; l++) out->q[l] = (j & 1) ? (qs[l] >> 4) : (qs[l] & 15);
        return;
    }
    const uint8_t *blk = row + b * ck_type_block_bytes(cw->wtype);
    out->d16 = ck_read_u16(blk);
    switch (cw->wtype) {
    case CK_TYPE_Q4_0:
        for (int j = 0; j < 16; j++) { out->q[j] = blk[2 + j] & 15; out->q[j + 16] = blk[2 + j] >> 4; }
        break;
    case CK_TYPE_Q4_1:
        out->m16 = ck_read_u16(blk + 2);
        for (int j = 0; j < 16; j++) { out->q[j] = blk[4 + j] & 15; out->q[j + 16] = blk[4 + j] >> 4; }
        break;
    default:  // Q8_0
        for (int j = 0; j < 32; j++) out->q[j] = blk[2 + j] ^ 0x80;
        break;
    }
}

/// Packs group g: output columns 16g..16g+15 (rows of W); columns past n_out
/// get zero scales (and, for Q8_0, quants of 0).
static void pack_group(const ck_weights *cw, const uint8_t *src, int64_t g) {
    const ck_packed_view *pv = &cw->view;
    uint8_t *qs = (uint8_t *)ck_packed_qs(pv, g);
    uint8_t *dd = (uint8_t *)ck_packed_d(pv, g);
    uint8_t *mm = pv->has_m ? (uint8_t *)ck_packed_m(pv, g) : NULL;
    int64_t sbytes = ck_packed_scale_bytes(pv);
    for (int64_t b = 0; b < pv->nb; b++) {
        uint8_t *bq = qs + b * ck_packed_quant_bytes(pv->kind);
        for (int c = 0; c < 16; c++) {
            int64_t col = g * 16 + c;
            source_block blk;
            if (col < cw->n_out) {
                read_source_block(cw, src, col, b, &blk);
            } else {
                memset(&blk, 0, sizeof blk);
                if (pv->kind == CK_PACK_Q8) memset(blk.q, 0x80, 32);
            }
            int64_t at = (b * 16 + c) * sbytes;
            if (pv->scale_f32) {
                memcpy(dd + at, &blk.d32, 4);
                if (mm) memcpy(mm + at, &blk.m32, 4);
            } else {
                memcpy(dd + at, &blk.d16, 2);
                if (mm) memcpy(mm + at, &blk.m16, 2);
            }
            if (pv->kind == CK_PACK_Q4) {
                for (int i = 0; i < 4; i++)
                    for (int t = 0; t < 4; t++)
                        bq[64 * i + 4 * c + t] = (uint8_t)(blk.q[8 * i + t] | (blk.q[8 * i + 4 + t] << 4));
            } else {
                for (int i = 0; i < 8; i++)
                    for (int t = 0; t < 4; t++) bq[64 * i + 4 * c + t] = blk.q[4 * i + t];
            }
        }
    }
}

ck_weights *ck_weights_create(int wtype, const void *w, int64_t n_out, int64_t n_in) {
    int64_t bs = ck_type_block_size(wtype);
    if (bs == 0 || n_out <= 0 || n_in <= 0 || n_in % bs != 0 || !w) return NULL;
    ck_weights *cw = calloc(1, sizeof(ck_weights));
    if (!cw) return NULL;
    cw->wtype = wtype;
    cw->n_out = n_out;
    cw->n_in = n_in;
    int kind = pack_kind(wtype);
    if (kind == CK_PACK_NONE) {
        cw->bytes = n_out * (n_in / bs) * ck_type_block_bytes(wtype);
    } else {
        cw->view.kind = kind;
        cw->view.nb = n_in / CK_QK;
        cw->view.n_groups = (n_out + 15) / 16;
        cw->view.has_m = wtype == CK_TYPE_Q4_1 || wtype == CK_TYPE_Q4_K;
        cw->view.scale_f32 = wtype == CK_TYPE_Q4_K;
        cw->view.implied_m = wtype == CK_TYPE_Q4_0 ? -8.0f : wtype == CK_TYPE_Q8_0 ? -128.0f : 0.0f;
        int64_t scale_bytes = 16 * ck_packed_scale_bytes(&cw->view) * (cw->view.has_m ? 2 : 1);
        cw->view.group_bytes = cw->view.nb * (ck_packed_quant_bytes(kind) + scale_bytes);
        cw->view.group_bytes = (cw->view.group_bytes + 63) & ~63LL;
        cw->bytes = cw->view.n_groups * cw->view.group_bytes;
    }
    cw->data = aligned_alloc(64, (size_t)((cw->bytes + 63) & ~63LL));
    if (!cw->data) { free(cw); return NULL; }
    if (kind == CK_PACK_NONE) {
        memcpy(cw->data, w, (size_t)cw->bytes);
    } else {
        memset(cw->data, 0, (size_t)cw->bytes);
        cw->view.data = cw->data;
        for (int64_t g = 0; g < cw->view.n_groups; g++) pack_group(cw, (const uint8_t *)w, g);
    }
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

// MARK: Portable kernel (defines the packed format's arithmetic)

static float packed_scale(const ck_packed_view *pv, const uint8_t *base, int64_t i) {
    if (pv->scale_f32) {
        float f;
        memcpy(&f, base + 4 * i, 4);
        return f;
    }
    return ck_read_f16(base + 2 * i);
}

// llama.cpp-identical rounding for Q4_0, Q4_1 and Q8_0 (ggml's x86 dot
// products): per output 8 float lanes, lane k accumulating
// fmaf(d_w*d_a, exact int dot of elements 4k..4k+3) over the blocks, summed
// ((l4+l0)+(l6+l2))+((l5+l1)+(l7+l3)); Q4_1 adds fmaf(m_w, s_a, summs) after.
// Defines the results the SIMD lane kernels must reproduce bit for bit.
static void packed_lanes_portable(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y,
                                  int64_t ldy) {
    const uint8_t *qs = ck_packed_qs(pv, g);
    const uint8_t *dd = ck_packed_d(pv, g);
    const uint8_t *mm = pv->has_m ? ck_packed_m(pv, g) : NULL;
    const int q4_offset = pv->kind == CK_PACK_Q4 && !pv->has_m ? 8 : 0;  // Q4_0 weights are q - 8
    for (int r = 0; r < nr; r++) {
        const ck_block_q8 *a = xq + r * pv->nb;
        for (int c = 0; c < 16; c++) {
            float lane[8] = {0}, summs = 0.0f;
            for (int64_t b = 0; b < pv->nb; b++) {
                const float dwa = ck_read_f16(dd + 2 * (b * 16 + c)) * a[b].d;
                for (int k = 0; k < 8; k++) {
                    int l = 0;
                    for (int t = 0; t < 4; t++) {
                        int w;
                        if (pv->kind == CK_PACK_Q4) {
                            uint8_t v = qs[b * 256 + 64 * (k / 2) + 4 * c + t];
                            w = ((k & 1) ? v >> 4 : v & 15) - q4_offset;
                        } else {
                            w = (int)qs[b * 512 + 64 * k + 4 * c + t] - 128;
                        }
                        l += w * a[b].q[4 * k + t];
                    }
                    lane[k] = fmaf(dwa, (float)l, lane[k]);
                }
                if (mm) summs = fmaf(ck_read_f16(mm + 2 * (b * 16 + c)), a[b].s_q8_1, summs);
            }
            float t = ((lane[4] + lane[0]) + (lane[6] + lane[2])) + ((lane[5] + lane[1]) + (lane[7] + lane[3]));
            y[r * ldy + c] = mm ? t + summs : t;
        }
    }
}

void ck_packed_kernel_portable(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy) {
    const uint8_t *qs = ck_packed_qs(pv, g);
    const uint8_t *dd = ck_packed_d(pv, g);
    const uint8_t *mm = pv->has_m ? ck_packed_m(pv, g) : NULL;
    if (!pv->scale_f32 && ck_llama_numerics()) {
        packed_lanes_portable(pv, g, xq, nr, y, ldy);
        return;
    }
    for (int r = 0; r < nr; r++) {
        float acc[16] = {0};
        const ck_block_q8 *a = xq + r * pv->nb;
        for (int64_t b = 0; b < pv->nb; b++) {
            for (int c = 0; c < 16; c++) {
                int isum = 0;
                if (pv->kind == CK_PACK_Q4) {
                    const uint8_t *bq = qs + b * 256;
                    for (int i = 0; i < 4; i++)
                        for (int t = 0; t < 4; t++) {
                            uint8_t v = bq[64 * i + 4 * c + t];
                            isum += (v & 15) * a[b].q[8 * i + t] + (v >> 4) * a[b].q[8 * i + 4 + t];
                        }
                } else {
                    const uint8_t *bq = qs + b * 512;
                    for (int i = 0; i < 8; i++)
                        for (int t = 0; t < 4; t++) isum += bq[64 * i + 4 * c + t] * a[b].q[4 * i + t];
                }
                float d = packed_scale(pv, dd, b * 16 + c);
                acc[c] += d * a[b].d * (float)isum;
                acc[c] += mm ? packed_scale(pv, mm, b * 16 + c) * (pv->scale_f32 ? a[b].s : a[b].s_q8_1) : pv->implied_m * d * a[b].s;
            }
        }
        for (int c = 0; c < 16; c++) y[r * ldy + c] = acc[c];
    }
}
