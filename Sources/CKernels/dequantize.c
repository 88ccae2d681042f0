// Dequantization of GGUF blocks to f32 (layouts in ck_internal.h). Not on the
// hot path (embedding lookups, load-time conversion, tests), so plain C.
#include "ck_internal.h"

int ck_type_supported(int wtype) { return ck_type_block_size(wtype) != 0; }

int64_t ck_type_block_size(int wtype) {
    switch (wtype) {
    case CK_TYPE_F32: case CK_TYPE_F16: case CK_TYPE_BF16: return 1;
    case CK_TYPE_Q4_0: case CK_TYPE_Q4_1: case CK_TYPE_Q8_0: return CK_QK;
    case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: return CK_QK_K;
    default: return 0;
    }
}

int64_t ck_type_block_bytes(int wtype) {
    switch (wtype) {
    case CK_TYPE_F32: return 4;
    case CK_TYPE_F16: case CK_TYPE_BF16: return 2;
    case CK_TYPE_Q4_0: return CK_Q4_0_BYTES;
    case CK_TYPE_Q4_1: return CK_Q4_1_BYTES;
    case CK_TYPE_Q8_0: return CK_Q8_0_BYTES;
    case CK_TYPE_Q4_K: return CK_Q4_K_BYTES;
    case CK_TYPE_Q5_K: return CK_Q5_K_BYTES;
    case CK_TYPE_Q6_K: return CK_Q6_K_BYTES;
    default: return 0;
    }
}

static void dequant_q4_0(const uint8_t *b, float *y) {
    float d = ck_read_f16(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((qs[j] & 15) - 8);
        y[j + 16] = d * (float)((qs[j] >> 4) - 8);
    }
}

static void dequant_q4_1(const uint8_t *b, float *y) {
    float d = ck_read_f16(b), m = ck_read_f16(b + 2);
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)(qs[j] & 15) + m;
        y[j + 16] = d * (float)(qs[j] >> 4) + m;
    }
}

static void dequant_q8_0(const uint8_t *b, float *y) {
    float d = ck_read_f16(b);
    const int8_t *qs = (const int8_t *)(b + 2);
    for (int j = 0; j < 32; j++) y[j] = d * (float)qs[j];
}

// Q4_K / Q5_K: 4 chunks of 64 elements; chunk c holds sub-blocks 2c (low
// nibbles of qs[32c..32c+31]) and 2c+1 (high nibbles). Q5_K adds bit 2c / 2c+1
// of qh[l] as the 5th bit (value 16).
static void dequant_q4_k(const uint8_t *b, float *y) {
    float d = ck_read_f16(b), dmin = ck_read_f16(b + 2);
    const uint8_t *scales = b + 4, *qs = b + 16;
    for (int c = 0; c < 4; c++) {
        uint8_t sc0, m0, sc1, m1;
        ck_scale_min_k4(2 * c, scales, &sc0, &m0);
        ck_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
        float d0 = d * sc0, n0 = dmin * m0, d1 = d * sc1, n1 = dmin * m1;
        for (int l = 0; l < 32; l++) {
            y[64 * c + l] = d0 * (float)(qs[32 * c + l] & 15) - n0;
            y[64 * c + 32 + l] = d1 * (float)(qs[32 * c + l] >> 4) - n1;
        }
    }
}

static void dequant_q5_k(const uint8_t *b, float *y) {
    float d = ck_read_f16(b), dmin = ck_read_f16(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
    for (int c = 0; c < 4; c++) {
        uint8_t sc0, m0, sc1, m1;
        ck_scale_min_k4(2 * c, scales, &sc0, &m0);
        ck_scale_min_k4(2 * c + 1, scales, &sc1, &m1);
        float d0 = d * sc0, n0 = dmin * m0, d1 = d * sc1, n1 = dmin * m1;
        for (int l = 0; l < 32; l++) {
            int lo = (qs[32 * c + l] & 15) | (((qh[l] >> (2 * c)) & 1) << 4);
            int hi = (qs[32 * c + l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4);
            y[64 * c + l] = d0 * (float)lo - n0;
            y[64 * c + 32 + l] = d1 * (float)hi - n1;
        }
    }
}

// Q6_K: two halves of 128; half h uses ql[64h..], qh[32h..], scales[8h..].
// Element 128h + 32s + l (s = 0..3, l = 0..31) takes the low (s even) or high
// (s odd) nibble of ql[l + 32*(s&1)] and bits 2s..2s+1 of qh[l]; its scale is
// scales[8h + 2s + l/16].
static void dequant_q6_k(const uint8_t *b, float *y) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *scales = (const int8_t *)(b + 192);
    float d = ck_read_f16(b + 208);
    for (int h = 0; h < 2; h++) {
        for (int s = 0; s < 4; s++) {
            for (int l = 0; l < 32; l++) {
                uint8_t byte = ql[64 * h + l + 32 * (s & 1)];
                int lo4 = (s < 2) ? (byte & 15) : (byte >> 4);
                int q = (lo4 | (((qh[32 * h + l] >> (2 * s)) & 3) << 4)) - 32;
                y[128 * h + 32 * s + l] = d * (float)scales[8 * h + 2 * s + l / 16] * (float)q;
            }
        }
    }
}

void ck_dequantize_row(int wtype, const void *src, float *dst, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    int64_t bs = ck_type_block_size(wtype), bb = ck_type_block_bytes(wtype);
    if (bs == 0) return;
    switch (wtype) {
    case CK_TYPE_F32:
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    case CK_TYPE_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = ck_read_f16(p + 2 * i);
        return;
    case CK_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = ck_bf16_to_f32(ck_read_u16(p + 2 * i));
        return;
    default:
        break;
    }
    for (int64_t i = 0; i < n / bs; i++) {
        const uint8_t *b = p + i * bb;
        float *y = dst + i * bs;
        switch (wtype) {
        case CK_TYPE_Q4_0: dequant_q4_0(b, y); break;
        case CK_TYPE_Q4_1: dequant_q4_1(b, y); break;
        case CK_TYPE_Q8_0: dequant_q8_0(b, y); break;
        case CK_TYPE_Q4_K: dequant_q4_k(b, y); break;
        case CK_TYPE_Q5_K: dequant_q5_k(b, y); break;
        case CK_TYPE_Q6_K: dequant_q6_k(b, y); break;
        default: return;
        }
    }
}
