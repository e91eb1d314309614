use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 4, size = 64)]
static RX_BUFS: [u8; 64];

fn main() {
    let slab: &MemSlab = &RX_BUFS;
    let _ = slab.num_blocks();
}
