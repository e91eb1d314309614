/* A C program that links a Rust static library the ordinary way,
 *
 *   cc -I slab-core/include staticlib_main.c libcapi_fixture.a -lpthread -ldl -lm
 *
 * (fixtures/capi-staticlib, built with and without slab-core's `std`), and
 * reaches the slabs that library declares in Rust by name. Run by
 * tests/capi_staticlib.rs, which checks its exit status (the number of
 * failed checks, each printed to stderr) and its last line ("ok N").
 *
 * Compiled with -DSLAB_CORE_STD=0 or 1 to match the library. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "slab.h"

/* The route for a static library built without LTO: name the Rust slabs
 * this program uses ("POOL" and "single-block"), so that the linker takes
 * the archive members that declare them. With fat LTO the library is one
 * object and k_mem_slab_find alone reaches every slab
 * (-DSLAB_TEST_IMPORT=0). */
#ifndef SLAB_TEST_IMPORT
#define SLAB_TEST_IMPORT 1
#endif
#if SLAB_TEST_IMPORT
K_MEM_SLAB_IMPORT(POOL);
K_MEM_SLAB_IMPORT_NAMED(single_block, "single-block");
#endif
#ifdef SLAB_TEST_IMPORT_MISSING
K_MEM_SLAB_IMPORT(NOT_THERE); /* declared by no crate */
#endif

static int failures, checks;

