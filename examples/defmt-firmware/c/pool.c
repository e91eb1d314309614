/* A C-defined slab with ownership records (SLAB_CORE_TRACK before the
 * header), allocated from C: its holder is this file and line. */
#define SLAB_CORE_TRACK
#include "slab.h"

K_MEM_SLAB_DEFINE(c_pool, 16, 2, 8);

void *c_pool_take(void) {
    void *block = (void *)0;
    return k_mem_slab_alloc(&c_pool, &block, K_NO_WAIT) == 0 ? block : (void *)0; /* SITE c */
}
