#ifndef SLUICE_CK_PACKED_H
#define SLUICE_CK_PACKED_H
// Packed ("x16 interleaved") weight layout used by ck_weights.
//
// Output columns are taken 16 at a time (a "group"; the last group is padded
// with zero columns). For 32-element block b of group g the 16 columns are
// interleaved 4 bytes at a time, so one 64-byte vector holds 4 consecutive
// weights of each of the 16 columns: exactly the operand of `vpdpbusd`, whose
// 16 int32 lanes then accumulate the 16 columns' dot products against one
// broadcast 4-byte group of activations. No horizontal sums are needed.
//
//   4-bit (Q4_0, Q4_1, Q4_K): 256 bytes per block, 4 vectors; in vector i, byte
//     4c+t holds column c's weight 8i+t in its low nibble and 8i+4+t in its
//     high nibble (unsigned 0..15).
//   8-bit (Q8_0): 512 bytes per block, 8 vectors; vector i byte 4c+t holds
//     column c's weight 4i+t XOR 0x80 (i.e. the signed weight + 128, unsigned).
//
// Per group the blocks' quants come first (64-byte aligned), then the f16
// scales d[nb][16], then (Q4_1, Q4_K) the offsets m[nb][16]; f16 except for
// Q4_K, whose 32-element sub-blocks become blocks with f32 d = d*sc and
// m = -dmin*min. A weight is d*q + m with m stored or implied: -8d (Q4_0),
// -128d (Q8_0, whose quants carry +128). So every kernel computes, per column
// and block,
//   d * d_a * sum(q * q_a) + m * s_a      (s_a = d_a * sum(q_a)).
#include "ck_internal.h"

enum { CK_PACK_NONE = 0, CK_PACK_Q4 = 1, CK_PACK_Q8 = 2 };

typedef struct {
    int kind;
    int64_t nb;           // 32-element blocks along n_in
    int64_t n_groups;     // ceil(n_out / 16)
    int64_t group_bytes;  // bytes of one group (quants + scales [+ offsets])
    int has_m;            // offsets stored (Q4_1, Q4_K)
    int scale_f32;        // scales/offsets are f32 (Q4_K), else f16
    float implied_m;      // else m = implied_m * d
    const uint8_t *data;
} ck_packed_view;

static inline int64_t ck_packed_quant_bytes(int kind) { return kind == CK_PACK_Q4 ? 256 : 512; }

static inline const uint8_t *ck_packed_qs(const ck_packed_view *pv, int64_t g) {
    return pv->data + g * pv->group_bytes;
}
/// Bytes per scale: f16 (Q4_0, Q4_1, Q8_0, exact copies) or f32 (Q4_K, whose
/// per-sub-block d*sc and dmin*m need more than f16's 11-bit mantissa).
static inline int64_t ck_packed_scale_bytes(const ck_packed_view *pv) { return pv->scale_f32 ? 4 : 2; }
/// Scales of group g: nb blocks x 16 columns.
static inline const uint8_t *ck_packed_d(const ck_packed_view *pv, int64_t g) {
    return ck_packed_qs(pv, g) + pv->nb * ck_packed_quant_bytes(pv->kind);
}
/// Offsets of group g (has_m only): nb blocks x 16 columns, after the scales.
static inline const uint8_t *ck_packed_m(const ck_packed_view *pv, int64_t g) {
    return ck_packed_d(pv, g) + pv->nb * 16 * ck_packed_scale_bytes(pv);
}

/// Computes y[r*ldy + c] (r < nr <= CK_PACKED_MAX_ROWS, c < 16) for group g and
/// activation rows xq + r*nb.
typedef void (*ck_packed_kernel_fn)(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr,
                                    float *y, int64_t ldy);
#define CK_PACKED_MAX_ROWS 8

void ck_packed_kernel_portable(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy);
#if CK_X86 && CK_HAVE_SIMD
void ck_packed_kernel_avx2(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy);
void ck_packed_kernel_avx_vnni(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy);
void ck_packed_kernel_avx512(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy);
void ck_packed_kernel_avx512_vnni(const ck_packed_view *pv, int64_t g, const ck_block_q8 *xq, int nr, float *y, int64_t ldy);
#endif
ck_packed_kernel_fn ck_select_packed_kernel(void);

struct ck_weights {
    int wtype;
    int64_t n_out, n_in;
    int64_t bytes;
    uint8_t *data;
    ck_packed_view view;  // kind CK_PACK_NONE: data is a GGUF-layout copy
};


#endif