#define CHECK_EQ(left, right)                                                              \
    do {                                                                                   \
        long long l_ = (long long)(left), r_ = (long long)(right);                         \
        checks++;                                                                          \
        if (l_ != r_) {                                                                    \
            fprintf(stderr, "staticlib_main.c:%d: %s == %s: %lld != %lld\n", __LINE__,    \
                    #left, #right, l_, r_);                                                \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

#define CHECK(cond) CHECK_EQ(!!(cond), 1)

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Finite timeouts on an empty slab, without and then with a clock
 * registered from C. */
static void timeouts(struct k_mem_slab *single) {
    void *held = NULL, *none = &none;
    CHECK_EQ(k_mem_slab_alloc(single, &held, K_NO_WAIT), 0);
    CHECK_EQ(k_mem_slab_set_clock(NULL, 1000000), -SLAB_EINVAL);
    CHECK_EQ(k_mem_slab_set_clock(now_us, 0), -SLAB_EINVAL);
#if SLAB_CORE_STD
    /* The host's clock: nothing to register, finite timeouts just work. */
    CHECK_EQ(k_mem_slab_set_clock(now_us, 1000000), -SLAB_ENOTSUP);
#else
    /* Bare metal without a clock: a finite timeout that has to wait is an
     * error code (Rust would panic; here the program must not abort). */
    CHECK_EQ(k_mem_slab_alloc(single, &none, K_MSEC(1)), -SLAB_ENOTSUP);
    CHECK(none == NULL);
    CHECK_EQ(k_mem_slab_alloc(single, &none, K_USEC(1)), -SLAB_ENOTSUP);
    CHECK_EQ(k_mem_slab_num_waiting_get(single), 0);
    CHECK_EQ(k_mem_slab_num_used_get(single), 1);
    /* A free block needs no clock. */
    CHECK_EQ(k_mem_slab_free_checked(single, held), 0);
    CHECK_EQ(k_mem_slab_alloc(single, &held, K_MSEC(1)), 0);
    CHECK_EQ(k_mem_slab_set_clock(now_us, 1000000), 0);
#endif
    uint64_t start = now_us();
    none = &none;
    CHECK_EQ(k_mem_slab_alloc(single, &none, K_MSEC(2)), -SLAB_EAGAIN);
    CHECK(now_us() - start >= 2000);
    CHECK(none == NULL);
    CHECK_EQ(k_mem_slab_num_waiting_get(single), 0);
    CHECK_EQ(k_mem_slab_free_checked(single, held), 0);
    CHECK_EQ(k_mem_slab_num_free_get(single), 1);
}

#if !SLAB_CORE_STD
/* A clock that stands still, counting its reads, and one far ahead. */
static atomic_uint still_reads;
static uint64_t still_clock(void) {
    atomic_fetch_add(&still_reads, 1);
    return 1000;
}
static uint64_t far_clock(void) {
    return UINT64_MAX / 2;
}

struct waiter {
    struct k_mem_slab *slab;
    void *block;
    int rc;
    atomic_int done;
};

static void *wait_for_block(void *arg) {
    struct waiter *w = arg;
    w->rc = k_mem_slab_alloc(w->slab, &w->block, K_MSEC(1));
    atomic_store(&w->done, 1);
    return NULL;
}

/* A clock registered while a wait is in progress is for the waits that
 * start afterwards (as slab_core::set_clock's): the wait in progress keeps
 * measuring its timeout with the clock it started with. Here that clock
 * stands still, so the wait ends only with the block freed to it; read
 * with the new clock, far ahead, it would end at once with -EAGAIN before
 * its timeout had elapsed. */
static void clock_replaced_during_a_wait(struct k_mem_slab *single) {
    void *held = NULL;
    CHECK_EQ(k_mem_slab_alloc(single, &held, K_NO_WAIT), 0);
    CHECK_EQ(k_mem_slab_set_clock(still_clock, 1000000), 0);
    struct waiter w = {.slab = single, .block = NULL, .rc = 1};
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, wait_for_block, &w), 0);
    /* Its deadline is computed (one read) and looked at (another). */
    while (atomic_load(&still_reads) < 2) {
        sched_yield();
    }
    CHECK_EQ(k_mem_slab_set_clock(far_clock, 1000000), 0);
    /* Two more reads of the clock it started with (one may have been under
     * way), or the end of the wait. */
    unsigned seen = atomic_load(&still_reads);
    while (!atomic_load(&w.done) && atomic_load(&still_reads) < seen + 2) {
        sched_yield();
    }
    CHECK_EQ(atomic_load(&w.done), 0);
    CHECK_EQ(k_mem_slab_free_checked(single, held), 0);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(w.rc, 0);
    CHECK_EQ(k_mem_slab_free_checked(single, w.block), 0);
    CHECK_EQ(k_mem_slab_set_clock(now_us, 1000000), 0);
}
#endif

int main(void) {
    struct k_mem_slab *pool = k_mem_slab_find("POOL");
    struct k_mem_slab *single = k_mem_slab_find("single-block");
    void *block = &block;

    /* Found by name before boot; -ENODEV until then. */
    CHECK(pool != NULL);
    CHECK(single != NULL);
    if (pool == NULL || single == NULL) {
        fprintf(stderr, "staticlib_main.c: the Rust-declared slabs are not in the program: "
                        "K_MEM_SLAB_IMPORT them, build the static library with fat LTO, "
                        "or link it whole (-Wl,--whole-archive)\n");
        return 1;
    }
    CHECK(pool != single);
    CHECK_EQ(k_mem_slab_alloc(pool, &block, K_NO_WAIT), -SLAB_ENODEV);
    CHECK(block == NULL);

    CHECK_EQ(slab_core_boot(), 0);
    CHECK_EQ(slab_core_boot(), 0); /* idempotent */

    /* Allocate and free through the handle. */
    CHECK_EQ(k_mem_slab_num_free_get(pool), 4);
    void *blocks[4];
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(k_mem_slab_alloc(pool, &blocks[i], K_NO_WAIT), 0);
        memset(blocks[i], 0x60 + i, 32);
    }
    CHECK_EQ(k_mem_slab_alloc(pool, &block, K_NO_WAIT), -SLAB_ENOMEM);
    CHECK_EQ(k_mem_slab_num_used_get(pool), 4);
    CHECK_EQ(k_mem_slab_free_checked(pool, (char *)blocks[1] + 8), -SLAB_EINVAL);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(((unsigned char *)blocks[i])[31], 0x60 + i);
        CHECK_EQ(k_mem_slab_free_checked(pool, blocks[i]), 0);
    }
    CHECK_EQ(k_mem_slab_free_checked(pool, blocks[0]), -SLAB_EINVAL); /* double free */
    CHECK_EQ(k_mem_slab_num_used_get(pool), 0);
    CHECK_EQ(k_mem_slab_max_used_get(pool), 4);
    /* A Rust-declared slab is not C's to initialise. */
    static _Alignas(8) unsigned char other[64];
    CHECK_EQ(k_mem_slab_init(pool, other, 32, 2), -SLAB_EINVAL);
    CHECK_EQ(k_mem_slab_num_free_get(pool), 4);

    /* Names that are not there. */
    CHECK(k_mem_slab_find("no such slab") == NULL);
    CHECK(k_mem_slab_find("POO") == NULL);
    CHECK(k_mem_slab_find("") == NULL);
    CHECK(k_mem_slab_find("\xff\xfePOOL") == NULL);
    static char long_name[1 << 16];
    memset(long_name, 'P', sizeof long_name - 1);
    CHECK(k_mem_slab_find(long_name) == NULL);

    timeouts(single);
#if !SLAB_CORE_STD
    clock_replaced_during_a_wait(single);
#endif

    printf("ok %d\n", checks);
    return failures;
}
