// `align` takes an integer literal: the error is on the whole expression.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 16, align = 1 << 4)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
