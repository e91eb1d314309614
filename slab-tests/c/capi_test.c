/* The C ABI's test plan (Boreas's pull request), in C, on the host with
 * pthreads, against slab-core's `capi` feature through slab.h.
 *
 * Each capi_test_* function is one case; it returns the number of failed
 * checks (0 = passed) and prints every failure to stderr. slab-tests'
 * build.rs compiles this file with the cc crate; tests/capi.rs calls each
 * case from a #[test]. Only capi_test_boot() calls slab_core_boot(): the
 * other cases use slabs made with k_mem_slab_init, which need no boot. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "slab.h"

/* Per thread: the Rust test harness runs cases on threads of their own. */
static _Thread_local int failures;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "capi_test.c:%d: %s: check failed: %s\n", __LINE__, __func__, \
                    #cond);                                                             \
            failures++;                                                                 \
        }                                                                               \
    } while (0)

#define CHECK_EQ(left, right)                                                          \
    do {                                                                                \
        long long l_ = (long long)(left), r_ = (long long)(right);                      \
        if (l_ != r_) {                                                                 \
            fprintf(stderr, "capi_test.c:%d: %s: %s == %s: %lld != %lld\n", __LINE__,     \
                    __func__, #left, #right, l_, r_);                                   \
            failures++;                                                                 \
        }                                                                               \
    } while (0)

/* Used, free and max used, checked together. */
#define CHECK_COUNTS(slab, used, free_, max)                  \
    do {                                                      \
        CHECK_EQ(k_mem_slab_num_used_get(slab), (used));      \
        CHECK_EQ(k_mem_slab_num_free_get(slab), (free_));     \
        CHECK_EQ(k_mem_slab_max_used_get(slab), (max));       \
    } while (0)

/* slab.h's error numbers are this libc's. */
_Static_assert(SLAB_EAGAIN == EAGAIN && SLAB_ENOMEM == ENOMEM && SLAB_EFAULT == EFAULT &&
                   SLAB_ENODEV == ENODEV && SLAB_EINVAL == EINVAL,
               "slab.h's error numbers differ from <errno.h>");

static int finish(void) {
    int n = failures;
    failures = 0;
    return n;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_us(void) {
    return now_ns() / 1000u;
}

/* Yields until `slab` has `n` waiters: the signal that they are queued.
 * Fails (rather than hangs) after 10 s. */
static void wait_for_waiters(struct k_mem_slab *slab, uint32_t n) {
    uint64_t start = now_ns();
    while (k_mem_slab_num_waiting_get(slab) != n) {
        if (now_ns() - start > 10ull * 1000000000u) {
            fprintf(stderr, "capi_test.c: timed out waiting for %u waiters (have %u)\n", n,
                    k_mem_slab_num_waiting_get(slab));
            failures++;
            return;
        }
        sched_yield();
    }
}

#define BLOCK 32
#define BLOCKS 4

/* Init and accounting: zeroed storage is not initialised; init makes it
 * ready with every block free; counters follow alloc and free. */
int capi_test_init_and_accounting(void) {
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[BLOCK * BLOCKS];
    void *block = &block;

    CHECK_COUNTS(&slab, 0, 0, 0);
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_NO_WAIT), -ENODEV);
    CHECK(block == NULL);
    CHECK_EQ(k_mem_slab_free_checked(&slab, buffer), -ENODEV);

    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, BLOCKS), 0);
    CHECK_COUNTS(&slab, 0, BLOCKS, 0);
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_NO_WAIT), 0);
    CHECK_COUNTS(&slab, 1, BLOCKS - 1, 1);
    void *second = NULL;
    CHECK_EQ(k_mem_slab_alloc(&slab, &second, K_MSEC(10)), 0); /* free: at once */
    CHECK_COUNTS(&slab, 2, BLOCKS - 2, 2);
    k_mem_slab_free(&slab, block);
    CHECK_COUNTS(&slab, 1, BLOCKS - 1, 2);
    CHECK_EQ(k_mem_slab_free_checked(&slab, second), 0);
    CHECK_COUNTS(&slab, 0, BLOCKS, 2);
    return finish();
}

