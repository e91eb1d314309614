/* Mixed C firmware: C code that allocates from a Rust-declared slab (found
 * by its registry name) in thread mode and frees its blocks from an
 * interrupt handler written in C, plus a slab C defines itself
 * (K_MEM_SLAB_DEFINE, threaded by slab_core::boot()). Compiled for the
 * firmware's target with arm-none-eabi-gcc by build.rs; src/c_abi.rs
 * drives it and checks what it recorded. */
#include <stdint.h>

#include "slab.h"

/* The device interrupt the C handler serves (IRQ 0 is the Rust doorbell). */
#define C_IRQ 1u
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ISPR0 (*(volatile uint32_t *)0xE000E200u)
#define MAX_PARKED 8

K_MEM_SLAB_DEFINE_STATIC(c_scratch, 16, 2, 8);

/* The Rust-declared slab c_abi_run() is given: a link error, naming
 * the slab's registry symbol, if no crate declared it. */
K_MEM_SLAB_IMPORT(POOL);

static uint64_t no_clock(void) {
    return 0;
}

/* What the handler did; read by Rust through c_abi_log(). */
struct c_abi_log {
    uint32_t handler_runs;
    uint32_t freed;          /* parked blocks freed by the handler */
    uint32_t double_refused; /* a second free of a block: -EINVAL */
    uint32_t handler_allocs; /* K_NO_WAIT alloc inside the handler: 0 */
    uint32_t errors;         /* any other result inside the handler */
    uint32_t ipsr;           /* the exception number the handler ran as */
};

static volatile struct c_abi_log log;
static struct k_mem_slab *volatile pool;
static void *volatile parked[MAX_PARKED];
static volatile uint32_t parked_count;

static uint32_t ipsr(void) {
    uint32_t value;
    __asm volatile("mrs %0, ipsr" : "=r"(value));
    return value;
}

/* The interrupt handler, in C (Rust's DefaultHandler dispatches IRQ 1 to
 * it): frees every parked block, refuses a double free, and allocates
 * with K_NO_WAIT, as interrupt handlers may. */
void c_abi_irq_handler(void) {
    log.handler_runs++;
    log.ipsr = ipsr();
    uint32_t n = parked_count;
    for (uint32_t i = 0; i < n; i++) {
        if (k_mem_slab_free_checked(pool, parked[i]) == 0) {
            log.freed++;
        } else {
            log.errors++;
        }
    }
    if (n > 0) {
        if (k_mem_slab_free_checked(pool, parked[0]) == -SLAB_EINVAL) {
            log.double_refused++;
        } else {
            log.errors++;
        }
    }
    parked_count = 0;
    void *block = (void *)0;
    if (k_mem_slab_alloc(pool, &block, K_NO_WAIT) == 0 && block != (void *)0) {
        log.handler_allocs++;
        k_mem_slab_free(pool, block);
    } else {
        log.errors++;
    }
}

/* Thread mode: takes every block of the Rust-declared slab `name` (of
 * `blocks` blocks) from C, parks them and pends the C interrupt, whose
 * handler frees them. Returns 0, or the line of the first failed check. */
