// `crate` takes a path, not a string.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 8, crate = "slab_core")]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