/* -EINVAL on bad parameters, and a refused call changes nothing. */
int capi_test_einval(void) {
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[BLOCK * BLOCKS + 8];
    void *block = NULL;

    /* k_mem_slab_init: each refused, the slab stays uninitialised. */
    CHECK_EQ(k_mem_slab_init(NULL, buffer, BLOCK, BLOCKS), -EINVAL);
    CHECK_EQ(k_mem_slab_init(&slab, NULL, BLOCK, BLOCKS), -EINVAL);
    CHECK_EQ(k_mem_slab_init(&slab, buffer, 0, BLOCKS), -EINVAL);
    CHECK_EQ(k_mem_slab_init(&slab, buffer, sizeof(void *) + 1, BLOCKS), -EINVAL);
    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, 0), -EINVAL);
    CHECK_EQ(k_mem_slab_init(&slab, buffer + 1, BLOCK, BLOCKS), -EINVAL);
    CHECK_EQ(k_mem_slab_init(&slab, buffer, SIZE_MAX / 2 + 1, 2), -EINVAL); /* overflows */
    CHECK_COUNTS(&slab, 0, 0, 0);
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_NO_WAIT), -ENODEV);

    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, BLOCKS), 0);
    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, BLOCKS), -EINVAL); /* already */
    CHECK_COUNTS(&slab, 0, BLOCKS, 0);

    /* k_mem_slab_alloc */
    CHECK_EQ(k_mem_slab_alloc(NULL, &block, K_NO_WAIT), -EINVAL);
    CHECK_EQ(k_mem_slab_alloc(&slab, NULL, K_NO_WAIT), -EINVAL);
    block = &block;
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, (k_timeout_t){ .ticks = -2 }), -EINVAL);
    CHECK(block == NULL);
    /* A negative count in a timeout macro is invalid, whatever the unit:
     * K_USEC(-1) (a deadline missed by a microsecond) is not K_FOREVER. */
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_USEC(-1)), -EINVAL);
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_USEC(-2)), -EINVAL);
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_MSEC(-1)), -EINVAL);
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_SECONDS(-1)), -EINVAL);
    CHECK(block == NULL);
    CHECK_COUNTS(&slab, 0, BLOCKS, 0);

    /* k_mem_slab_free_checked / k_mem_slab_free */
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_NO_WAIT), 0);
    int local = 0;
    CHECK_EQ(k_mem_slab_free_checked(NULL, block), -EINVAL);
    CHECK_EQ(k_mem_slab_free_checked(&slab, NULL), -EINVAL);
    CHECK_EQ(k_mem_slab_free_checked(&slab, &local), -EINVAL);                  /* foreign */
    CHECK_EQ(k_mem_slab_free_checked(&slab, (char *)block + 8), -EINVAL);       /* inside */
    CHECK_EQ(k_mem_slab_free_checked(&slab, buffer + BLOCK * BLOCKS), -EINVAL); /* past */
    k_mem_slab_free(&slab, &local);
    k_mem_slab_free(&slab, NULL);
    CHECK_COUNTS(&slab, 1, BLOCKS - 1, 1);
    CHECK_EQ(k_mem_slab_free_checked(&slab, block), 0);
    CHECK_EQ(k_mem_slab_free_checked(&slab, block), -EINVAL); /* double free */
    k_mem_slab_free(&slab, block);                            /* refused again */
    CHECK_COUNTS(&slab, 0, BLOCKS, 1);
    /* After the refused frees the free list is intact: every block once. */
    void *all[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        CHECK_EQ(k_mem_slab_alloc(&slab, &all[i], K_NO_WAIT), 0);
        for (int j = 0; j < i; j++) {
            CHECK(all[i] != all[j]);
        }
    }
    CHECK_EQ(k_mem_slab_alloc(&slab, &block, K_NO_WAIT), -ENOMEM);
    for (int i = 0; i < BLOCKS; i++) {
        CHECK_EQ(k_mem_slab_free_checked(&slab, all[i]), 0);
    }

    /* The clock: the host's here (slab-core with std), none to register. */
    CHECK_EQ(k_mem_slab_set_clock(NULL, 1000), -EINVAL);
    CHECK_EQ(k_mem_slab_set_clock(now_us, 0), -EINVAL);
    CHECK_EQ(k_mem_slab_set_clock(now_us, 1000000), SLAB_CORE_STD ? -SLAB_ENOTSUP : 0);

    /* Lookup */
    CHECK(k_mem_slab_find(NULL) == NULL);
    CHECK(k_mem_slab_find("no such slab") == NULL);
    CHECK(k_mem_slab_find("") == NULL);
    CHECK(k_mem_slab_find("\xc3\x28 not UTF-8") == NULL);
    CHECK_COUNTS(NULL, 0, 0, 0);
    return finish();
}

