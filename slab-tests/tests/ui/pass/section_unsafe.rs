//! Any other section under the user's `unsafe(…)`: their promise that the
//! linker script puts it in RAM that nothing else interprets (on the host,
//! an orphan section of data).
#![deny(warnings)]

use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 16, section = unsafe(".axisram"))]
static AXI: MemSlab;

slab_core::mem_slabs! {
    static DTCM(blocks = 2, size = 16, section = unsafe(".dtcm.slab_ui"));
}

fn main() {
    slab_core::boot();
    for slab in [&AXI, &DTCM] {
        let block = slab
            .alloc_block(slab_core::Timeout::NoWait)
            .expect("a free block");
        drop(block);
    }
}
