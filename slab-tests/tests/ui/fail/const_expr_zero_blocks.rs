use slab_core::{MemSlab, mem_slab};

const COUNT: usize = 0;

#[mem_slab(blocks = COUNT * 2, size = 64)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