/* Blocks are distinct, inside the buffer at block starts, aligned, and do
 * not overlap: each keeps a pattern written over all of it. */
int capi_test_alloc_distinct(void) {
    enum { SIZE = 48, COUNT = 8 };
    static struct k_mem_slab slab;
    static _Alignas(16) unsigned char buffer[SIZE * COUNT];
    unsigned char *blocks[COUNT];

    CHECK_EQ(k_mem_slab_init(&slab, buffer, SIZE, COUNT), 0);
    for (int i = 0; i < COUNT; i++) {
        void *p = NULL;
        CHECK_EQ(k_mem_slab_alloc(&slab, &p, K_NO_WAIT), 0);
        blocks[i] = p;
        uintptr_t at = (uintptr_t)p, start = (uintptr_t)buffer;
        CHECK(at >= start && at + SIZE <= start + sizeof buffer);
        CHECK_EQ((at - start) % SIZE, 0);
        CHECK_EQ(at % sizeof(void *), 0);
        for (int j = 0; j < i; j++) {
            CHECK(blocks[i] != blocks[j]);
        }
        memset(p, 0x40 + i, SIZE);
    }
    for (int i = 0; i < COUNT; i++) {
        for (int k = 0; k < SIZE; k++) {
            if (blocks[i][k] != 0x40 + i) {
                fprintf(stderr, "capi_test.c: block %d byte %d overwritten\n", i, k);
                failures++;
                break;
            }
        }
    }
    for (int i = 0; i < COUNT; i++) {
        CHECK_EQ(k_mem_slab_free_checked(&slab, blocks[i]), 0);
    }
    CHECK_COUNTS(&slab, 0, COUNT, COUNT);
    return finish();
}

/* Exhaustion: -ENOMEM with K_NO_WAIT (and *mem NULL); max_used keeps the
 * high-water mark as blocks come back. */
int capi_test_exhaustion(void) {
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[BLOCK * BLOCKS];
    void *blocks[BLOCKS];

    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, BLOCKS), 0);
    for (int i = 0; i < BLOCKS; i++) {
        CHECK_EQ(k_mem_slab_alloc(&slab, &blocks[i], K_NO_WAIT), 0);
        CHECK_COUNTS(&slab, i + 1, BLOCKS - i - 1, i + 1);
    }
    void *none = &none;
    CHECK_EQ(k_mem_slab_alloc(&slab, &none, K_NO_WAIT), -ENOMEM);
    CHECK(none == NULL);
    CHECK_EQ(k_mem_slab_alloc(&slab, &none, K_MSEC(0)), -ENOMEM);
    CHECK_COUNTS(&slab, BLOCKS, 0, BLOCKS);

    CHECK_EQ(k_mem_slab_free_checked(&slab, blocks[0]), 0);
    CHECK_EQ(k_mem_slab_free_checked(&slab, blocks[1]), 0);
    CHECK_COUNTS(&slab, BLOCKS - 2, 2, BLOCKS);
    CHECK_EQ(k_mem_slab_alloc(&slab, &blocks[0], K_NO_WAIT), 0);
    CHECK_COUNTS(&slab, BLOCKS - 1, 1, BLOCKS);
    for (int i = 0; i < BLOCKS; i++) {
        if (i != 1) {
            CHECK_EQ(k_mem_slab_free_checked(&slab, blocks[i]), 0);
        }
    }
    CHECK_COUNTS(&slab, 0, BLOCKS, BLOCKS);
    return finish();
}

