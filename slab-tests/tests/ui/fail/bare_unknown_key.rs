// A bare key that does not exist: the error is on it.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 2, size = 8, foo)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
