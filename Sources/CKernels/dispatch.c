// Runtime CPU dispatch. The SIMD translation units compile every function with
// a per-function target attribute, so the binary runs on any x86-64 (and on
// other architectures with the portable path); which path runs is decided here.
#include "packed.h"
#include <stdatomic.h>
#include <stdlib.h>

// Forcing is per calling thread so that tests running in parallel can each
// pin a path; kernels are always selected on the calling thread, before work
// is handed to the pool.
static _Thread_local int forced_level = -1;
static _Thread_local int vnni_disabled = 0;

int ck_cpu_level_detected(void) {
#if CK_X86 && (defined(__GNUC__) || defined(__clang__))
    static _Atomic int cached = -1;
    int level = atomic_load_explicit(&cached, memory_order_relaxed);
    if (level >= 0) return level;
    __builtin_cpu_init();
    level = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) level = 1;
    if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) level = 2;
    atomic_store_explicit(&cached, level, memory_order_relaxed);
    return level;
#else
    return 0;
#endif
}

int ck_cpu_level(void) {
    int detected = ck_cpu_level_detected();
    int forced = forced_level;
    return (forced >= 0 && forced < detected) ? forced : detected;
}

void ck_force_cpu_level(int level) {
    forced_level = level < 0 ? -1 : level;
}

int ck_cpu_has_vnni(void) {
#if CK_X86 && (defined(__GNUC__) || defined(__clang__))
    return ck_cpu_level_detected() >= 2 && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

void ck_force_vnni(int enabled) { vnni_disabled = enabled ? 0 : 1; }

int ck_cpu_has_avx_vnni(void) {
#if CK_X86 && (defined(__GNUC__) || defined(__clang__))
    return ck_cpu_level_detected() >= 1 && __builtin_cpu_supports("avxvnni");
#else
    return 0;
#endif
}

int ck_use_vnni(void) { return ck_cpu_has_vnni() && !vnni_disabled; }

ck_dot_q8_fn ck_select_dot_q8(int wtype) {
    ck_dot_q8_fn fn = NULL;
#if CK_X86 && CK_HAVE_SIMD
    int level = ck_cpu_level();
    // Raw GGUF rows: the AVX2 kernels serve the AVX-512 level too (the packed
    // layout is the fast path there).
    if (level >= 1) fn = ck_dot_q8_avx2(wtype);
#endif
    return fn ? fn : ck_dot_q8_portable(wtype);
}

ck_dot_f32_fn ck_select_dot_f32(int wtype) {
    ck_dot_f32_fn fn = NULL;
#if CK_X86 && CK_HAVE_SIMD
    int level = ck_cpu_level();
    if (level >= 1) fn = ck_dot_f32_avx2(wtype);
#endif
    return fn ? fn : ck_dot_f32_portable(wtype);
}

ck_quantize_q8_fn ck_select_quantize_q8(void) {
#if CK_X86 && CK_HAVE_SIMD
    if (ck_cpu_level() >= 1) return ck_quantize_row_q8_avx2;
#endif
    return ck_quantize_row_q8_portable;
}

void ck_quantize_row_q8(const float *x, ck_block_q8 *dst, int64_t n) { ck_select_quantize_q8()(x, dst, n); }

ck_packed_kernel_fn ck_select_packed_kernel(void) {
#if CK_X86 && CK_HAVE_SIMD
    int level = ck_cpu_level();
    if (level >= 2) return ck_use_vnni() ? ck_packed_kernel_avx512_vnni : ck_packed_kernel_avx512;
    if (level >= 1) return ck_cpu_has_avx_vnni() && !vnni_disabled ? ck_packed_kernel_avx_vnni : ck_packed_kernel_avx2;
#endif
    return ck_packed_kernel_portable;
}

static _Thread_local void *scratch_ptr = NULL;
static _Thread_local size_t scratch_cap = 0;

void *ck_scratch(size_t bytes) {
    if (bytes <= scratch_cap) return scratch_ptr;
    size_t cap = bytes + bytes / 2 + 4096;
    cap = (cap + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, cap);
    if (!p) return NULL;
    free(scratch_ptr);
    scratch_ptr = p;
    scratch_cap = cap;
    return p;
}

static _Atomic int llama_numerics = 1;

void ck_set_llama_numerics(int enabled) {
    atomic_store_explicit(&llama_numerics, enabled ? 1 : 0, memory_order_relaxed);
}

int ck_llama_numerics(void) { return atomic_load_explicit(&llama_numerics, memory_order_relaxed); }

int ck_q8_llama_rounding(void) { return ck_llama_numerics(); }