/* A blocking alloc with nothing freed returns -EAGAIN once at least the
 * timeout has passed, and leaves nothing behind. */
int capi_test_timeout(void) {
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[BLOCK];
    void *held = NULL, *none = &none;

    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, 1), 0);
    CHECK_EQ(k_mem_slab_alloc(&slab, &held, K_NO_WAIT), 0);
    uint64_t start = now_ns();
    CHECK_EQ(k_mem_slab_alloc(&slab, &none, K_MSEC(30)), -EAGAIN);
    uint64_t waited = now_ns() - start;
    CHECK(waited >= 30u * 1000000u); /* the contract: at least the timeout */
    CHECK(none == NULL);
    CHECK_EQ(k_mem_slab_alloc(&slab, &none, K_USEC(500)), -EAGAIN);
    CHECK_EQ(k_mem_slab_num_waiting_get(&slab), 0);
    CHECK_COUNTS(&slab, 1, 0, 1);
    CHECK_EQ(k_mem_slab_free_checked(&slab, held), 0);
    CHECK_COUNTS(&slab, 0, 1, 1);
    return finish();
}

/* Contents are not zeroed: a block freed and allocated again keeps every
 * byte past its first word (the free list's link). */
int capi_test_not_zeroed(void) {
    enum { SIZE = 64 };
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[SIZE];
    unsigned char *p = NULL;

    CHECK_EQ(k_mem_slab_init(&slab, buffer, SIZE, 1), 0);
    CHECK_EQ(k_mem_slab_alloc(&slab, (void **)&p, K_NO_WAIT), 0);
    memset(p, 0xA5, SIZE);
    CHECK_EQ(k_mem_slab_free_checked(&slab, p), 0);
    unsigned char *again = NULL;
    CHECK_EQ(k_mem_slab_alloc(&slab, (void **)&again, K_NO_WAIT), 0);
    CHECK(again == p);
    int kept = 0;
    for (size_t k = sizeof(void *); k < SIZE; k++) {
        kept += again[k] == 0xA5;
    }
    CHECK_EQ(kept, SIZE - sizeof(void *));
    CHECK_EQ(k_mem_slab_free_checked(&slab, again), 0);
    return finish();
}

struct waiter {
    struct k_mem_slab *slab;
    k_timeout_t timeout;
    void *block;
    int rc;
    int freed; /* k_mem_slab_free_checked of the block once served, or 1 */
    int give_back;
};

static void *wait_for_block(void *arg) {
    struct waiter *w = arg;
    w->rc = k_mem_slab_alloc(w->slab, &w->block, w->timeout);
    w->freed = 1;
    if (w->rc == 0 && w->give_back) {
        memset(w->block, 0x5A, BLOCK);
        w->freed = k_mem_slab_free_checked(w->slab, w->block);
    }
    return NULL;
}

/* A blocking alloc (K_FOREVER, then a long finite timeout) is woken by a
 * free from another thread, and gets exactly the freed block. */
