use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 4, size = 64, checks = "none")]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
