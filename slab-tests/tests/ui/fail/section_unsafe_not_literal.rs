// `unsafe(…)` holds the section's name and nothing else.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 4, size = 64, section = unsafe(".axisram", 2))]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_free();
}
