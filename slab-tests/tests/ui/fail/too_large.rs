// A petabyte slab: the slab's own message, not the compiler running out
// of memory.
use slab_core::{MemSlab, mem_slab};

#[mem_slab(blocks = 1_000_000, size = 1_000_000_000)]
static RX_BUFS: MemSlab;

fn main() {
    let _ = RX_BUFS.num_blocks();
}
