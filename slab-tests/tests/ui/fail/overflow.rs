use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 4294967296, size = 4294967296)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
