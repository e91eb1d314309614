//! `checks = "full"` (the default, also spelled out) and `checks =
//! "bounds"`, in both declaration forms: the same slab either way, with
//! `Foreign` and `Misaligned` refused at both levels.
#![deny(warnings)]

use slab_core::{FreeError, MemSlab, Timeout, mem_slab};

#[mem_slab(blocks = 2, size = 48, checks = "full")]
static FULL: MemSlab;

#[mem_slab(blocks = 2, size = 48, checks = "bounds")]
static BOUNDS: MemSlab;

slab_core::mem_slabs! {
    static LISTED_BOUNDS(blocks = 2, size = 48, checks = "bounds");
}

fn main() {
    slab_core::boot();
    for slab in [&FULL, &BOUNDS, &LISTED_BOUNDS] {
        assert_eq!((slab.block_size(), slab.num_blocks()), (48, 2));
        let block = slab.alloc(Timeout::NoWait).unwrap();
        // SAFETY: rejected without being touched (inside, not at a start).
        let inside = unsafe { slab.free(block.byte_add(8)) };
        assert_eq!(inside, Err(FreeError::Misaligned));
        // SAFETY: ours, not used afterwards.
        unsafe { slab.free(block) }.unwrap();
        assert_eq!(slab.num_used(), 0);
    }
}
