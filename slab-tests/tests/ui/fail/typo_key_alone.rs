// A misspelt required key: the did-you-mean error alone, not also
// "missing `blocks`".
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blcoks = 2, size = 8)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
