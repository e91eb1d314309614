// A known key without a value: the error is on it, and no "missing
// `blocks`" follows.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks, size = 8)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