int capi_test_woken_by_free(void) {
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[BLOCK];
    void *held = NULL;

    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, 1), 0);
    CHECK_EQ(k_mem_slab_alloc(&slab, &held, K_NO_WAIT), 0);
    k_timeout_t timeouts[] = { K_FOREVER, K_SECONDS(60) };
    for (int round = 0; round < 2; round++) {
        struct waiter w = { .slab = &slab, .timeout = timeouts[round], .rc = 1 };
        pthread_t thread;
        CHECK_EQ(pthread_create(&thread, NULL, wait_for_block, &w), 0);
        wait_for_waiters(&slab, 1);
        void *steal = &steal;
        CHECK_EQ(k_mem_slab_alloc(&slab, &steal, K_NO_WAIT), -ENOMEM);
        CHECK_EQ(k_mem_slab_free_checked(&slab, held), 0); /* to the waiter */
        CHECK_EQ(pthread_join(thread, NULL), 0);
        CHECK_EQ(w.rc, 0);
        CHECK(w.block == held);
        CHECK_EQ(k_mem_slab_num_waiting_get(&slab), 0);
        CHECK_COUNTS(&slab, 1, 0, 1);
        held = w.block; /* the waiter's now; this thread frees it next round */
    }
    CHECK_EQ(k_mem_slab_free_checked(&slab, held), 0);
    CHECK_COUNTS(&slab, 0, 1, 1);
    return finish();
}

/* More waiters than blocks: all are served, each block passed from waiter
 * to waiter by their frees. */
int capi_test_more_waiters(void) {
    enum { COUNT = 2, WAITERS = 8 };
    static struct k_mem_slab slab;
    static _Alignas(8) unsigned char buffer[BLOCK * COUNT];
    void *held[COUNT];
    struct waiter waiters[WAITERS];
    pthread_t threads[WAITERS];

    CHECK_EQ(k_mem_slab_init(&slab, buffer, BLOCK, COUNT), 0);
    for (int i = 0; i < COUNT; i++) {
        CHECK_EQ(k_mem_slab_alloc(&slab, &held[i], K_NO_WAIT), 0);
    }
    for (int i = 0; i < WAITERS; i++) {
        waiters[i] = (struct waiter){
            .slab = &slab, .timeout = K_FOREVER, .rc = 1, .give_back = 1 };
        CHECK_EQ(pthread_create(&threads[i], NULL, wait_for_block, &waiters[i]), 0);
    }
    wait_for_waiters(&slab, WAITERS);
    CHECK_COUNTS(&slab, COUNT, 0, COUNT);
    for (int i = 0; i < COUNT; i++) {
        CHECK_EQ(k_mem_slab_free_checked(&slab, held[i]), 0);
    }
    for (int i = 0; i < WAITERS; i++) {
        CHECK_EQ(pthread_join(threads[i], NULL), 0);
        CHECK_EQ(waiters[i].rc, 0);
        CHECK_EQ(waiters[i].freed, 0);
        uintptr_t at = (uintptr_t)waiters[i].block, start = (uintptr_t)buffer;
        CHECK(at == start || at == start + BLOCK);
    }
    CHECK_EQ(k_mem_slab_num_waiting_get(&slab), 0);
    CHECK_COUNTS(&slab, 0, COUNT, COUNT);
    return finish();
}

/* The Rust-declared slab capi_test_boot() is given ("rust-declared"),
 * imported by its registry symbol: harmless where Rust links the program,
 * and a link error if no crate declared it. */
K_MEM_SLAB_IMPORT_NAMED(rust_declared, "rust-declared");

/* A K_MEM_SLAB_DEFINE'd slab: rounded block size, aligned buffer. */
K_MEM_SLAB_DEFINE(c_defined, 20, 3, 8);
K_MEM_SLAB_DEFINE_STATIC(c_defined_static, 64, 2, 64);

/* DEFINE'd and Rust-declared slabs answer -ENODEV until boot; afterwards
 * both work, and k_mem_slab_find reaches them by name. `rust_name` names a
 * Rust-declared slab of `rust_blocks` blocks that nobody else uses. */
