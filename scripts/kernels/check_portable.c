// Driver for check_portable_build.sh: golden dequantization of every type and
// packed vs raw matmul, in a build without SIMD code.
#include "CKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void *read_file(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    rewind(f);
    void *b = malloc((size_t)*n);
    if (fread(b, 1, (size_t)*n, f) != (size_t)*n) { fclose(f); free(b); return NULL; }
    fclose(f);
    return b;
}

int main(void) {
    const char *names[] = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"};
    const int ids[] = {0, 1, 30, 2, 3, 8, 12, 13, 14};
    const int rows = 8, cols = 512;
    int failures = 0;
    if (ck_cpu_level() != 0) { printf("expected level 0, got %d\n", ck_cpu_level()); failures++; }
    ck_pool *pool = ck_pool_create(2);
    for (int t = 0; t < 9; t++) {
        char path[256];
        long nb, nf;
        snprintf(path, sizeof path, "Tests/SluiceEngineTests/Fixtures/quant/%s.bin", names[t]);
        unsigned char *raw = read_file(path, &nb);
        snprintf(path, sizeof path, "Tests/SluiceEngineTests/Fixtures/quant/%s.f32", names[t]);
        float *want = read_file(path, &nf);
        if (!raw || !want) { printf("%s: fixtures missing\n", names[t]); return 1; }
        float *got = malloc((size_t)nf);
        long row_bytes = nb / rows, bad = 0;
        for (int r = 0; r < rows; r++) ck_dequantize_row(ids[t], raw + r * row_bytes, got + r * cols, cols);
        for (long i = 0; i < nf / 4; i++) bad += got[i] != want[i];
        float x[3 * 512], y_raw[3 * 8], y_packed[3 * 8];
        for (int i = 0; i < 3 * 512; i++) x[i] = sinf((float)i * 0.37f);
        ck_matmul(pool, ids[t], raw, rows, cols, x, 3, y_raw);
        ck_weights *w = ck_weights_create(ids[t], raw, rows, cols);
        ck_matmul_packed(pool, w, x, 3, y_packed);
        ck_weights_destroy(w);
        double worst = 0;
        for (int i = 0; i < 24; i++) worst = fmax(worst, fabs(y_raw[i] - y_packed[i]) / (1 + fabs(y_raw[i])));
        printf("%-5s dequantize mismatches %ld, packed vs raw max rel diff %.2g\n", names[t], bad, worst);
        failures += bad != 0 || worst > 1e-4;
        free(raw); free(want); free(got);
    }
    ck_pool_destroy(pool);
    printf(failures ? "FAILED\n" : "ok\n");
    return failures != 0;
}
