use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 4, size = 64)]
static RX_BUFS: MemSlab = MemSlab::new();

fn main() {
    let _ = RX_BUFS.num_blocks();
}
