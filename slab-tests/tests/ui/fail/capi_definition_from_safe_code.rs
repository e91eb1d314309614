// A `k_mem_slab_definition` is what C's K_MEM_SLAB_DEFINE writes, and
// `boot()` (a safe function) writes a MemSlab through its `slab` pointer
// and hands out its `buffer`. Safe Rust must not be able to make one (and
// put it in SLAB_CORE_C_SLABS): with arbitrary pointers, `boot()` would
// write wherever they point.
use slab_core::__private::linkme;
use slab_core::capi::{SLAB_CORE_C_SLABS, k_mem_slab_definition};

#[linkme::distributed_slice(SLAB_CORE_C_SLABS)]
#[linkme(crate = slab_core::__private::linkme)]
static WILD: k_mem_slab_definition = k_mem_slab_definition {
    slab: 0x1000 as *mut _,
    buffer: 0x2000 as *mut _,
    block_size: 8,
    num_blocks: 1,
    tracked: 0,
    name: c"wild".as_ptr(),
    config: core::ptr::null(),
};

fn main() {
    slab_core::boot();
}
