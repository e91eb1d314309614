//! Sections of ordinary RAM data need no `unsafe`: a crate that forbids
//! unsafe code places buffers in them.
#![forbid(unsafe_code)]
#![deny(warnings)]

use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 16, section = ".noinit")]
static NOINIT: MemSlab;

#[mem_slab(blocks = 2, size = 16, section = ".uninit.slab_ui")]
static UNINIT: MemSlab;

slab_core::mem_slabs! {
    static BSS(blocks = 2, size = 16, section = ".bss.slab_ui");
    static DATA(blocks = 2, size = 16, section = ".data");
}

slab_core::slab_heap! {
    static HEAP: SlabHeap = [(blocks = 2, size = 32, section = ".bss.slab_ui_heap")];
}

fn main() {
    slab_core::boot();
    for slab in [&NOINIT, &UNINIT, &BSS, &DATA] {
        let block = slab
            .alloc_block(slab_core::Timeout::NoWait)
            .expect("a free block");
        drop(block);
    }
    let _ = HEAP.stats();
}
