#ifndef SLUICE_CKERNELS_H
#define SLUICE_CKERNELS_H
// SIMD kernels for the inference engine (quantized dot products, matmul),
// with runtime CPU dispatch. See Sources/CKernels/README in ARCHITECTURE.md.
#include <stddef.h>
#include <stdint.h>

/// Which instruction set the dispatcher picked: 2 = AVX-512BW, 1 = AVX2, 0 = portable.
int ck_cpu_level(void);

#endif
