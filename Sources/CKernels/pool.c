// Persistent thread pool: n-1 workers plus the calling thread. A run publishes
// (fn, ctx) and bumps a generation counter; workers spin on the counter for a
// short while (decode issues ~200 matmuls per token, microseconds apart, so a
// parked worker would pay a futex wake on each) and then park on a condition
// variable so an idle engine costs no CPU on a shared machine.
#define _GNU_SOURCE
#include "ck_internal.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if CK_X86
#include <immintrin.h>
#define CK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define CK_PAUSE() __asm__ __volatile__("yield")
#else
#define CK_PAUSE() ((void)0)
#endif

/// How long an idle worker spins before parking.
#define CK_SPIN_NS 200000LL

struct ck_pool {
    int n_threads;
    pthread_t *threads;
    void (*fn)(void *ctx, int ith, int nth);
    void *ctx;
    _Atomic uint64_t generation;
    _Atomic int remaining;
    _Atomic int sleepers;
    _Atomic int stop;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

typedef struct {
    ck_pool *pool;
    int ith;
} worker_arg;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/// Waits until the generation differs from `seen`; returns the new one.
static uint64_t wait_for_work(ck_pool *pool, uint64_t seen) {
    int64_t deadline = 0;
    for (int spins = 0;; spins++) {
        uint64_t g = atomic_load_explicit(&pool->generation, memory_order_acquire);
        if (g != seen || atomic_load_explicit(&pool->stop, memory_order_acquire)) return g;
        CK_PAUSE();
        if ((spins & 63) == 63) {
            int64_t t = now_ns();
            if (deadline == 0) deadline = t + CK_SPIN_NS;
            else if (t > deadline) break;
        }
    }
    // Park. sleepers is raised before re-checking the generation under the
    // mutex; the runner bumps the generation before reading sleepers, so one
    // of the two always sees the other (both seq_cst).
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add(&pool->sleepers, 1);
    uint64_t g;
    while ((g = atomic_load(&pool->generation)) == seen && !atomic_load(&pool->stop)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
    }
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->mutex);
    return g;
}

static void *worker_main(void *raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    ck_pool *pool = arg.pool;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_work(pool, seen);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        pool->fn(pool->ctx, arg.ith, pool->n_threads);
        atomic_fetch_sub_explicit(&pool->remaining, 1, memory_order_acq_rel);
    }
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

ck_pool *ck_pool_create(int n_threads) {
    int cpus = online_cpus();
    if (n_threads <= 0 || n_threads > cpus) n_threads = cpus;  // never more compute threads than cores
    ck_pool *pool = calloc(1, sizeof(ck_pool));
    if (!pool) return NULL;
    pool->n_threads = n_threads;
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->remaining, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->stop, 0);
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->threads = calloc((size_t)n_threads, sizeof(pthread_t));
    if (!pool->threads) { free(pool); return NULL; }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *arg = malloc(sizeof(worker_arg));
        if (arg) { arg->pool = pool; arg->ith = i; }
        if (!arg || pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) {
            free(arg);
            pool->n_threads = i;  // destroy joins only the workers started
            ck_pool_destroy(pool);
            return NULL;
        }
    }
    return pool;
}

void ck_pool_destroy(ck_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->n_threads; i++) pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    free(pool->threads);
    free(pool);
}

int ck_pool_size(const ck_pool *pool) { return pool ? pool->n_threads : 1; }

void ck_pool_run(ck_pool *pool, void (*fn)(void *ctx, int ith, int nth), void *ctx) {
    if (!pool || pool->n_threads == 1) {
        fn(ctx, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->ctx = ctx;
    atomic_store(&pool->remaining, pool->n_threads - 1);
    atomic_fetch_add(&pool->generation, 1);  // publishes fn/ctx (seq_cst)
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
    fn(ctx, 0, pool->n_threads);
    // Workers normally finish within microseconds of us; yield if one was
    // descheduled so we do not burn its core.
    for (int spins = 0; atomic_load_explicit(&pool->remaining, memory_order_acquire) > 0; spins++) {
        if (spins < 20000) CK_PAUSE();
        else sched_yield();
    }
}
