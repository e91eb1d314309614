use slab_core::{MemSlab, mem_slab};

const ALIGN: usize = 16;

#[mem_slab(blocks = 4, size = 64, align = ALIGN)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
