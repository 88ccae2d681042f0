// Persistent thread pool: n-1 workers plus the calling thread. A run publishes
// (fn, ctx) and bumps a generation counter; workers spin on it for a short
// while (decode issues ~200 matmuls per token, microseconds apart, so a parked
// worker would pay a futex wake on each) and then park on a condition variable
// so an idle engine costs no CPU on a shared machine.
//
// Two kinds of run:
// - ck_pool_run: every thread index runs exactly once (static splits).
// - ck_pool_run_dynamic: fn claims work itself; the caller runs it, and so
//   does each worker that shows up before the caller has finished. Then the
//   caller closes the run and waits only for workers already inside fn. A
//   worker that is descheduled or parked (other processes on the cores) costs
//   nothing: the caller does its share instead of waiting for it to wake.
//
// The run word is (generation << 1) | closed, changed only by the caller.
// Join protocol (all seq_cst): a worker announces itself (active++) and only
// then checks that the word still names the open run it woke for; the caller
// closes the run and only then reads active. Either the worker sees the run
// closed and leaves without touching fn/ctx, or the caller sees it and waits.
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
/// Pauses the caller spins waiting for workers before it starts yielding.
#define CK_WAIT_SPINS 2000

struct ck_pool {
    int n_threads;
    pthread_t *threads;
    void (*fn)(void *ctx, int ith, int nth);
    void *ctx;
    int dynamic;
    // Spinning workers read `run` continuously; keep the counters they and
    // the caller write on other cache lines.
    _Alignas(64) _Atomic uint64_t run;  // (generation << 1) | closed
    _Alignas(64) _Atomic int remaining;  // static runs: workers yet to finish fn
    _Atomic int active;                  // workers between announce and leave
    _Alignas(64) _Atomic int sleepers;
    _Atomic int stop;
    _Atomic int busy;       // a run is in progress (guards against nested/concurrent callers)
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

static uint64_t generation_of(uint64_t run) { return run >> 1; }

/// Waits until the generation differs from `seen` (or stop); returns the run word.
static uint64_t wait_for_work(ck_pool *pool, uint64_t seen) {
    int64_t deadline = 0;
    for (int spins = 0;; spins++) {
        uint64_t run = atomic_load_explicit(&pool->run, memory_order_acquire);
        if (generation_of(run) != seen || atomic_load_explicit(&pool->stop, memory_order_acquire)) return run;
        CK_PAUSE();
        if ((spins & 63) == 63) {
            int64_t t = now_ns();
            if (deadline == 0) deadline = t + CK_SPIN_NS;
            else if (t > deadline) break;
        }
    }
    // Park. sleepers is raised before re-checking under the mutex; the caller
    // publishes before reading sleepers, so one of the two sees the other.
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add(&pool->sleepers, 1);
    uint64_t run;
    while (generation_of(run = atomic_load(&pool->run)) == seen && !atomic_load(&pool->stop)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
    }
    atomic_fetch_sub(&pool->sleepers, 1);
    pthread_mutex_unlock(&pool->mutex);
    return run;
}

static void *worker_main(void *raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    ck_pool *pool = arg.pool;
    uint64_t seen = 0;
    for (;;) {
        uint64_t run = wait_for_work(pool, seen);
        if (atomic_load(&pool->stop)) return NULL;
        seen = generation_of(run);
        atomic_fetch_add(&pool->active, 1);
        if (atomic_load(&pool->run) == (seen << 1)) {  // still this run, and open
            pool->fn(pool->ctx, arg.ith, pool->n_threads);
            if (!pool->dynamic) atomic_fetch_sub(&pool->remaining, 1);
        }
        atomic_fetch_sub(&pool->active, 1);
    }
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

ck_pool *ck_pool_create(int n_threads) {
    int cpus = online_cpus();
    if (n_threads <= 0 || n_threads > cpus) n_threads = cpus;  // never more compute threads than cores
    size_t bytes = (sizeof(ck_pool) + 63) & ~(size_t)63;
    ck_pool *pool = aligned_alloc(64, bytes);  // the struct has 64-byte aligned members
    if (!pool) return NULL;
    memset(pool, 0, bytes);
    pool->n_threads = n_threads;
    atomic_init(&pool->run, 1);  // generation 0, closed
    atomic_init(&pool->remaining, 0);
    atomic_init(&pool->active, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->stop, 0);
    atomic_init(&pool->busy, 0);
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

/// Spins, then yields the core, until *counter is zero.
static void wait_until_zero(_Atomic int *counter) {
    for (int spins = 0; atomic_load_explicit(counter, memory_order_acquire) > 0; spins++) {
        if (spins < CK_WAIT_SPINS) CK_PAUSE();
        else sched_yield();
    }
}

static void publish(ck_pool *pool, void (*fn)(void *ctx, int ith, int nth), void *ctx, int dynamic) {
    // No wait for stragglers of the previous run: every worker that passed
    // the check for it has left (the previous caller waited for that), and
    // one that announced late compares the run word with its own generation,
    // fails, and leaves without reading the fields rewritten here.
    pool->fn = fn;
    pool->ctx = ctx;
    pool->dynamic = dynamic;
    atomic_store(&pool->remaining, pool->n_threads - 1);
    uint64_t next = generation_of(atomic_load(&pool->run)) + 1;
    atomic_store(&pool->run, next << 1);  // open; publishes the fields above
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->mutex);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);
    }
}

static void close_run(ck_pool *pool) { atomic_fetch_or(&pool->run, 1); }

/// Claims the pool for one run; fails when called from inside a run (a fn
/// that calls a matmul) or from a second thread, which then run inline.
static int acquire(ck_pool *pool) {
    return pool && pool->n_threads > 1 && !atomic_exchange_explicit(&pool->busy, 1, memory_order_acquire);
}

static void release(ck_pool *pool) { atomic_store_explicit(&pool->busy, 0, memory_order_release); }

void ck_pool_run(ck_pool *pool, void (*fn)(void *ctx, int ith, int nth), void *ctx) {
    if (!acquire(pool)) {
        fn(ctx, 0, 1);
        return;
    }
    publish(pool, fn, ctx, 0);
    fn(ctx, 0, pool->n_threads);
    wait_until_zero(&pool->remaining);  // every worker runs once, so wait for all
    close_run(pool);
    release(pool);
}

void ck_pool_run_dynamic(ck_pool *pool, void (*fn)(void *ctx, int ith, int nth), void *ctx) {
    if (!acquire(pool)) {
        fn(ctx, 0, 1);
        return;
    }
    publish(pool, fn, ctx, 1);
    fn(ctx, 0, pool->n_threads);
    close_run(pool);
    wait_until_zero(&pool->active);
    release(pool);
}