int capi_test_boot(const char *rust_name, uint32_t rust_blocks) {
    struct k_mem_slab *rust = k_mem_slab_find(rust_name);
    void *block = &block;

    CHECK(rust != NULL);
    CHECK(k_mem_slab_find("c_defined") == &c_defined);
    CHECK(k_mem_slab_find("c_defined_static") == &c_defined_static);
    CHECK_EQ(k_mem_slab_alloc(&c_defined, &block, K_NO_WAIT), -ENODEV);
    CHECK(block == NULL);
    CHECK_EQ(k_mem_slab_alloc(&c_defined, &block, K_FOREVER), -ENODEV);
    CHECK_EQ(k_mem_slab_alloc(rust, &block, K_NO_WAIT), -ENODEV);
    CHECK_COUNTS(&c_defined, 0, 0, 0);
    CHECK_COUNTS(rust, 0, 0, 0);
    /* Only boot initialises a DEFINE'd slab; init refuses it and a
     * Rust-declared one (and writes nothing into the registry). */
    static _Alignas(8) unsigned char other[64];
    CHECK_EQ(k_mem_slab_init(&c_defined, other, 32, 2), -EINVAL);
    CHECK_EQ(k_mem_slab_init(rust, other, 32, 2), -EINVAL);

    CHECK_EQ(slab_core_boot(), 0);
    CHECK_EQ(slab_core_boot(), 0); /* idempotent */

    CHECK_COUNTS(&c_defined, 0, 3, 0);
    CHECK_COUNTS(&c_defined_static, 0, 2, 0);
    CHECK_COUNTS(rust, 0, rust_blocks, 0);
    CHECK_EQ(k_mem_slab_init(&c_defined, other, 32, 2), -EINVAL); /* still */

    unsigned char *blocks[3];
    for (int i = 0; i < 3; i++) {
        int rc = k_mem_slab_alloc(&c_defined, (void **)&blocks[i], K_NO_WAIT);
        CHECK_EQ(rc, 0);
        if (rc != 0) {
            return finish(); /* the rest would touch a NULL block */
        }
        CHECK_EQ((uintptr_t)blocks[i] % 8, 0);
        memset(blocks[i], i, K_MEM_SLAB_WB_UP(20));
    }
    CHECK_EQ(k_mem_slab_alloc(&c_defined, &block, K_NO_WAIT), -ENOMEM);
    /* 20 bytes rounded up to the word: the blocks are that far apart. */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            intptr_t d = blocks[i] - blocks[j];
            CHECK(i == j || d >= (intptr_t)K_MEM_SLAB_WB_UP(20) ||
                  -d >= (intptr_t)K_MEM_SLAB_WB_UP(20));
        }
    }
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(k_mem_slab_free_checked(&c_defined, blocks[i]), 0);
    }
    CHECK_COUNTS(&c_defined, 0, 3, 3);

    void *wide = NULL;
    CHECK_EQ(k_mem_slab_alloc(&c_defined_static, &wide, K_NO_WAIT), 0);
    CHECK_EQ((uintptr_t)wide % 64, 0);
    CHECK_EQ(k_mem_slab_free_checked(&c_defined_static, wide), 0);

    /* The Rust-declared slab through its C handle; the Rust side checks
     * the counts it leaves: none used, max 2. */
    void *r1 = NULL, *r2 = NULL;
    CHECK_EQ(k_mem_slab_alloc(rust, &r1, K_NO_WAIT), 0);
    CHECK_EQ(k_mem_slab_alloc(rust, &r2, K_MSEC(5)), 0);
    CHECK(r1 != NULL && r2 != NULL && r1 != r2);
    CHECK_COUNTS(rust, 2, rust_blocks - 2, 2);
    CHECK_EQ(k_mem_slab_free_checked(rust, (char *)r1 + 1), -EINVAL);
    CHECK_EQ(k_mem_slab_free_checked(rust, r2), 0);
    CHECK_EQ(k_mem_slab_free_checked(rust, r2), -EINVAL); /* double free */
    CHECK_COUNTS(rust, 1, rust_blocks - 1, 2);
    k_mem_slab_free(rust, r1);
    CHECK_COUNTS(rust, 0, rust_blocks, 2);
    return finish();
}
