// A section that is not ordinary RAM data needs the user's `unsafe(…)`.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 4, size = 64, section = ".axisram")]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_free();
}
