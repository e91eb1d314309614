use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 1, size = 1073741824, align = 1073741824)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
