/* A C program that uses the C ABI without K_MEM_SLAB_DEFINE: its own
 * struct k_mem_slab, set up by k_mem_slab_init. slab-tests' build.rs
 * compiles it to assembly with SLAB_CORE_STD 0 and with 1, optimised;
 * tests/capi_review.rs checks that each refers to the configuration symbol
 * of its SLAB_CORE_STD, so that a program compiled for the other layout of
 * struct k_mem_slab fails to link instead of overrunning its storage. */
#include "slab.h"

static struct k_mem_slab slab;
static _Alignas(8) unsigned char buffer[64];

int init_only(void) {
    return k_mem_slab_init(&slab, buffer, 32, 2);
}
