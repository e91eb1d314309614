use slab_core::{MemSlab, mem_slab};

const FRAME: usize = 20;

#[mem_slab(blocks = 4, size = FRAME, align = 16)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