int c_abi_run(const char *name, uint32_t blocks) {
#define EXPECT(cond)          \
    do {                      \
        if (!(cond)) {        \
            return __LINE__;  \
        }                     \
    } while (0)
    EXPECT(blocks >= 1 && blocks <= MAX_PARKED);
    /* Bad clocks are refused and change nothing (Rust registered the
     * SysTick clock, which the K_MSEC(2) wait below is measured with). */
    EXPECT(k_mem_slab_set_clock((uint64_t (*)(void))0, 1000) == -SLAB_EINVAL);
    EXPECT(k_mem_slab_set_clock(no_clock, 0) == -SLAB_EINVAL);
    pool = k_mem_slab_find(name);
    EXPECT(pool != (void *)0);
    EXPECT(k_mem_slab_find("NO SUCH SLAB") == (void *)0);
    EXPECT(k_mem_slab_num_used_get(pool) == 0);
    EXPECT(k_mem_slab_num_free_get(pool) == blocks);

    for (uint32_t i = 0; i < blocks; i++) {
        void *block = (void *)0;
        EXPECT(k_mem_slab_alloc(pool, &block, K_NO_WAIT) == 0);
        EXPECT(block != (void *)0);
        for (uint32_t j = 0; j < i; j++) {
            EXPECT(parked[j] != block);
        }
        ((volatile uint8_t *)block)[4] = (uint8_t)i; /* C owns it now */
        parked[i] = block;
    }
    void *none = &none;
    EXPECT(k_mem_slab_alloc(pool, &none, K_NO_WAIT) == -SLAB_ENOMEM);
    EXPECT(none == (void *)0);
    EXPECT(k_mem_slab_free_checked(pool, (char *)parked[0] + 4) == -SLAB_EINVAL);
    EXPECT(k_mem_slab_num_used_get(pool) == blocks);

    /* Hand the blocks to the C interrupt handler; it runs before the
     * barriers complete (interrupts are enabled in thread mode). */
    parked_count = blocks;
    NVIC_ISER0 = 1u << C_IRQ;
    NVIC_ISPR0 = 1u << C_IRQ;
    __asm volatile("dsb\n\tisb" ::: "memory");
    EXPECT(log.handler_runs == 1);
    EXPECT(parked_count == 0);
    EXPECT(k_mem_slab_num_used_get(pool) == 0);
    EXPECT(k_mem_slab_num_free_get(pool) == blocks);

    /* The slab C defined itself, threaded by boot(). */
    struct k_mem_slab *scratch = k_mem_slab_find("c_scratch");
    EXPECT(scratch == &c_scratch);
    EXPECT(k_mem_slab_num_free_get(&c_scratch) == 2);
    void *a = (void *)0, *b = (void *)0;
    EXPECT(k_mem_slab_alloc(&c_scratch, &a, K_NO_WAIT) == 0);
    EXPECT(k_mem_slab_alloc(&c_scratch, &b, K_MSEC(1)) == 0);
    EXPECT((uintptr_t)a % 8 == 0 && (uintptr_t)b % 8 == 0);
    EXPECT(a != b);
    EXPECT(k_mem_slab_alloc(&c_scratch, &none, K_NO_WAIT) == -SLAB_ENOMEM);
    /* A finite wait from C, measured with the clock Rust registered. */
    none = &none;
    EXPECT(k_mem_slab_alloc(&c_scratch, &none, K_MSEC(2)) == -SLAB_EAGAIN);
    EXPECT(none == (void *)0);
    EXPECT(k_mem_slab_free_checked(&c_scratch, a) == 0);
    EXPECT(k_mem_slab_free_checked(&c_scratch, b) == 0);
    EXPECT(k_mem_slab_max_used_get(&c_scratch) == 2);
    return 0;
#undef EXPECT
}

/* The handler's log, for Rust. */
void c_abi_log(uint32_t out[6]) {
    out[0] = log.handler_runs;
    out[1] = log.freed;
    out[2] = log.double_refused;
    out[3] = log.handler_allocs;
    out[4] = log.errors;
    out[5] = log.ipsr;
}

#ifdef SLAB_CORE_TRACK
/* Ownership tracking (the firmware's `track` feature): allocates a block
 * of the slab `name` with k_mem_slab_alloc, which slab.h then makes record
 * this file and line; the line goes to *line. Returns the block, or NULL. */
void *c_abi_track_alloc(const char *name, uint32_t *line) {
    struct k_mem_slab *slab = k_mem_slab_find(name);
    void *block = (void *)0;
    int got = k_mem_slab_alloc(slab, &block, K_NO_WAIT); *line = __LINE__;
    return got == 0 ? block : (void *)0;
}

/* Frees what c_abi_track_alloc returned. */
int c_abi_track_free(const char *name, void *block) {
    return k_mem_slab_free_checked(k_mem_slab_find(name), block);
}
#endif
