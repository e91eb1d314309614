// Two `#[mem_slab]` on one static.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 8)]
#[mem_slab(blocks = 4, size = 8)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
